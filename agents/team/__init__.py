"""Team orchestration: team and GitHub tools, path locks, the task DAG, flows, local mode."""

from agents.team.agent import AgentDeps, ModelAnswerer, run_role
from agents.team.commands import issue_status, stop_issue
from agents.team.deps import FlowError, IssueRef, TaskCancelledError, TeamDeps, WorkspaceTools
from agents.team.flows import start_issue
from agents.team.handlers import handlers, queue_handlers
from agents.team.local import LocalOptions, LocalResult, run_local
from agents.team.localhost import HostRecord, LocalHost
from agents.team.locks import InProcessLockManager, PathsBusyError, hold_paths, path_lock_names
from agents.team.ports import Lease, LockManager, ModelResolver, Pusher, Workspace
from agents.team.scheduler import DagScheduler, TaskHandler

__all__ = [
    "AgentDeps",
    "DagScheduler",
    "FlowError",
    "HostRecord",
    "InProcessLockManager",
    "IssueRef",
    "Lease",
    "LocalHost",
    "LocalOptions",
    "LocalResult",
    "LockManager",
    "ModelAnswerer",
    "ModelResolver",
    "PathsBusyError",
    "Pusher",
    "TaskCancelledError",
    "TaskHandler",
    "TeamDeps",
    "Workspace",
    "WorkspaceTools",
    "handlers",
    "hold_paths",
    "issue_status",
    "path_lock_names",
    "queue_handlers",
    "run_local",
    "run_role",
    "start_issue",
    "stop_issue",
]
