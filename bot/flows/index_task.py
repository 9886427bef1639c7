"""`repo.index`: the default branch into the code index (`bot.indexing`). System work (no
person starts it); before its admission it defers while this process builds another index,
and is skipped when the semantic index is off, so such a task reads nothing."""

from __future__ import annotations

from typing import Any

from bot.flows.admission import Admission, admitted
from bot.flows.flow_deps import FlowDeps
from bot.indexing import index_precheck, index_repository
from bot.queue.handlers import Handler, TaskContext
from webhooks.task_payloads import TaskPayload


def index_default_branch(
    deps: FlowDeps, ctx: TaskContext, _: TaskPayload, admission: Admission
) -> dict[str, Any]:
    # The default branch, as read with the config at admission.
    branch = admission.setup.loaded.ref
    return index_repository(deps.services, deps.worker, ctx, deps.lane, branch)


def index_handler(deps: FlowDeps) -> Handler:
    run = admitted(deps, index_default_branch)

    def handle(ctx: TaskContext) -> dict[str, Any] | None:
        if (early := index_precheck(deps.services, deps.lane)) is not None:
            return early
        return run(ctx)

    return handle
