"""The test-fix loop's words: a failing QA check turned into a developer's fix brief, and
the QA line of the issue's summary.

A failing check goes back to the developers before review, with what they need to fix it
without rerunning everything first: the command, the failing tests, the annotated lines
and the end of the output.
"""

from __future__ import annotations

from agents.team.changes import fenced
from agents.team.issue_task import IssueTaskPayload
from agents.team.qa import TestReport

# The end of the output a fix brief carries (the failures are summarised at the end).
FIX_TAIL_CHARS = 4_000
MAX_LISTED = 20


def fix_brief(report: TestReport, head_sha: str, *, fix_round: int, max_rounds: int) -> str:
    """The description of the fix task a failing QA check creates."""
    lines = [
        f"The QA check failed on {head_sha[:7]} (fix round {fix_round} of {max_rounds}): "
        f"`{report.command}` exited with a failure.",
    ]
    # The same names the check run lists (agents.team.verdict).
    names = report.failing[:MAX_LISTED]
    if names:
        lines.append("Failing tests:\n" + "\n".join(f"- {n}" for n in names))
    if report.annotations:
        shown = report.annotations[:MAX_LISTED]
        lines.append(
            "Where they failed:\n"
            + "\n".join(f"- {a.path}:{a.start_line}: {a.message}" for a in shown)
        )
    lines.append("The end of its output:\n" + fenced(report.output[-FIX_TAIL_CHARS:]))
    lines.append(
        "Find the cause and fix it so the tests pass; run the command to check. Do not "
        "weaken, skip or delete a test to make it pass; when a test is wrong, say why in "
        "your summary. The check runs again after you finish."
    )
    return "\n\n".join(lines)


def qa_line(stage: IssueTaskPayload) -> str:
    """The QA sentence of the summary: the final outcome and the fix rounds it took."""
    conclusion = stage.qa
    if conclusion is None:
        return "QA: not run."
    rounds = stage.qa_fix_rounds
    plural = "round" if rounds == 1 else "rounds"
    if conclusion == "neutral":
        return "QA: could not run the tests (the check run says why)."
    if conclusion == "success":
        return "QA: passed." if rounds == 0 else f"QA: passed after {rounds} fix {plural}."
    if rounds == 0:
        return f"QA: {conclusion}."
    return f"QA: failing after {rounds} fix {plural}."
