"""Wrong inputs end in one line that says how to fix them and a non-zero exit, through the
real entry point; a traceback only with `--debug`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import fresh_postgres_database

ROOT = Path(__file__).resolve().parents[2]


def cli(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ.get("PATH", "/usr/bin"), "HOME": str(cwd), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=base | env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_line(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("CODEMONKEY_ROLE_MODELS", '{"reviewer": ', "CODEMONKEY_ROLE_MODELS is not valid JSON"),
        ("CODEMONKEY_REDIS_URL", "http://127.0.0.1:6379", "write redis://HOST:6379/0"),
        (
            "CODEMONKEY_DATABASE_URL",
            "postgres://bob:hunter2@db/cm",
            "write postgresql+psycopg://bob:***@db/cm",
        ),
        ("CODEMONKEY_DATABASE_URL", "mysql://bob:hunter2@db/cm", "runs on PostgreSQL"),
    ],
    ids=["role-models-json", "redis-scheme", "postgres-scheme", "mysql"],
)
def test_settings_that_cannot_work(
    variable: str, value: str, expected: str, tmp_path: Path
) -> None:
    line = one_line(cli(["config"], tmp_path, **{variable: value}), 2)
    assert line.startswith("codemonkey config: ") and expected in line
    assert "hunter2" not in line


def test_malformed_config_file(tmp_path: Path) -> None:
    (tmp_path / "codemonkey.yml").write_text("role_models: {reviewer: [\n")
    line = one_line(cli(["config"], tmp_path), 2)
    assert "codemonkey.yml is not valid YAML at line 2" in line and "fix the file" in line


def test_unreachable_postgres_in_keys(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://bob:hunter2@127.0.0.1:{closed_port()}/cm"
    line = one_line(cli(["keys", "list"], tmp_path, CODEMONKEY_DATABASE_URL=url), 1)
    assert "cannot reach the database" in line and "fix CODEMONKEY_DATABASE_URL" in line
    assert "hunter2" not in line


@pytest.mark.parametrize("command", [["keys", "list"], ["worker", "--burst"]])
def test_unmigrated_postgres(command: list[str], tmp_path: Path) -> None:
    with contextmanager(fresh_postgres_database)(create_tables=False) as database:
        url = database.url.render_as_string(hide_password=False)
        env = {"CODEMONKEY_DATABASE_URL": url, "CODEMONKEY_REDIS_URL": "redis://127.0.0.1:6379/0"}
        line = one_line(cli(command, tmp_path, **env), 1)
    assert "run `codemonkey migrate`" in line


def test_migrate_to_an_unknown_revision(tmp_path: Path) -> None:
    line = one_line(cli(["migrate", "9999"], tmp_path), 1)
    assert "Can't locate revision identified by '9999'" in line
    assert "run `codemonkey migrate`" in line and "0001" in line


def test_worker_without_redis(tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{closed_port()}/0"
    result = cli(["worker", "--burst"], tmp_path, CODEMONKEY_REDIS_URL=url)
    line = one_line(result, 1)
    assert f"cannot reach Redis at {url}" in line and "CODEMONKEY_REDIS_URL" in line


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = cli(["--debug", "migrate", "9999"], tmp_path)
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "CommandError" in result.stderr
