"""The tool contract: what a tool is, what it gets, what it returns, and the registry.

A tool is any object with `name`, `description`, `parameters` (a JSON Schema object),
`replay_safe` and `run(ctx, args) -> ToolResult`, raising `ToolError` for a failure the
model can fix. The context is what the tool works on: workspace tools (beside this module)
get a `ToolContext`, the team and GitHub tools the agent loop's `CallContext`
(`agents.runtime.ports`); the shape is the same. A `ToolRegistry` is the single place where
model-supplied arguments are validated (by `agents.tools.arguments`) and where a
`ToolError` becomes a failed `ToolResult` the model can read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Literal, Protocol, TypeVar, runtime_checkable

from jsonschema import Draft202012Validator

from agents.git.process import GitLayout
from agents.providers.types import ToolSpec
from agents.tools.arguments import arguments_problem, compiled

ContextT = TypeVar("ContextT")
ContextT_contra = TypeVar("ContextT_contra", contravariant=True)

DEFAULT_PROTECTED_PATHS: tuple[str, ...] = (".github/workflows/**",)

# "podman"/"docker" run each command in a container of `SandboxSettings.image`;
# "unsafe-host" runs commands on the host with rlimits only: an explicit, visible opt-in.
SandboxBackend = Literal["auto", "bwrap", "podman", "docker", "unsafe-host"]


class ToolError(Exception):
    """An expected failure; its message goes back to the model and says how to fix the call."""


@dataclass(frozen=True)
class ToolResult:
    """What every tool returns (workspace, team and GitHub tools alike); the agent loop
    persists it as a `tool_result` step (`agents.runtime.loop`)."""

    ok: bool
    output: str
    # Workspace-relative POSIX paths the tool created, modified or deleted.
    changed_paths: tuple[str, ...] = ()
    # The run is over (the `finish` tool); `output` is the summary.
    finished: bool = False
    # Something left the agent (a comment, a question, a delegated task): counts as progress.
    communicated: bool = False
    # JSON-serialisable details for the caller (ids of created tasks, comment URLs).
    data: Mapping[str, Any] = field(default_factory=dict)

    @staticmethod
    def error(message: str) -> ToolResult:
        return ToolResult(ok=False, output=message)


@dataclass(frozen=True)
class SandboxSettings:
    """Limits and isolation for `run_command`."""

    backend: SandboxBackend = "auto"
    timeout_seconds: float = 300.0
    cpu_seconds: int = 240
    # Memory, processes (and threads) and CPU seconds of the command's whole process tree.
    memory_bytes: int = 4 * 1024**3
    max_processes: int = 256
    max_output_bytes: int = 64 * 1024
    # Largest file a command may write (RLIMIT_FSIZE).
    max_file_bytes: int = 1024**3
    # Environment variables copied from the parent when set (secret-looking names never are).
    env_allow: tuple[str, ...] = ("LANG", "LC_ALL", "TZ")
    # Fixed variables for every command, e.g. {"PIP_NO_INDEX": "1"}.
    extra_env: Mapping[str, str] = field(default_factory=dict)
    # Extra host directories visible read-only inside bubblewrap (toolchains, virtualenvs).
    ro_paths: tuple[str, ...] = ()
    # Only a repository's setup step turns this on (to reach package registries).
    network: bool = False
    # Directories searched before the standard PATH (a prepared virtualenv's bin).
    path_prefix: tuple[str, ...] = ()
    # Extra host directories writable inside bubblewrap (the environment a setup prepares).
    rw_paths: tuple[str, ...] = ()
    # A host directory kept between commands and used as HOME and TMPDIR (None: a fresh
    # one per command).
    scratch_dir: str | None = None
    # Mount the workspace read-only (for roles that read and run but must not edit).
    # Only bubblewrap can enforce it; the other backends refuse such commands.
    read_only_workspace: bool = False
    # The container image commands run in (the container backends; with `auto`, a working
    # Podman or Docker is used for it instead of bubblewrap). None: no container.
    image: str | None = None


@dataclass(frozen=True)
class CommandSettings:
    """How one command runs: the sandbox settings, and a note for its output ('' if none)."""

    sandbox: SandboxSettings
    note: str = ""


@runtime_checkable
class CommandEnvironment(Protocol):
    """A task's prepared environment (a repository's setup, a scratch directory)."""

    def command_settings(self, base: SandboxSettings) -> CommandSettings:
        """`base` with the environment laid over it; may run the setup step first."""
        ...


@dataclass(frozen=True)
class ToolContext:
    """Everything a tool may touch: one task's workspace and its limits."""

    workspace: Path
    task_id: int | None = None
    # Where the workspace's git metadata is, as recorded when the service made it; None for
    # a plain repository (its `.git` directory) or a directory that is not a git checkout.
    git: GitLayout | None = None
    protected_paths: tuple[str, ...] = DEFAULT_PROTECTED_PATHS
    sandbox: SandboxSettings = field(default_factory=SandboxSettings)
    # None: commands run with the sandbox settings alone.
    environment: CommandEnvironment | None = None
    max_read_bytes: int = 100_000
    max_read_lines: int = 2_000
    max_search_results: int = 200
    # Wall-clock limit of one search_files call, whichever engine runs it.
    search_seconds: float = 10.0
    max_list_results: int = 2_000


@runtime_checkable
class Tool(Protocol[ContextT_contra]):
    @property
    def name(self) -> str: ...

    @property
    def description(self) -> str: ...

    @property
    def parameters(self) -> dict[str, Any]:
        """A JSON Schema object describing `args`."""
        ...

    @property
    def replay_safe(self) -> bool:
        """Re-running after a crash cannot repeat a side effect (read-only or keyed)."""
        ...

    def run(self, ctx: ContextT_contra, args: dict[str, Any]) -> ToolResult: ...


@dataclass(frozen=True)
class FunctionTool(Generic[ContextT]):
    """A tool made from a plain function; the usual way to write one."""

    name: str
    description: str
    parameters: dict[str, Any]
    function: Callable[[ContextT, dict[str, Any]], ToolResult]
    replay_safe: bool = False

    def run(self, ctx: ContextT, args: dict[str, Any]) -> ToolResult:
        return self.function(ctx, args)


class ToolRegistry(Generic[ContextT]):
    """Tools by name; validates arguments and turns a `ToolError` into a failed result.

    With `contain_failures` (the workspace tools), any other exception is logged and
    reported to the model too; without it (the agent loop's team and GitHub tools), it
    propagates and ends the run (credentials, rate limits: the model cannot fix those)."""

    def __init__(
        self,
        tools: Iterable[Tool[ContextT]] = (),
        *,
        logger: logging.Logger | None = None,
        contain_failures: bool = True,
    ):
        self._tools: dict[str, Tool[ContextT]] = {}
        self._validators: dict[str, Draft202012Validator] = {}
        self._log = logger or logging.getLogger(__name__)
        self._contain = contain_failures
        for tool in tools:
            self.register(tool)

    def register(self, tool: Tool[ContextT]) -> None:
        if tool.name in self._tools:
            raise ValueError(f"a tool named {tool.name!r} is already registered; rename one")
        validator = compiled(tool.name, tool.parameters)
        self._tools[tool.name] = tool
        self._validators[tool.name] = validator

    def names(self) -> tuple[str, ...]:
        return tuple(self._tools)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def replay_safe(self, name: str) -> bool:
        tool = self._tools.get(name)
        return tool is not None and tool.replay_safe

    def get(self, name: str) -> Tool[ContextT]:
        try:
            return self._tools[name]
        except KeyError:
            raise KeyError(
                f"no tool named {name!r}; available: {', '.join(sorted(self._tools))}"
            ) from None

    def specs(self, names: Iterable[str] | None = None) -> list[ToolSpec]:
        """Specs for the named tools (all when `names` is None), in the order asked."""
        chosen = list(self._tools) if names is None else list(names)
        return [
            ToolSpec(tool.name, tool.description, tool.parameters)
            for tool in (self.get(n) for n in chosen)
        ]

    def validate(self, name: str, args: Any) -> str | None:
        """None when `args` fit the tool's schema, else a message for the model."""
        return arguments_problem(name, self._validators[name], args)

    def call(
        self,
        ctx: ContextT,
        name: str,
        args: Any,
        *,
        allowed: Collection[str] | None = None,
    ) -> ToolResult:
        """Run one tool call from the model; never raises.

        `allowed` limits the call to a role's tools (None allows every registered tool).
        """
        usable = [n for n in self._tools if allowed is None or n in allowed]
        if name not in usable:
            choices = ", ".join(sorted(usable)) or "(none: answer without tools)"
            return ToolResult.error(f"There is no tool named `{name}`; use one of: {choices}")
        problem = self.validate(name, args)
        if problem is not None:
            return ToolResult.error(problem)
        try:
            return self._tools[name].run(ctx, dict(args))
        except ToolError as exc:
            return ToolResult.error(str(exc))
        except Exception as exc:
            if not self._contain:
                raise
            # A bug in a tool must not end the agent's run; it is logged with its traceback
            # and reported to the model as a failed call.
            task = getattr(ctx, "task_id", None)
            self._log.exception("tool %s failed (task %s)", name, task)
            return ToolResult.error(
                f"{name} failed unexpectedly ({type(exc).__name__}: {exc}); "
                "try different arguments or another tool"
            )
