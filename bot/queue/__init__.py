"""Task queue and dispatch: SQL holds task state, a backend delivers task ids to workers."""
