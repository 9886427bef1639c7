"""Team tools: `delegate` a task to another role, `ask` another role, `finish` the run.

`delegate` creates a child task in SQL keyed by the call's idempotency key, so a resumed run
that repeats the call gets the same task back. A delegated task may carry a `label`, so
later calls of the same reply can depend on it before its id is known. `ask` records the
question and the answer in the conversation store; a repeat finds the recorded answer
instead of asking again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from agents.roles.types import Role
from agents.runtime.ports import CallContext, ToolError, ToolResult
from agents.runtime.toolset import schema
from agents.tools.base import FunctionTool
from storage.conversations import add_message, find_message, get_or_create_conversation
from storage.sql.database import Database
from storage.sql.models import Task
from storage.task_graph import LabelledChild, labelled_children
from storage.tasks import NewTask, create_task

# (role asked, question, asking task id) -> answer, from one model call as that role.
Answerer = Callable[[Role, str, int], str]

KIND_FOR_ROLE = {"architect": "design"}
DEFAULT_KIND = "implement"
MAX_LABEL_CHARS = 64
# A string with something other than white space in it.
NON_BLANK: dict[str, Any] = {"type": "string", "pattern": "\\S"}


@dataclass(frozen=True)
class TeamScope:
    """Where the calling agent works: its task, issue group and what children inherit."""

    task_id: int
    role: Role
    group_key: str | None = None
    project_id: int | None = None
    # Copied into every delegated task's payload (issue number, branch, repository).
    inherited: Mapping[str, Any] = field(default_factory=dict)


# The arguments are already checked against the tools' schemas (types, non-blank paths, the
# label's length); only what a schema cannot say is checked here.
def _clean_paths(raw: list[str]) -> tuple[str, ...]:
    paths = []
    for item in raw:
        path = PurePosixPath(item.strip())
        if path.is_absolute() or ".." in path.parts:
            raise ToolError(f"path {item!r} must be relative and stay inside the repository")
        paths.append(str(path))
    return tuple(dict.fromkeys(paths))


def _label(raw: str | None) -> str | None:
    return None if raw is None else raw.strip()


def _task_id(dep: Any) -> int | None:
    """A task id given as 12, "12" or "#12"; None when `dep` is not an id."""
    if isinstance(dep, bool):
        return None
    if isinstance(dep, int):
        return dep
    if isinstance(dep, str) and dep.strip().lstrip("#").isdigit():
        return int(dep.strip().lstrip("#"))
    return None


def _resolve(dep: Any, labelled: dict[str, LabelledChild]) -> int | None:
    """A `depends_on` entry's task id: an id as given, or the task given that label."""
    if isinstance(dep, str) and dep.strip() in labelled:
        return labelled[dep.strip()].id
    return _task_id(dep)


def _unknown_dependency(dep: Any, labelled: dict[str, LabelledChild]) -> str:
    known = ", ".join(repr(k) for k in labelled) or "none yet"
    return (
        f"depends_on: {dep!r} is neither a task of this issue nor a label of a task you "
        f"delegated (labels so far: {known}); delegate that task first, with a `label`, or "
        "use the id an earlier delegate call returned"
    )


class TeamTools:
    def __init__(
        self,
        db: Database,
        scope: TeamScope,
        *,
        roles: Mapping[str, Role],
        answerer: Answerer | None = None,
    ) -> None:
        self._db = db
        self._scope = scope
        self._roles = roles
        self._answerer = answerer

    def delegate(self, ctx: CallContext, args: dict[str, Any]) -> ToolResult:
        target = self._roles.get(args["role"])
        if target is None:
            raise ToolError(f"no role {args['role']!r}; choose from {sorted(self._roles)}")
        if not self._scope.role.may_delegate_to(target):
            raise ToolError(
                f"a {self._scope.role.tier} ({self._scope.role.name}) cannot delegate to "
                f"{target.name} ({target.tier}); do it yourself or ask your lead"
            )
        paths = _clean_paths(args.get("paths", []))
        label = _label(args.get("label"))
        with self._db.session() as session:
            labelled = labelled_children(session, self._scope.task_id)
            taken = labelled.get(label or "")
            if taken is not None and taken.idempotency_key != ctx.idempotency_key:
                raise ToolError(
                    f"label {label!r} already names task #{taken.id}; give this task another label"
                )
            resolved = []
            for dep in args.get("depends_on", []):
                dep_id = _resolve(dep, labelled)
                other = None if dep_id is None else session.get(Task, dep_id)
                if other is None or other.group_key != self._scope.group_key:
                    raise ToolError(_unknown_dependency(dep, labelled))
                resolved.append(other.id)
            depends_on = tuple(resolved)
            # Delegated work starts once the delegating task is done (and its edits are
            # committed); finishing it is what makes the new task ready on the queue.
            depends_on = (*depends_on, self._scope.task_id)
            payload = {**self._scope.inherited, "description": args["description"]}
            if label is not None:
                payload["label"] = label
            task, created = create_task(
                session,
                NewTask(
                    kind=KIND_FOR_ROLE.get(target.name, DEFAULT_KIND),
                    payload=payload,
                    project_id=self._scope.project_id,
                    parent_id=self._scope.task_id,
                    role=target.name,
                    title=args["title"][:512],
                    group_key=self._scope.group_key,
                    idempotency_key=ctx.idempotency_key,
                    paths=paths,
                    depends_on=depends_on,
                ),
            )
            task_id = task.id
        verb = "created" if created else "already created"
        named = f" (label {label!r})" if label else ""
        return ToolResult(
            True,
            f"{verb} task #{task_id}{named} for {target.name}: {args['title']}",
            communicated=True,
            data={"task_id": task_id, "label": label},
        )

    def ask(self, ctx: CallContext, args: dict[str, Any]) -> ToolResult:
        target = self._roles.get(args["role"])
        if target is None:
            raise ToolError(f"no role {args['role']!r}; choose from {sorted(self._roles)}")
        if self._answerer is None:
            raise ToolError("no other agent can be asked in this mode; decide yourself")
        ref = self._scope.group_key or f"task-{self._scope.task_id}"
        with self._db.session() as session:
            conversation = get_or_create_conversation(
                session, kind="team", external_ref=ref, project_id=self._scope.project_id
            )
            answered = find_message(session, conversation, key=f"{ctx.idempotency_key}:answer")
            if (
                answered is None
                and find_message(session, conversation, key=ctx.idempotency_key) is None
            ):
                add_message(
                    session,
                    conversation,
                    role="user",
                    author=self._scope.role.name,
                    content=args["question"],
                    meta={"key": ctx.idempotency_key, "to": target.name, "task_id": ctx.task_id},
                )
        if answered is not None:
            return ToolResult(True, answered["content"], communicated=True)
        answer = self._answerer(target, args["question"], ctx.task_id)
        with self._db.session() as session:
            add_message(
                session,
                conversation,
                role="assistant",
                author=target.name,
                content=answer,
                meta={"key": f"{ctx.idempotency_key}:answer", "task_id": ctx.task_id},
            )
        return ToolResult(True, answer, communicated=True)

    @staticmethod
    def finish(ctx: CallContext, args: dict[str, Any]) -> ToolResult:
        summary = args["summary"].strip()
        if not summary:
            raise ToolError("`finish` needs a summary of what was done")
        return ToolResult(True, summary, finished=True)

    def _role_names(self, *, delegating: bool) -> dict[str, Any]:
        """The roles of this team the caller may address: the roster, never a guess."""
        me = self._scope.role
        names = sorted(
            name
            for name, role in self._roles.items()
            if name != me.name and (not delegating or me.may_delegate_to(role))
        )
        return {"type": "string", "enum": names} if names else {"type": "string"}

    def tools(self) -> list[FunctionTool[CallContext]]:
        text = {"type": "string"}
        return [
            FunctionTool(
                "delegate",
                "Create a task for another role. `paths`: files it will edit (its plan and "
                "lock hint). `label`: a short name for the task, so later delegate calls "
                "of the same reply can list it in `depends_on` before its id is known. "
                "`depends_on`: ids or labels of tasks that must finish first.",
                schema(
                    {
                        "role": self._role_names(delegating=True),
                        "title": text,
                        "description": text,
                        "paths": {"type": "array", "items": NON_BLANK},
                        "label": {
                            **NON_BLANK,
                            "maxLength": MAX_LABEL_CHARS,
                            "description": 'a short name, e.g. "api"',
                        },
                        "depends_on": {
                            "type": "array",
                            "items": {"type": ["integer", "string"]},
                        },
                    },
                    ["role", "title", "description"],
                ),
                self.delegate,
                replay_safe=True,
            ),
            FunctionTool(
                "ask",
                "Ask another role of the team a question and get its answer.",
                schema(
                    {"role": self._role_names(delegating=False), "question": text},
                    ["role", "question"],
                ),
                self.ask,
                replay_safe=True,
            ),
            FunctionTool(
                "finish",
                "End your work with a summary of what you did.",
                schema({"summary": text}, ["summary"]),
                self.finish,
                replay_safe=True,
            ),
        ]
