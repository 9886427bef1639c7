"""Finding 8: no secret in what API clients and operators are shown.

The attacks: a `/v1` chat call whose upstream answers 401 with a body, while the upstream
base URL carries a password (the old answer quoted the URL, its password and the
upstream's text); a viewer key spending model budget through `/v1`; `codemonkey config`
and `codemonkey doctor` printing a base URL's password.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from agents.providers.scripted import ScriptedModel
from bot.api.keys import create_key
from bot.api.types import Role
from bot.app import create_app
from bot.cli import main
from bot.queue.registry_factory import register_handlers
from bot.services import build_services
from tests.bot.test_doctor import PROVIDER_VARIABLES
from tests.bot.v1_support import v1_settings
from tests.fakes.llm.server import serve

PASSWORD = "pw-9f8e7d-never-shown"
UPSTREAM_TEXT = "UPSTREAM-ONLY: key sk-proj-abc123 of org-secret-42 is invalid"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def _refuse(request: Request) -> JSONResponse:
    error = {"message": UPSTREAM_TEXT, "type": "invalid_request_error", "code": "invalid_api_key"}
    return JSONResponse({"error": error}, status_code=401)


@pytest.fixture(params=["refusing", "unreachable"])
def upstream(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """An OpenAI-compatible upstream that refuses every key, or none listening; either way
    its base URL carries a password. Yields the base URL and the error code expected."""
    if request.param == "unreachable":
        url = f"http://proxyuser:{PASSWORD}@127.0.0.1:{_closed_port()}/v1"
        yield url, "upstream_unreachable"
        return
    app = Starlette(routes=[Route("/v1/{rest:path}", _refuse, methods=["GET", "POST"])])
    with serve(app) as served:
        url = served.replace("http://", f"http://proxyuser:{PASSWORD}@") + "/v1"
        yield url, "upstream_authentication"


def _chat(client: TestClient, key: str, model: str) -> httpx2.Response:
    return client.post(
        "/v1/chat/completions",
        headers={"authorization": f"Bearer {key}"},
        json={"model": model, "messages": [{"role": "user", "content": "hello"}]},
    )


# A role agent (through the SDK), and gateway mode's raw pass-through of upstream bytes.
@pytest.mark.parametrize("model", ["codemonkey/qa", "openai/gpt-4o-mini"])
def test_v1_errors_carry_no_upstream_url_password_or_text(
    tmp_path: Path, upstream: tuple[str, str], model: str
) -> None:
    base_url, expected_code = upstream
    settings = v1_settings(
        tmp_path,
        default_model="openai:gpt-4o-mini",
        openai_api_key="sk-server-key",
        openai_base_url=base_url,
        gateway_mode=model.startswith("openai/"),
        llm_max_retries=0,
    )
    services = build_services(settings, register_handlers)
    with services.database.session() as session:
        member = create_key(session, name="member", role=Role.MEMBER, project_id=None).secret
    try:
        with TestClient(create_app(services)) as client:
            refused = _chat(client, member, model)
    finally:
        services.close()
    assert refused.status_code == 502, refused.text
    assert refused.json()["error"]["code"] == expected_code
    for leaked in (PASSWORD, "proxyuser", "127.0.0.1", "UPSTREAM-ONLY", "sk-proj", "org-secret"):
        assert leaked not in refused.text, f"{leaked!r} reached the API client"


def test_a_viewer_key_cannot_spend_model_budget(tmp_path: Path) -> None:
    services = build_services(v1_settings(tmp_path), register_handlers)
    model = ScriptedModel(["spent"])
    services.llm.registry.register("scripted", model)
    with services.database.session() as session:
        viewer = create_key(session, name="viewer", role=Role.VIEWER, project_id=None).secret
    try:
        with TestClient(create_app(services)) as client:
            as_viewer = _chat(client, viewer, "codemonkey/qa")
            models = client.get("/v1/models", headers={"authorization": f"Bearer {viewer}"})
    finally:
        services.close()
    assert as_viewer.status_code == 403, as_viewer.text
    error = as_viewer.json()["error"]
    assert error["type"] == "invalid_request_error" and error["code"] == "permission_denied"
    assert model.requests == []
    assert models.status_code == 200  # viewers may still see what exists


@pytest.fixture
def credentialed_urls(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in PROVIDER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    port = _closed_port()
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://u:{PASSWORD}@127.0.0.1:{port}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OLLAMA_HOST", f"http://o:{PASSWORD}@127.0.0.1:{port}")
    monkeypatch.setenv("CODEMONKEY_DEFAULT_MODEL", "openai:gpt-4o-mini")


@pytest.mark.parametrize(
    "argv", [["config"], ["doctor", "--timeout", "2"], ["doctor", "--json", "--timeout", "2"]]
)
def test_config_and_doctor_redact_every_url(
    credentialed_urls: None, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    main(argv)
    captured = capsys.readouterr()
    shown = captured.out + captured.err
    assert "127.0.0.1" in shown  # the URLs are shown, only without their password
    assert PASSWORD not in shown
    if "--json" in argv:
        providers = {p["name"]: p for p in json.loads(captured.out)["providers"]}
        assert providers["openai"]["base_url"].startswith("http://u:***@127.0.0.1")
