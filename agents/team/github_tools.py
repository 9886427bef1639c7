"""GitHub actions as agent tools over `GitHost`, each side effect keyed for idempotency.

A call's key comes from the loop (`task:{id}:step:{n}:{tool}`); the result is stored in
`side_effects` after the host call, and a repeated call with the same key returns the
stored result without touching GitHub again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, cast

from agents.diffs import parse_diff, placement_problem
from agents.githost import (
    Annotation,
    CheckConclusion,
    CheckRunOutput,
    GitHost,
    GitHostAuthError,
    GitHostError,
    GitHostRateLimited,
    RepoRef,
    ReviewComment,
)
from agents.runtime.ports import CallContext, ToolError, ToolResult
from agents.runtime.toolset import schema
from agents.team import checklist
from agents.tools.base import FunctionTool
from storage.side_effects import SideEffects

REACTIONS = frozenset({"+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"})
EVENTS = ("COMMENT", "APPROVE", "REQUEST_CHANGES")
CONCLUSIONS = ("success", "failure", "neutral")


@dataclass(frozen=True)
class GitHubScope:
    repo: RepoRef
    issue: int
    branch: str
    base: str
    # The pull request of this work, once opened (reviews and updates go there).
    pull_request: Callable[[], int | None]
    head_sha: Callable[[], str]
    # The bot opened the pull request: GitHub refuses APPROVE and REQUEST_CHANGES on one's
    # own pull request (422), so the verdict goes into a COMMENT review's body instead.
    own_pull_request: bool = False
    # The pull request's unified diff (base...head) as GitHub places comments on it; None
    # when it cannot be computed here (then GitHub's own refusal comes back to the model).
    diff: Callable[[], str] | None = None


def suggestion_body(body: str, suggestion: str | None) -> str:
    if suggestion is None:
        return body
    return f"{body}\n\n```suggestion\n{suggestion.rstrip(chr(10))}\n```"


class GitHubTools:
    def __init__(self, host: GitHost, scope: GitHubScope, effects: SideEffects) -> None:
        self._host = host
        self._scope = scope
        self._effects = effects
        # Reviews refused for misplaced comments in this run; the next one is not refused
        # again but posted with those comments moved into its body, so none is lost.
        self._misplaced_refusals = 0

    def _pr(self) -> int:
        number = self._scope.pull_request()
        if number is None:
            raise ToolError("there is no pull request yet; open one with open_pull_request first")
        return number

    def _once(self, ctx: CallContext, perform: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        try:
            return self._effects.once(ctx.idempotency_key, ctx.task_id, perform)
        except GitHostError as exc:
            if not refused_call(exc):
                raise
            # GitHub refused this call as made (422 and the like): the model can change
            # it, so it hears why instead of the run failing. Nothing was recorded.
            raise ToolError(f"GitHub refused the call ({exc.status}): {exc}") from exc

    def comment(self, ctx: CallContext, args: dict[str, Any]) -> ToolResult:
        number = args.get("number", self._scope.issue)
        result = self._once(
            ctx,
            lambda: _comment_result(self._host.comment(self._scope.repo, number, args["body"])),
        )
        return ToolResult(True, f"commented: {result['url']}", communicated=True, data=result)

    def react(self, ctx: CallContext, args: dict[str, Any]) -> ToolResult:
        def perform() -> dict[str, Any]:
            self._host.react(self._scope.repo, args["comment_id"], args["content"])
            return {"comment_id": args["comment_id"], "content": args["content"]}

        self._once(ctx, perform)
        return ToolResult(True, "reacted", communicated=True)

    def open_pull_request(self, ctx: CallContext, args: dict[str, Any]) -> ToolResult:
        body = f"{args['body'].rstrip()}\n\nCloses #{self._scope.issue}"

        def perform() -> dict[str, Any]:
            pr = self._host.open_pull_request(
                self._scope.repo,
                head=self._scope.branch,
                base=self._scope.base,
                title=args["title"],
                body=body,
                draft=True,
            )
            return {"number": pr.number, "url": pr.url}

        result = self._once(ctx, perform)
        return ToolResult(True, f"draft PR #{result['number']}", communicated=True, data=result)

    def update_pull_request(self, ctx: CallContext, args: dict[str, Any]) -> ToolResult:
        number = self._pr()

        def perform() -> dict[str, Any]:
            self._host.update_pull_request(
                self._scope.repo,
                number,
                title=args.get("title"),
                body=args.get("body"),
                ready_for_review=args.get("ready_for_review"),
            )
            return {"number": number}

        self._once(ctx, perform)
        return ToolResult(True, f"updated PR #{number}", communicated=True)

    def review(self, ctx: CallContext, args: dict[str, Any]) -> ToolResult:
        event = args["event"]
        comments = [_review_comment(c) for c in args.get("comments", [])]
        number = self._pr()

        posted, body = event, args["body"]
        comments, moved = self._placed(comments)
        if moved:
            body += "\n\n**Comments on lines outside the diff:**\n" + "\n".join(
                f"- `{c.path}` line {c.line} ({c.side}): {c.body}" for c in moved
            )
        if self._scope.own_pull_request and event != "COMMENT":
            verdict = "approved" if event == "APPROVE" else "changes requested"
            posted, body = "COMMENT", f"**Review verdict: {verdict}.**\n\n{body}"

        def perform() -> dict[str, Any]:
            review_id = self._host.create_review(
                self._scope.repo,
                number,
                commit_sha=self._scope.head_sha(),
                body=body,
                event=cast(Literal["COMMENT", "APPROVE", "REQUEST_CHANGES"], posted),
                comments=comments,
            )
            return {
                "review_id": review_id,
                "event": event,
                "body": args["body"],
                "comments": [
                    {"path": c.path, "line": c.line, "side": c.side, "body": c.body}
                    for c in comments
                ],
            }

        result = self._once(ctx, perform)
        return ToolResult(True, f"review posted ({event})", communicated=True, data=result)

    def _placed(
        self, comments: list[ReviewComment]
    ) -> tuple[list[ReviewComment], list[ReviewComment]]:
        """(comments that fit the diff, misplaced ones to move into the body).

        The first time a comment does not fit, the review is refused as a tool error that
        names the valid lines, and nothing is posted; the model corrects and calls again.
        """
        if self._scope.diff is None or not comments:
            return comments, []
        files = parse_diff(self._scope.diff())
        problems = [
            (c, placement_problem(files, c.path, c.line, c.side, c.start_line)) for c in comments
        ]
        misplaced = [(c, p) for c, p in problems if p is not None]
        if not misplaced:
            return comments, []
        if self._misplaced_refusals == 0:
            self._misplaced_refusals += 1
            raise ToolError(
                "Nothing was posted: GitHub accepts inline comments only on lines inside the "
                "diff's hunks.\n"
                + "\n".join(f"- {p}" for _, p in misplaced)
                + "\nMove each comment to a valid line (or put it in the review body) and "
                "call `review` again."
            )
        return [c for c, p in problems if p is None], [c for c, _ in misplaced]

    def check_run(self, ctx: CallContext, args: dict[str, Any]) -> ToolResult:
        conclusion = args["conclusion"]
        output = CheckRunOutput(
            title=args["title"],
            summary=args["summary"],
            annotations=tuple(_annotation(a) for a in args.get("annotations", [])),
        )

        def perform() -> dict[str, Any]:
            run_id = self._host.create_check_run(
                self._scope.repo,
                name=args.get("name", "CodeMonkey QA"),
                head_sha=self._scope.head_sha(),
                status="completed",
                conclusion=cast(CheckConclusion, conclusion),
                output=output,
            )
            return {"check_run_id": run_id, "conclusion": conclusion}

        result = self._once(ctx, perform)
        return ToolResult(True, f"check run {conclusion}", communicated=True, data=result)

    def update_checklist(self, ctx: CallContext, args: dict[str, Any]) -> ToolResult:
        items = [
            checklist.ChecklistItem(str(i["text"]), bool(i.get("done", False)))
            for i in args["items"]
        ]

        def perform() -> dict[str, Any]:
            body = self._host.issue_body(self._scope.repo, self._scope.issue)
            self._host.update_issue_body(
                self._scope.repo, self._scope.issue, checklist.merge(body, items)
            )
            return {"items": len(items)}

        self._once(ctx, perform)
        return ToolResult(True, "checklist updated", communicated=True)

    def tools(self) -> list[FunctionTool[CallContext]]:
        text: dict[str, Any] = {"type": "string"}
        integer: dict[str, Any] = {"type": "integer"}
        line_number: dict[str, Any] = {"type": "integer", "minimum": 1}
        annotation = schema(
            {
                "path": text,
                "start_line": line_number,
                "end_line": line_number,
                "message": text,
                "level": {"type": "string", "enum": ["notice", "warning", "failure"]},
                "title": text,
            },
            ["path", "start_line", "message"],
        )
        checklist_item = schema({"text": text, "done": {"type": "boolean"}}, ["text"])
        review_comment: dict[str, Any] = {
            "type": "object",
            "properties": {
                "path": {"type": "string", "description": "a file changed by the pull request"},
                "line": {
                    **line_number,
                    "description": "the (last) line: a new-file line for RIGHT, old-file for LEFT",
                },
                "side": {
                    "type": "string",
                    "enum": ["LEFT", "RIGHT"],
                    "description": "RIGHT (default): added or context lines; LEFT: deleted lines",
                },
                "start_line": {
                    **line_number,
                    "description": "first line of a multi-line comment, same hunk, < line",
                },
                "body": {"type": "string"},
                "suggestion": {
                    "type": "string",
                    "description": "replacement text for the line(s), shown as a suggestion",
                },
            },
            "required": ["path", "line", "body"],
            "additionalProperties": False,
        }
        specs = [
            (
                "comment",
                "Comment on the issue (or `number`).",
                {"body": text, "number": integer},
                ["body"],
            ),
            (
                "react",
                "React to a comment.",
                {"comment_id": integer, "content": {"type": "string", "enum": sorted(REACTIONS)}},
                ["comment_id", "content"],
            ),
            (
                "open_pull_request",
                "Open the draft pull request for this work.",
                {"title": text, "body": text},
                ["title", "body"],
            ),
            (
                "update_pull_request",
                "Update the pull request's title/body, or mark it ready for review.",
                {"title": text, "body": text, "ready_for_review": {"type": "boolean"}},
                [],
            ),
            (
                "review",
                "Review the pull request once: a summary `body`, the `event`, and inline "
                "`comments`, each on a line inside the diff's hunks (see the `diff` tool).",
                {
                    "body": text,
                    "event": {"type": "string", "enum": list(EVENTS)},
                    "comments": {"type": "array", "items": review_comment},
                },
                ["body", "event"],
            ),
            (
                "check_run",
                "Report checks. annotations: [{path, start_line, end_line?, message, level?}].",
                {
                    "name": text,
                    "conclusion": {"type": "string", "enum": list(CONCLUSIONS)},
                    "title": text,
                    "summary": text,
                    "annotations": {"type": "array", "items": annotation},
                },
                ["conclusion", "title", "summary"],
            ),
            (
                "update_checklist",
                "Replace the issue's task checklist. items: [{text, done}].",
                {"items": {"type": "array", "items": checklist_item, "minItems": 1}},
                ["items"],
            ),
        ]
        handlers = {
            "comment": self.comment,
            "react": self.react,
            "open_pull_request": self.open_pull_request,
            "update_pull_request": self.update_pull_request,
            "review": self.review,
            "check_run": self.check_run,
            "update_checklist": self.update_checklist,
        }
        return [
            FunctionTool(name, desc, schema(props, req), handlers[name], replay_safe=True)
            for name, desc, props, req in specs
        ]


def _comment_result(comment: Any) -> dict[str, Any]:
    return {"id": comment.id, "url": comment.url}


def refused_call(exc: GitHostError) -> bool:
    """A 4xx the caller can fix by changing the call; not credentials nor rate limits,
    which the model cannot fix (those fail or retry the task, with the fix in the error)."""
    if isinstance(exc, GitHostAuthError | GitHostRateLimited):
        return False
    return exc.status is not None and 400 <= exc.status < 500 and exc.status != 429


# The arguments are already checked against the tools' schemas (types, required keys,
# enums, positive line numbers); only what a schema cannot say is checked here.
def _review_comment(raw: dict[str, Any]) -> ReviewComment:
    line, start = raw["line"], raw.get("start_line")
    if start is not None and start >= line:
        raise ToolError("a review comment's start_line must be a line number below its line")
    side = raw.get("side", "RIGHT")
    suggestion = raw.get("suggestion")
    return ReviewComment(
        path=str(raw["path"]),
        line=line,
        body=suggestion_body(str(raw["body"]), None if suggestion is None else str(suggestion)),
        side=side,
        start_line=start,
    )


def _annotation(raw: dict[str, Any]) -> Annotation:
    level = raw.get("level", "failure")
    start = raw["start_line"]
    end = raw.get("end_line", start)
    if start > end:
        raise ToolError("an annotation's start_line must not be after its end_line")
    return Annotation(
        path=str(raw["path"]),
        start_line=start,
        end_line=end,
        message=str(raw["message"]),
        level=level,
        title=str(raw.get("title", "")),
    )
