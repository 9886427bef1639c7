"""Repository environments: what a repository's tests need, prepared once and reused.

`detect` infers the test command and a default setup from the repository's files;
`plan` lays the repository's config over that; `store` runs the setup step (with network,
without secrets) into a per-repository directory keyed on the dependency manifests; and
`task` hands a task's commands that environment and a scratch directory.
"""
