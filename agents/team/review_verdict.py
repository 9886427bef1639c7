"""A review's verdict, as the reviewer's run returns it: the event of the last review it
posted, its body and its inline notes. A run that posted no review leaves a comment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, cast

from agents.runtime.loop import RunResult

ReviewEvent = Literal["COMMENT", "APPROVE", "REQUEST_CHANGES"]


@dataclass(frozen=True)
class ReviewNote:
    path: str
    line: int
    body: str
    side: str = "RIGHT"


@dataclass(frozen=True)
class ReviewVerdict:
    event: ReviewEvent
    body: str
    notes: tuple[ReviewNote, ...] = ()
    review_id: int | None = None

    @property
    def requests_changes(self) -> bool:
        return self.event == "REQUEST_CHANGES"

    @staticmethod
    def of(result: RunResult) -> ReviewVerdict | None:
        """The verdict of the last review the run posted (the `review` tool's result);
        None when it posted none."""
        data = result.tool_data.get("review")
        if not data:
            return None
        notes = tuple(
            ReviewNote(str(c["path"]), int(c["line"]), str(c["body"]), str(c.get("side", "RIGHT")))
            for c in data.get("comments", [])
        )
        review_id = data.get("review_id")
        return ReviewVerdict(
            event=cast(ReviewEvent, str(data["event"])),
            body=str(data.get("body", "")),
            notes=notes,
            review_id=None if review_id is None else int(review_id),
        )

    def requested_changes(self) -> str:
        """What the reviewer asked for, as the fixer is told it."""
        notes = "\n".join(f"- {n.path}:{n.line}: {n.body}" for n in self.notes)
        return f"The reviewer requested changes:\n{self.body}\n{notes}"

    def as_data(self) -> dict[str, Any]:
        """The verdict as the task's result records it (the review as it was posted)."""
        return {
            "review_id": self.review_id,
            "event": self.event,
            "body": self.body,
            "comments": [
                {"path": n.path, "line": n.line, "side": n.side, "body": n.body} for n in self.notes
            ],
        }


NO_REVIEW = ReviewVerdict(event="COMMENT", body="")
