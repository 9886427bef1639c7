"""A task whose commits conflict with its branch hands the conflict to a follow-up task.

The follow-up is the same kind of task for the same role and paths, with the conflict in
its brief and a checkout cut from the branch's current head: the later task redoes its
change on top of the earlier one's. It is not a loop: a follow-up that conflicts again
fails, and the failure (with the conflict) is reported on the issue for a person.
"""

from __future__ import annotations

from typing import Any

from agents.team.deps import FlowError, TeamDeps
from agents.team.integration import IntegrationConflictError
from agents.team.issue_task import IssueTaskPayload, stage_of
from storage.task_graph import TaskSnapshot
from storage.tasks import NewTask, create_task

# Follow-ups one task's conflicts may get before a person has to step in.
MAX_CONFLICT_ROUNDS = 1


def hand_over_conflict(
    deps: TeamDeps, task: TaskSnapshot, conflict: IntegrationConflictError
) -> dict[str, Any]:
    """Create the follow-up (once) and the conflicting task's result; FlowError when this
    task already was such a follow-up."""
    stage = stage_of(task.payload)
    rounds = stage.conflict_round
    if rounds >= MAX_CONFLICT_ROUNDS:
        raise FlowError(
            f"{conflict}; it conflicted again after being redone, so a person must "
            f"resolve it.\n\n{conflict.report()}"
        )
    payload = IssueTaskPayload.model_validate(
        {
            **stage.dump(),
            "conflict_round": rounds + 1,
            "conflict_of": task.id,
            "description": f"{stage.description}\n\n{conflict.report()}".strip(),
        }
    ).dump()
    with deps.db.session() as session:
        made, _ = create_task(
            session,
            NewTask(
                kind=task.kind,
                role=task.role,
                title=f"Redo on top of {conflict.branch}: {task.title}"[:512],
                payload=payload,
                project_id=task.project_id,
                parent_id=task.id,
                group_key=task.group_key,
                idempotency_key=f"{task.group_key}:conflict:{task.id}",
                paths=task.paths,
                depends_on=(task.id,),
            ),
        )
        follow_up = made.id
    return {
        "conflict": {"files": conflict.files, "branch": conflict.branch},
        "commit": None,
        "changed_paths": [],
        "next": follow_up,
    }
