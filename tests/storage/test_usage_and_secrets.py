"""The usage table writer and the encrypted secret store, on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from storage.secrets import SecretKeyError, SecretStore, derive_fernet_key
from storage.sql.database import Database
from storage.sql.models import StoredSecret, Usage
from storage.tasks import NewTask, create_task
from storage.usage import SqlUsageSink, usage_totals
from storage.usage_record import UsageRecord


def _record(sink: SqlUsageSink, **overrides: object) -> None:
    values: dict[str, object] = {
        "provider": "anthropic",
        "model": "claude-sonnet-4-6",
        "input_tokens": 100,
        "output_tokens": 20,
        "cache_read_tokens": 300,
        "cache_write_tokens": 40,
        "cost_usd": 0.000123,
        "latency_ms": 850,
        "ok": True,
        "task_id": None,
        "project_id": None,
        "role": "developer",
    }
    values.update(overrides)
    sink.record(UsageRecord(**values))  # type: ignore[arg-type]


def test_usage_rows_are_written_and_summed(database: Database) -> None:
    with database.session() as session:
        task, _ = create_task(session, NewTask(kind="implement"))
        task_id = task.id
    sink = SqlUsageSink(database)
    _record(sink, task_id=task_id)
    _record(
        sink,
        task_id=task_id,
        ok=False,
        input_tokens=0,
        output_tokens=0,
        cost_usd=0.0,
        cache_read_tokens=0,
        cache_write_tokens=0,
    )
    _record(sink, provider="openai", model="gpt-4.1", cost_usd=0.5)
    with database.session() as session:
        rows = session.scalars(select(Usage).order_by(Usage.id)).all()
        assert [(r.provider, r.ok, r.task_id) for r in rows] == [
            ("anthropic", True, task_id),
            ("anthropic", False, task_id),
            ("openai", True, None),
        ]
        assert rows[0].cost_usd == Decimal("0.000123")
        assert (rows[0].cache_read_tokens, rows[0].cache_write_tokens) == (300, 40)
    for_task = usage_totals(database, task_id=task_id)
    assert (for_task.calls, for_task.failed_calls, for_task.input_tokens) == (2, 1, 100)
    assert for_task.cost_usd == Decimal("0.000123")
    everything = usage_totals(database)
    assert everything.calls == 3 and everything.cost_usd == Decimal("0.500123")


def test_secrets_round_trip_encrypted_at_rest(database: Database) -> None:
    store = SecretStore(database, "a long random service secret")
    store.put("openai_api_key", "sk-live-123456")
    assert store.get("openai_api_key") == "sk-live-123456"
    with database.session() as session:
        stored = session.get(StoredSecret, "openai_api_key")
        assert stored is not None
        assert b"sk-live" not in bytes(stored.ciphertext)
    store.put("openai_api_key", "sk-rotated")
    assert store.get("openai_api_key") == "sk-rotated"
    assert store.names() == ["openai_api_key"]
    assert store.delete("openai_api_key") is True
    assert store.get("openai_api_key") is None
    assert store.delete("openai_api_key") is False


def test_a_different_key_cannot_read_secrets(database: Database) -> None:
    SecretStore(database, "the old key").put("anthropic_api_key", "sk-ant-secret")
    with pytest.raises(SecretKeyError) as caught:
        SecretStore(database, "a new key").get("anthropic_api_key")
    assert "CODEMONKEY_SECRET_KEY" in str(caught.value)
    assert "sk-ant-secret" not in str(caught.value)


def test_secret_store_hides_its_key_and_refuses_an_empty_one(database: Database) -> None:
    assert "key hidden" in repr(SecretStore(database, "k" * 20))
    with pytest.raises(ValueError, match="CODEMONKEY_SECRET_KEY"):
        derive_fernet_key("")
