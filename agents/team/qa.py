"""The QA check: run the repository's tests in the sandbox, in the repository's prepared
environment, and turn the outcome into a check run with annotations on the failing lines.

The conclusion comes from the test command's exit code and output, never from a model's
opinion: `success`, `failure` when tests ran and failed, and `neutral` ("Could not run the
tests") when the setup step failed or no test could even start.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from agents.env.task import JobEnvironment, TaskEnvironment
from agents.git.process import GitLayout
from agents.githost import Annotation, CheckConclusion, CheckRunOutput
from agents.team.verdict import TestStatus, classify, failing_tests
from agents.tools.base import SandboxSettings
from agents.tools.sandbox import CommandOptions, SandboxRunner, SandboxUnavailable

MAX_ANNOTATIONS = 50
_FRAME = re.compile(r'^\s*File "(?P<path>[^"]+)", line (?P<line>\d+)')
# The exception line that ends a traceback, e.g. "AssertionError: 'hi' != 'hello'".
_RAISED = re.compile(r"^(?P<name>[A-Za-z_][\w.]*(Error|Exception|Failure))(: (?P<msg>.*))?$")
TITLES = {"passed": "Tests passed", "failed": "Tests failed", "not_run": "Could not run the tests"}
CONCLUSIONS: dict[TestStatus, CheckConclusion] = {
    "passed": "success",
    "failed": "failure",
    "not_run": "neutral",
}


@dataclass(frozen=True)
class TestReport:
    command: str
    status: TestStatus
    output: str
    annotations: tuple[Annotation, ...] = ()
    # Why the tests could not run ('' when they ran).
    reason: str = ""
    failing: tuple[str, ...] = ()
    # How the environment was chosen (detected or configured), for the check run.
    statement: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def conclusion(self) -> CheckConclusion:
        return CONCLUSIONS[self.status]

    def check_output(self) -> CheckRunOutput:
        if self.status == "passed":
            summary = f"`{self.command}` passed."
        elif self.status == "failed":
            summary = f"`{self.command}` failed"
            summary += f": {len(self.failing)} failing test(s)." if self.failing else "."
        else:
            summary = f"`{self.command}` could not run the tests: {self.reason}."
        if self.annotations:
            summary += f" {len(self.annotations)} failure(s) annotated."
        if self.statement:
            summary += f"\n\n{self.statement}"
        return CheckRunOutput(TITLES[self.status], summary, self.text(), self.annotations)

    def text(self) -> str:
        head = ""
        if self.failing:
            head = "Failing tests:\n" + "\n".join(f"- `{t}`" for t in self.failing) + "\n\n"
        label = "Setup log" if self.reason.startswith("the setup step") else "Output"
        head += f"{label}:\n"
        # Whole: the git host trims an over-long text to GitHub's limit, keeping its start
        # (the failing tests) and end (the summary), and says where the full output is.
        return f"{head}```\n{self.output}\n```"


def failure_annotations(output: str, root: Path) -> tuple[Annotation, ...]:
    """One annotation per traceback, on its deepest frame inside the repository."""
    base = str(root.resolve()) + "/"
    found: list[Annotation] = []
    frame: tuple[str, int] | None = None
    for line in output.splitlines():
        match = _FRAME.match(line)
        if match is not None:
            path = match.group("path")
            if path.startswith(base):
                frame = (path[len(base) :], int(match.group("line")))
            continue
        raised = _RAISED.match(line.strip())
        if raised is not None and frame is not None and not line.startswith(" "):
            annotation = Annotation(
                path=frame[0],
                start_line=frame[1],
                end_line=frame[1],
                message=line.strip()[:1000],
                level="failure",
                title=raised.group("name"),
            )
            if annotation not in found:
                found.append(annotation)
            frame = None
    return tuple(found[:MAX_ANNOTATIONS])


def run_tests(
    runner: SandboxRunner,
    root: Path,
    command: str,
    settings: SandboxSettings,
    *,
    git: GitLayout | None = None,
    environment: TaskEnvironment | JobEnvironment | None = None,
    statement: str = "",
) -> TestReport:
    """Run `command` in `root`; with an `environment`, in it (running its setup if needed)."""
    try:
        if environment is not None:
            prepared = environment.prepare(settings)
            if not prepared.ok:
                reason = "the setup step failed (its log is below)"
                return TestReport(
                    command, "not_run", prepared.log, reason=reason, statement=statement
                )
            settings = environment.settings(settings, prepared)
        outcome = runner.run(
            ["bash", "-c", command],
            workspace=root,
            cwd=root,
            settings=settings,
            options=CommandOptions(git=git),
        )
    except SandboxUnavailable as exc:
        reason = "the command sandbox is unavailable on the worker"
        return TestReport(command, "not_run", str(exc), reason=reason, statement=statement)
    verdict = classify(command, outcome.exit_code, outcome.output, timed_out=outcome.timed_out)
    failed = verdict.status == "failed"
    return TestReport(
        command,
        verdict.status,
        outcome.output,
        failure_annotations(outcome.output, root) if failed else (),
        reason=verdict.reason,
        failing=failing_tests(outcome.output) if failed else (),
        statement=statement,
    )
