"""Team orchestration: team and GitHub tools, path locks, the task DAG and the flows."""
