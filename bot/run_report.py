"""What `codemonkey run` prints: progress lines while the team works, then a report.

Rendered with rich, which styles the lines on a terminal and prints them plain (no colour
codes, no wrapping) when the output is a pipe or a file, so scripts and tests can read it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.markup import escape

from agents.runtime.ports import AgentEvent
from agents.runtime.tool_summary import shorten
from agents.team.local import LocalResult
from agents.team.local_outcome import BranchChanges, RunVerdict
from agents.team.localhost import HostRecord
from bot.prices import PRICE_HINT
from storage.task_graph import TaskSnapshot

# Host actions worth showing in full; the rest (labels, issue body edits) are bookkeeping.
SHOWN = ("comment", "review", "check_run", "pull_request", "reply")


class RunReporter:
    def __init__(self, stream: TextIO | None = None, *, started: float | None = None) -> None:
        self._console = Console(file=stream or sys.stdout, highlight=False, soft_wrap=True)
        self._started = time.monotonic() if started is None else started
        self._shown: list[str] = []

    def elapsed(self) -> float:
        return time.monotonic() - self._started

    def line(self, text: str, style: str = "") -> None:
        self._console.print(f"[{style}]{escape(text)}[/]" if style else escape(text))

    def event(self, event: AgentEvent) -> None:
        """One progress line: elapsed time, who, and what (tool calls with their arguments)."""
        if event.kind == "result" and ": error" not in event.text:
            return  # a tool that worked says so through what comes next
        if event.kind == "model" and not event.text.strip():
            return
        what = {"model": "says", "tool": "→", "result": "✗", "end": "done:"}.get(event.kind, "")
        style = {"result": "red", "tool": "cyan"}.get(event.kind, "")
        head = f"{self.elapsed():6.1f}s  {event.role} #{event.task_id}  {what} "
        self.line(head + shorten(event.text, 100), style)

    def record(self, record: HostRecord) -> None:
        if record.action not in SHOWN:
            return
        title = record.action.replace("_", " ")
        extra = f" [{record.details['event']}]" if "event" in record.details else ""
        if record.action == "check_run":
            if not record.details.get("conclusion"):
                return
            extra = f" [{record.details['conclusion']}]"
        self._shown.append(record.text.strip())
        self._console.print(f"\n[bold]=== {escape(title + extra)} ===[/]")
        self.line(record.text.strip() + "\n")

    def report(
        self,
        result: LocalResult,
        verdict: RunVerdict,
        changes: BranchChanges,
        *,
        branch_dropped: bool,
        log_file: Path | None,
    ) -> None:
        if result.summary.strip() and result.summary.strip() not in self._shown:
            self.line("\n" + result.summary.strip())
        self.line("")
        if verdict.ok:
            self.line(f"Done: the change is on {result.branch}", "bold green")
        else:
            self.line(f"Failed: {verdict.reason}", "bold red")
        self._branch(result.branch, result.base, changes, branch_dropped)
        if changes.files:
            self.line("Changed files:")
            for line in changes.stat.splitlines() or changes.files:
                self.line(f"  {line.strip()}")
        self.line(f"Checks: {verdict.check or 'did not run'}")
        self.line(f"Review: {verdict.review or 'none'}")
        cost = result.cost_text or f"${result.cost_usd:.2f}"
        self.line(f"Cost: {cost}, {result.tokens:,} tokens ({result.cache_line})")
        if result.unpriced_calls:
            self.line(PRICE_HINT)
        self._footer(log_file)

    def interrupted(
        self,
        branch: str,
        base: str,
        tasks: Sequence[TaskSnapshot],
        changes: BranchChanges,
        *,
        branch_dropped: bool,
        log_file: Path | None,
    ) -> None:
        self.line("")
        self.line("Interrupted: the team was stopped before it finished.", "bold red")
        left = [t for t in tasks if t.state != "succeeded"]
        done = [t for t in tasks if t.state == "succeeded"]
        if done:
            self.line("Finished: " + ", ".join(f"#{t.id} {t.title} ({t.role})" for t in done))
        self.line("Not finished:" if left else "Not finished: none")
        for task in left:
            self.line(f"  #{task.id} {task.title} ({task.role}): {task.state}")
        self._branch(branch, base, changes, branch_dropped)
        self._footer(log_file)

    def _branch(self, branch: str, base: str, changes: BranchChanges, dropped: bool) -> None:
        if dropped:
            self.line(f"Branch: none (deleted {branch}: nothing was committed)")
        elif changes.empty:
            self.line(f"Branch: none ({branch} was never created)")
        else:
            plural = "s" if changes.commits != 1 else ""
            self.line(f"Branch: {branch} ({changes.commits} commit{plural} on {base})")

    def _footer(self, log_file: Path | None) -> None:
        self.line(f"Elapsed: {self.elapsed():.1f}s")
        if log_file is not None:
            self.line(f"Logs: {log_file}")
