"""Task kind -> handler: what the queue runner (or the local scheduler) registers."""

from __future__ import annotations

from functools import partial

from agents.team.deps import TeamDeps
from agents.team.finalize import handle_finalize
from agents.team.flows import handle_design, handle_implement, handle_plan
from agents.team.scheduler import TaskHandler


def handlers(deps: TeamDeps) -> dict[str, TaskHandler]:
    return {
        "plan": partial(handle_plan, deps),
        "design": partial(handle_design, deps),
        "implement": partial(handle_implement, deps),
        "finalize": partial(handle_finalize, deps),
    }
