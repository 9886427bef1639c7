"""Usage and cost, summed in SQL by project, role, model and UTC day, with date filters."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from agents.providers.llm import LLM
from agents.providers.provider_config import LLMConfig
from agents.providers.registry import ProviderRegistry
from agents.providers.scripted import ScriptedModel
from agents.providers.types import ChatMessage
from bot.api.types import Role
from storage.sql.models import Project, Usage
from storage.usage import SqlUsageSink
from tests.api.support import ApiHarness


def _seed(api: ApiHarness) -> tuple[int, int]:
    with api.database.session() as session:
        a, b = Project(name="octo/a"), Project(name="octo/b")
        session.add_all([a, b])
        session.flush()

        def use(
            project: int | None, role: str, model: str, day: int, hour: int, tokens: int, cost: str
        ) -> Usage:
            return Usage(
                provider="anthropic", model=model, project_id=project, role=role,
                input_tokens=tokens, output_tokens=tokens // 10, cache_read_tokens=1,
                cost_usd=Decimal(cost), created_at=datetime(2026, 3, day, hour, 30, tzinfo=UTC),
            )  # fmt: skip

        session.add_all(
            [
                use(a.id, "reviewer", "m1", 1, 0, 1000, "0.010000"),
                use(a.id, "reviewer", "m1", 1, 23, 500, "0.005000"),
                use(a.id, "qa", "m2", 2, 12, 200, "0.002500"),
                use(b.id, "reviewer", "m1", 2, 1, 100, "0.001000"),
                use(None, "pm", "m2", 3, 9, 50, "0.000500"),
            ]
        )
        return a.id, b.id


def test_usage_grouped_by_every_dimension(api: ApiHarness) -> None:
    _seed(api)
    admin = api.auth(api.key(Role.ADMIN))
    report = api.client.get("/api/v1/usage", headers=admin).json()
    assert report["group_by"] == ["project", "role", "model", "day"]
    rows = {(r["project"], r["role"], r["model"], r["day"]): r for r in report["rows"]}
    first = rows[("octo/a", "reviewer", "m1", "2026-03-01")]
    assert (first["calls"], first["input_tokens"], first["output_tokens"]) == (2, 1500, 150)
    assert Decimal(first["cost_usd"]) == Decimal("0.015")
    assert (None, "pm", "m2", "2026-03-03") in rows
    assert report["total"]["calls"] == 5
    assert report["total"]["input_tokens"] == 1850
    assert report["total"]["cache_read_tokens"] == 5
    assert Decimal(report["total"]["cost_usd"]) == Decimal("0.019")


def test_usage_by_day_with_date_filters(api: ApiHarness) -> None:
    _seed(api)
    admin = api.auth(api.key(Role.ADMIN))
    params = {"group_by": "day", "since": "2026-03-01", "until": "2026-03-02"}
    report = api.client.get("/api/v1/usage", params=params, headers=admin).json()
    assert [(r["day"], r["calls"], r["input_tokens"]) for r in report["rows"]] == [
        ("2026-03-01", 2, 1500),
        ("2026-03-02", 2, 300),
    ]
    assert report["rows"][0]["project"] is None
    by_model = api.client.get(
        "/api/v1/usage", params={"group_by": "model", "project": "octo/a"}, headers=admin
    ).json()
    assert [(r["model"], r["calls"]) for r in by_model["rows"]] == [("m1", 2), ("m2", 1)]


def test_project_key_sees_only_its_usage(api: ApiHarness) -> None:
    _a, b = _seed(api)
    viewer = api.auth(api.key(Role.VIEWER, b))
    report = api.client.get("/api/v1/usage?group_by=project", headers=viewer).json()
    assert [(r["project"], r["calls"]) for r in report["rows"]] == [("octo/b", 1)]
    hidden = api.client.get("/api/v1/usage?project=octo/a", headers=viewer)
    assert hidden.status_code == 404


def test_usage_rejects_bad_filters(api: ApiHarness) -> None:
    admin = api.auth(api.key(Role.ADMIN))
    bad_dim = api.client.get("/api/v1/usage?group_by=project,colour", headers=admin)
    assert bad_dim.status_code == 422
    backwards = api.client.get("/api/v1/usage?since=2026-03-05&until=2026-03-01", headers=admin)
    assert backwards.status_code == 422
    assert backwards.json()["error"]["fields"][0]["field"] == "until"
    bad_date = api.client.get("/api/v1/usage?since=yesterday", headers=admin)
    assert bad_date.status_code == 422


def test_calls_to_unpriced_models_are_counted_not_shown_as_free(api: ApiHarness) -> None:
    with api.database.session() as session:
        project = Project(name="octo/c")
        session.add(project)
        session.flush()
        at = datetime(2026, 3, 4, 10, tzinfo=UTC)

        def use(model: str, cost: str, known: bool) -> Usage:
            return Usage(
                provider="openai", model=model, project_id=project.id, role="qa",
                input_tokens=10, output_tokens=1, cost_usd=Decimal(cost), cost_known=known,
                created_at=at,
            )  # fmt: skip

        session.add_all(
            [use("gpt-4.1", "0.002000", True), use("mine", "0", False), use("mine", "0", False)]
        )
    admin = api.auth(api.key(Role.ADMIN))
    report = api.client.get("/api/v1/usage", params={"group_by": "model"}, headers=admin).json()
    rows = {r["model"]: r for r in report["rows"]}
    assert rows["mine"]["cost_usd"] is None and rows["mine"]["unpriced_calls"] == 2
    assert Decimal(rows["gpt-4.1"]["cost_usd"]) == Decimal("0.002")
    assert rows["gpt-4.1"]["unpriced_calls"] == 0
    # The total keeps the known part and says how many calls it leaves out.
    assert Decimal(report["total"]["cost_usd"]) == Decimal("0.002")
    assert report["total"]["unpriced_calls"] == 2


async def test_the_llm_records_unpriced_calls_as_such(api: ApiHarness) -> None:
    config = LLMConfig(default_model="openai:mine")
    model = ScriptedModel(["a", "b"], provider_id="openai")
    llm = LLM(
        config,
        registry=ProviderRegistry(config, factories={}, providers={"openai": model}),
        usage=SqlUsageSink(api.database),
    )
    await llm.chat("qa", [ChatMessage.user("hi")])
    await llm.chat("openai:gpt-4.1", [ChatMessage.user("hi")])
    with api.database.session() as session:
        rows = session.query(Usage.model, Usage.cost_known).order_by(Usage.id).all()
    assert [tuple(r) for r in rows] == [("mine", False), ("gpt-4.1", True)]
