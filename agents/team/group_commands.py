"""`/stop` and `/status` for an issue's tasks."""

from __future__ import annotations

from storage.agent_steps import AgentStepStore
from storage.sql.database import Database
from storage.task_graph import group_tasks
from storage.tasks import TaskStore

STATE_ICONS = {
    "queued": "⏳",
    "running": "🏃",
    "succeeded": "✅",
    "failed": "❌",
    "cancelled": "🚫",
}


def stop_issue(db: Database, group_key: str) -> str:
    """Cancel the issue's unfinished tasks; running agents stop before their next model call."""
    touched = sorted(TaskStore(db).cancel_group(group_key))
    if not touched:
        return "Nothing to stop: no task of this issue is queued or running."
    ids = ", ".join(f"#{i}" for i in touched)
    return f"Stopping {len(touched)} task(s): {ids}. Running agents stop before their next step."


def issue_status(db: Database, group_key: str) -> str:
    """A Markdown table of the issue's tasks and what the work has cost so far."""
    with db.session() as session:
        tasks = group_tasks(session, group_key)
    if not tasks:
        return "No CodeMonkey task for this issue yet."
    lines = ["| task | role | what | state |", "| --- | --- | --- | --- |"]
    for task in tasks:
        state = f"{STATE_ICONS.get(task.state, '')} {task.state}"
        if task.error:
            state += f" ({task.error[:80]})"
        lines.append(f"| #{task.id} | {task.role or ''} | {task.title} | {state} |")
    spend = AgentStepStore(db).group_spend(group_key)
    lines.append(
        f"\nSpent so far: {spend.cost_text()} ({spend.tokens:,} tokens, "
        f"{spend.model_calls} model calls)."
    )
    return "\n".join(lines)
