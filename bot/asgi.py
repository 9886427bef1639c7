"""The app as an import string for servers that start their own processes:
`uvicorn --factory bot.asgi:app_from_environment` (what `codemonkey serve --workers N`
runs). Each process reads the settings from the environment and builds its own services,
so nothing is shared between processes but the database and Redis."""

from __future__ import annotations

from starlette.applications import Starlette

from bot.app import create_app
from bot.logs import configure_logging
from bot.queue.registry_factory import register_handlers
from bot.services import build_services
from bot.settings import load_settings


def app_from_environment() -> Starlette:
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(build_services(settings, register_handlers))
