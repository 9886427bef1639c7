"""What /readyz checks depends on what the process does: only a process that runs tasks
(embedded mode) reports the command sandbox; with RQ the workers run the commands."""

from __future__ import annotations

from pathlib import Path

from bot.queue.registry_factory import register_handlers
from bot.services import build_services
from tests.bot.v1_support import v1_settings
from tests.conftest import REDIS_URL


def _names(tmp_path: Path, **overrides: str) -> list[str]:
    services = build_services(v1_settings(tmp_path, **overrides), register_handlers)
    try:
        return [check.name for check in services.checks()]
    finally:
        services.close()


def test_embedded_mode_reports_the_sandbox(tmp_path: Path) -> None:
    assert "sandbox" in _names(tmp_path)


def test_the_app_in_front_of_rq_workers_does_not(tmp_path: Path) -> None:
    names = _names(tmp_path, redis_url=REDIS_URL)
    assert "queue" in names and "database" in names and "sandbox" not in names
