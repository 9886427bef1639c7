"""The agent command sandbox as the service configures it, and its readiness check."""

from __future__ import annotations

from dataclasses import replace

from agents.tools.base import SandboxSettings
from agents.tools.sandbox import SandboxRunner
from bot.readiness import Check
from bot.settings import Settings
from storage.checks import CheckResult


def sandbox_runner(settings: Settings) -> SandboxRunner:
    return SandboxRunner(
        bwrap=settings.sandbox_bwrap_path,
        cgroup=settings.sandbox_cgroup,
        cgroup_parent=settings.sandbox_cgroup_parent,
    )


def sandbox_settings(settings: Settings) -> SandboxSettings:
    """The command sandbox's limits from the service settings."""
    return SandboxSettings(
        backend=settings.sandbox_backend,
        timeout_seconds=settings.command_timeout_seconds,
        cpu_seconds=settings.command_cpu_seconds,
        memory_bytes=settings.command_memory_mb * 1024**2,
        max_processes=settings.command_max_processes,
        max_output_bytes=settings.command_max_output_bytes,
        image=settings.sandbox_image,
    )


def repository_sandbox(settings: Settings, image: str | None) -> SandboxSettings:
    """The service's sandbox for a repository whose config may name an image."""
    base = sandbox_settings(settings)
    return base if image is None else replace(base, image=image)


def sandbox_check(settings: Settings, runner: SandboxRunner | None = None) -> Check:
    """Fails when agent commands would be refused; names the backend otherwise."""
    chosen = runner or sandbox_runner(settings)
    limits = sandbox_settings(settings)

    def run() -> CheckResult:
        status = chosen.status(limits)
        if status.name is None:
            return CheckResult("sandbox", False, status.detail)
        return CheckResult("sandbox", True, f"{status.name}: {status.detail}")

    return Check("sandbox", run)
