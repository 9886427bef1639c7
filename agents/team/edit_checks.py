"""What an edit tool's result says after the edit: the syntax of each edited file and,
when the repository configures one, its lint command's findings on those files.

A model that learns of a broken file only when the tests fail, many calls later, has
to find which of its edits broke it; here it learns with the edit that did.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from agents.tools.base import ToolContext, ToolError
from agents.tools.sandbox import CommandOptions, SandboxRunner
from agents.tools.syntax import check_files, checkable

LINT_OUTPUT_CHARS = 3_000


def syntax_report(context: ToolContext, paths: Sequence[str]) -> str | None:
    root = context.workspace
    present = [p for p in paths if (root / p).is_file()]
    problems = check_files(root, present)
    if problems:
        return "Syntax check FAILED; fix this before going on:\n" + "\n".join(problems)
    checked = [p for p in present if checkable(p)]
    return f"Syntax check passed: {', '.join(checked)}." if checked else None


@dataclass(frozen=True)
class EditChecks:
    """Syntax check, then the repository's lint command (run in the task's sandbox)."""

    runner: SandboxRunner
    lint_command: str | None = None

    def __call__(self, context: ToolContext, paths: Sequence[str]) -> str | None:
        reports = [syntax_report(context, paths)]
        present = [p for p in paths if (context.workspace / p).is_file()]
        if self.lint_command and present:
            reports.append(self._lint(context, present))
        shown = [r for r in reports if r]
        return "\n".join(shown) if shown else None

    def _lint(self, context: ToolContext, paths: Sequence[str]) -> str:
        assert self.lint_command is not None
        command = f"{self.lint_command} {' '.join(shlex.quote(p) for p in paths)}"
        note = ""
        try:
            settings = context.sandbox
            if context.environment is not None:
                # The linter is often one the repository's setup step installed; the setup
                # step's note (it ran, or it failed and why) is said once, here if first.
                prepared = context.environment.command_settings(settings)
                settings, note = prepared.sandbox, prepared.note
            outcome = self.runner.run(
                ["bash", "-c", command],
                workspace=context.workspace.resolve(),
                cwd=context.workspace.resolve(),
                settings=settings,
                options=CommandOptions(git=context.git),
            )
        except ToolError as exc:
            return f"Lint (`{command}`) could not run: {exc}"
        prefix = f"{note}\n" if note else ""
        if outcome.exit_code == 0:
            return f"{prefix}Lint (`{command}`): clean."
        output = outcome.output.strip()
        if len(output) > LINT_OUTPUT_CHARS:
            output = "[...]\n" + output[-LINT_OUTPUT_CHARS:]
        status = f"exit code {outcome.exit_code}" if outcome.exit_code is not None else "killed"
        return f"{prefix}Lint (`{command}`) reported problems ({status}):\n{output}"
