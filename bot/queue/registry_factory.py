"""The task handlers a worker runs: built-in diagnostics plus the product flows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.queue.builtin_handlers import register_builtin
from bot.queue.handlers import HandlerRegistry
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.services import Services


def build_handlers(settings: Settings) -> HandlerRegistry:
    """Only the built-in diagnostic kinds (deployment checks, tests, benchmarks)."""
    registry = HandlerRegistry()
    register_builtin(registry, settings.data_dir)
    return registry


def register_handlers(services: Services, registry: HandlerRegistry) -> None:
    """Every task kind the service runs; the one place product flows are registered."""
    from bot.flows.flow_table import (
        register_flows,
    )  # the flows import the services: no cycle at load

    register_builtin(registry, services.settings.data_dir)
    register_flows(services, registry)
