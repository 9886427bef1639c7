"""Builds the handler registry a worker uses. Product task kinds get registered here."""

from __future__ import annotations

from bot.queue.builtin_handlers import register_builtin
from bot.queue.handlers import HandlerRegistry
from bot.settings import Settings


def build_handlers(settings: Settings) -> HandlerRegistry:
    registry = HandlerRegistry()
    register_builtin(registry, settings.data_dir)
    return registry
