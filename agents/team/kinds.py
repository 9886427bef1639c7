"""Task kind -> handler: what the queue (via `bot.flows.flow_table`) or the local scheduler runs."""

from __future__ import annotations

from functools import partial

from agents.team.deps import TeamDeps
from agents.team.finalize import handle_finalize, handle_fix, handle_qa, handle_review
from agents.team.issue_flow import handle_design, handle_implement, handle_plan
from agents.team.scheduler import TaskHandler

# The kinds of the team's own tasks (the issue's DAG); ingress kinds are dotted.
TEAM_KINDS = ("plan", "design", "implement", "finalize", "qa", "review", "fix")


def handlers(deps: TeamDeps) -> dict[str, TaskHandler]:
    return {
        "plan": partial(handle_plan, deps),
        "design": partial(handle_design, deps),
        "implement": partial(handle_implement, deps),
        "finalize": partial(handle_finalize, deps),
        "qa": partial(handle_qa, deps),
        "review": partial(handle_review, deps),
        "fix": partial(handle_fix, deps),
    }
