"""Team orchestration: team and GitHub tools, path locks, the task DAG, flows, local mode."""

from agents.team.agent import AgentDeps, ModelAnswerer, run_role
from agents.team.deps import FlowError, IssueRef, TaskCancelledError, TeamDeps
from agents.team.group_commands import issue_status, stop_issue
from agents.team.issue_flow import start_issue
from agents.team.kinds import TEAM_KINDS, handlers
from agents.team.local import LocalOptions, LocalResult, run_local
from agents.team.localhost import HostRecord, LocalHost
from agents.team.locks import PathsBusyError, hold_paths, path_lock_names
from agents.team.ports import BranchRemote, ModelResolver, Workspace
from agents.team.scheduler import DagScheduler, TaskHandler

__all__ = [
    "TEAM_KINDS",
    "AgentDeps",
    "BranchRemote",
    "DagScheduler",
    "FlowError",
    "HostRecord",
    "IssueRef",
    "LocalHost",
    "LocalOptions",
    "LocalResult",
    "ModelAnswerer",
    "ModelResolver",
    "PathsBusyError",
    "TaskCancelledError",
    "TaskHandler",
    "TeamDeps",
    "Workspace",
    "handlers",
    "hold_paths",
    "issue_status",
    "path_lock_names",
    "run_local",
    "run_role",
    "start_issue",
    "stop_issue",
]
