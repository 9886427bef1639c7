"""Agent tools: the contract in `base`, workspace tools beside it, the set in `defaults`."""
