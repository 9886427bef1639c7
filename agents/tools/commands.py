"""run_command: a shell command in the task's workspace, inside the sandbox."""

from __future__ import annotations

import signal
from dataclasses import dataclass, field, replace
from typing import Any

from agents.tools.base import ToolContext, ToolError, ToolResult
from agents.tools.paths import resolve
from agents.tools.sandbox import CommandOptions, CommandOutcome, SandboxRunner


def describe(outcome: CommandOutcome, ctx: ToolContext, timeout: float) -> str:
    if outcome.timed_out:
        return (
            f"[killed after the {timeout:g}s wall-time limit; run something quicker, "
            f"narrow it, or pass a larger timeout_seconds (at most "
            f"{ctx.sandbox.timeout_seconds:g})]"
        )
    if outcome.limit_hit == "memory":
        return (
            f"[killed: the command's processes together used more than the "
            f"{ctx.sandbox.memory_bytes // 1024**2} MB memory limit; run less at once]"
        )
    if outcome.limit_hit == "processes":
        return (
            f"[killed: more than {ctx.sandbox.max_processes} processes and threads at once; "
            "look for runaway forking or lower the parallelism]"
        )
    if outcome.cpu_limited:
        return (
            f"[killed: the CPU-time limit of {ctx.sandbox.cpu_seconds}s was exceeded; "
            "look for an endless loop or run less at once]"
        )
    if outcome.signal is not None:
        name = signal.Signals(outcome.signal).name
        hint = "; the memory limit may have been reached" if name == "SIGKILL" else ""
        return f"[killed by {name}{hint}]"
    return f"[exit code {outcome.exit_code} after {outcome.duration_seconds:.1f}s]"


@dataclass(frozen=True)
class RunCommandTool:
    runner: SandboxRunner
    name: str = "run_command"
    # A command may append or call out: after a crash it is reported, not repeated.
    replay_safe: bool = False
    description: str = (
        "Run a shell command (bash -c) in the repository: tests, linters, builds. There is "
        "no network and no credentials; time, CPU, memory and output are limited. Output "
        "is stdout and stderr combined; a long output keeps its beginning and end."
    )
    parameters: dict[str, Any] = field(
        default_factory=lambda: {
            "type": "object",
            "properties": {
                "command": {"type": "string"},
                "cwd": {"type": "string", "description": "directory; default the root"},
                "timeout_seconds": {"type": "number", "exclusiveMinimum": 0},
            },
            "required": ["command"],
            "additionalProperties": False,
        }
    )

    def run(self, ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
        command: str = args["command"]
        if not command.strip():
            raise ToolError("the command is empty; give the shell command to run")
        cwd, _ = resolve(ctx, args.get("cwd", "."))
        if not cwd.is_dir():
            raise ToolError(f"cwd {args.get('cwd')!r} is not a directory in the repository")
        timeout = min(
            float(args.get("timeout_seconds", ctx.sandbox.timeout_seconds)),
            ctx.sandbox.timeout_seconds,
        )
        note = ""
        settings = ctx.sandbox
        if ctx.environment is not None:
            prepared = ctx.environment.command_settings(settings)
            settings, note = prepared.sandbox, prepared.note
        if timeout != settings.timeout_seconds:
            settings = replace(settings, timeout_seconds=timeout)
        outcome = self.runner.run(
            ["bash", "-c", command],
            workspace=ctx.workspace.resolve(),
            cwd=cwd,
            settings=settings,
            options=CommandOptions(git=ctx.git),
        )
        text = f"{note}\n" if note else ""
        text += f"$ {command}\n{outcome.output}"
        if not text.endswith("\n"):
            text += "\n"
        text += describe(outcome, ctx, timeout)
        if settings.read_only_workspace and "Read-only file system" in outcome.output:
            text += "\n[the repository is mounted read-only for this role: commands cannot edit it]"
        if outcome.git_tampered is not None:
            text += f"\n[{outcome.git_tampered}]"
        # A command stopped at a limit failed, even if its shell got to exit 0 first.
        stopped = outcome.timed_out or outcome.limit_hit is not None
        ok = outcome.exit_code == 0 and outcome.git_tampered is None and not stopped
        return ToolResult(ok=ok, output=text)
