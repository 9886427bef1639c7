"""The assembled service: embedded workers, metrics, request ids, readiness."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
from starlette.testclient import TestClient

from bot.app import create_app
from bot.queue import builtin_handlers as builtin
from bot.queue.registry_factory import register_handlers
from bot.services import build_services
from storage.sql.models import TaskState
from storage.tasks import NewTask
from tests.bot.v1_support import eventually, served_v1, v1_settings
from webhooks.signature import sign

SECRET = "webhook-secret-for-tests"


def _metric(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith(f"{name}{{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no sample {name}{{{wanted}}} in /metrics")


def test_embedded_serve_runs_tasks_in_process_and_reports_metrics(tmp_path: Path) -> None:
    services = build_services(v1_settings(tmp_path), register_handlers)
    queue = services.embedded_queue
    assert queue is not None
    with TestClient(create_app(services)) as client:  # runs the lifespan: workers start
        task, _ = queue.store.create(NewTask(kind=builtin.NOOP))
        queue.enqueue([task.id])
        deadline = time.monotonic() + 20
        while (state := queue.store.get(task.id)) is not None and state.state != "succeeded":
            assert time.monotonic() < deadline, f"task still {state.state}"
            time.sleep(0.05)
        assert state is not None and state.state == TaskState.SUCCEEDED
        text = client.get("/metrics").text
        assert _metric(text, "codemonkey_task_duration_seconds_count", kind=builtin.NOOP) == 1
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "ready"


def test_webhooks_and_llm_calls_are_counted_and_requests_carry_ids(tmp_path: Path) -> None:
    settings = v1_settings(tmp_path, webhook_secret=SECRET)
    with served_v1(settings, ["hi"]) as app:
        body = json.dumps({"zen": "Keep it logically awesome.", "hook_id": 1}).encode()
        headers = {
            "content-type": "application/json",
            "x-github-event": "ping",
            "x-github-delivery": "11111111-2222-3333-4444-555555555555",
            "x-hub-signature-256": sign(SECRET.encode(), body),
            "x-request-id": "req-abc",
        }
        ok = httpx.post(f"{app.url}/webhooks/github", content=body, headers=headers)
        assert ok.status_code == 200 and ok.headers["x-request-id"] == "req-abc"
        forged = httpx.post(
            f"{app.url}/webhooks/github",
            content=body,
            headers={
                **{k: v for k, v in headers.items() if k != "x-request-id"},
                "x-hub-signature-256": "sha256=" + "0" * 64,
            },
        )
        assert forged.status_code == 401
        assert len(forged.headers["x-request-id"]) == 32  # generated when not given
        app.client().chat.completions.create(
            model="codemonkey/qa", messages=[{"role": "user", "content": "hello"}]
        )

        def metrics_with_llm_usage() -> str | None:
            text = httpx.get(f"{app.url}/metrics").text
            return text if "codemonkey_llm_tokens_total{" in text else None

        text = eventually(metrics_with_llm_usage)
    assert _metric(text, "codemonkey_webhook_deliveries_total", event="ping", outcome="ping") == 1
    assert (
        _metric(text, "codemonkey_webhook_deliveries_total", outcome="rejected-401", event="ping")
        == 1
    )
    assert (
        _metric(text, "codemonkey_llm_tokens_total", provider="scripted", direction="input") == 10
    )
    assert _metric(text, "codemonkey_http_requests_total", route="/v1/chat/completions") == 1
