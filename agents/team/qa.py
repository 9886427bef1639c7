"""The QA check: run the repository's tests in the sandbox and turn the outcome into a
check run with annotations on the failing lines.

The conclusion comes from the test command's exit code, never from a model's opinion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from agents.githost import Annotation, CheckRunOutput
from agents.tools.base import SandboxSettings
from agents.tools.gitcli import GitLayout
from agents.tools.sandbox import CommandOptions, SandboxRunner, SandboxUnavailable

MAX_ANNOTATIONS = 50
_FRAME = re.compile(r'^\s*File "(?P<path>[^"]+)", line (?P<line>\d+)')
# The exception line that ends a traceback, e.g. "AssertionError: 'hi' != 'hello'".
_RAISED = re.compile(r"^(?P<name>[A-Za-z_][\w.]*(Error|Exception|Failure))(: (?P<msg>.*))?$")


@dataclass(frozen=True)
class TestReport:
    command: str
    passed: bool
    output: str
    annotations: tuple[Annotation, ...]

    @property
    def conclusion(self) -> str:
        return "success" if self.passed else "failure"

    def check_output(self) -> CheckRunOutput:
        verdict = "passed" if self.passed else "failed"
        summary = f"`{self.command}` {verdict}."
        if self.annotations:
            summary += f" {len(self.annotations)} failure(s) annotated."
        # The git host trims this to GitHub's limit and says where the full output is.
        text = f"```\n{self.output}\n```"
        return CheckRunOutput(f"Tests {verdict}", summary, text, self.annotations)


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
) -> TestReport:
    try:
        outcome = runner.run(
            ["bash", "-c", command],
            workspace=root,
            cwd=root,
            settings=settings,
            options=CommandOptions(git=git),
        )
    except SandboxUnavailable as exc:
        return TestReport(command, False, str(exc), ())
    passed = outcome.exit_code == 0
    annotations = () if passed else failure_annotations(outcome.output, root)
    return TestReport(command, passed, outcome.output, annotations)
