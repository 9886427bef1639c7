"""The one git layer: `runner` runs git (safe argv, scrubbed environment, recorded layout,
one error type); `worktree` is branches, worktrees, commits and diffs in a workspace;
`remote` is clone, fetch and push with a token that never reaches disk."""
