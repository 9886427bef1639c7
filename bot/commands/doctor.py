"""`codemonkey doctor`: check every backend and provider, and print a fix for each problem."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from agents.providers.probe import check_models, check_providers
from agents.providers.provider_config import LLMConfig
from agents.providers.redact import redact_urls
from bot.backends import embedder_from, kv_from, storage_checks, vector_store_from
from bot.config_keys import unknown_file_keys, unknown_variables
from bot.doctor_report import DoctorReport
from bot.llm_config import llm_config, secret_store
from bot.readiness import Check, run_checks
from bot.sandbox_setup import sandbox_check
from bot.settings import Settings
from storage.checks import CheckResult
from storage.extras import MissingExtraError
from storage.sql.database import Database
from storage.vectors import ChromaVectorStore, NoVectorStore


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "doctor",
        help="check the database, Redis, Chroma, embeddings, the command sandbox and model "
        "providers",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds to wait for each provider"
    )
    parser.set_defaults(handler=run)


def run(settings: Settings, args: argparse.Namespace) -> int:
    database = Database(settings.effective_database_url)
    kv = kv_from(settings)
    embedder = embedder_from(settings)
    missing: str | None = None
    vectors: ChromaVectorStore | NoVectorStore
    try:
        vectors = vector_store_from(settings, embedder)
    except MissingExtraError as exc:
        vectors, missing = NoVectorStore(), str(exc)
    # The embedder serves only the semantic index: not checked when that is off.
    indexing = settings.semantic_index is not False and missing is None
    try:
        checks = storage_checks(database, kv, vectors, embedder if indexing else None, settings)
        if missing is not None:
            failed = CheckResult("vectors", False, missing)
            checks = [
                Check("vectors", lambda: failed) if c.name == "vectors" else c for c in checks
            ]
        results = run_checks([*checks, sandbox_check(settings)])
        config = _llm_config(settings, database)
        needed = _providers_in_use(settings)
        providers = asyncio.run(check_providers(config, timeout_seconds=args.timeout))
        models = asyncio.run(
            check_models(config, providers, _models_in_use(settings), timeout_seconds=args.timeout)
        )
    finally:
        kv.close()
        database.dispose()
    file_problems = unknown_file_keys()
    report = DoctorReport(results, providers, models, needed, file_problems, unknown_variables())
    if args.json:
        print(redact_urls(json.dumps(report.as_json(), indent=2)))
    else:
        report.print()
    storage_ok = all(t.result.ok for t in results)
    # Only the providers the configured models use must answer; the others are informational.
    providers_ok = all(p.ok for p in providers if p.name in needed)
    models_ok = all(m.listed is not False for m in models)
    if not providers_ok or not models_ok:
        print(
            f"The configured models use {', '.join(sorted(needed))}; fix what is marked FAIL "
            "above or choose other models (CODEMONKEY_DEFAULT_MODEL, CODEMONKEY_ROLE_MODELS, "
            "CODEMONKEY_FALLBACK_MODELS).",
            file=sys.stderr,
        )
    return 0 if storage_ok and providers_ok and models_ok and not file_problems else 1


def _llm_config(settings: Settings, database: Database) -> LLMConfig:
    """With the stored keys; an unreadable database is already reported by its own check."""
    try:
        return llm_config(settings, secret_store(settings, database))
    except SQLAlchemyError:
        return llm_config(settings)


def _models_in_use(settings: Settings) -> list[str]:
    models = [settings.default_model, *settings.role_models.values()]
    models += [m for chain in settings.fallback_models.values() for m in chain]
    models += [key for key in settings.fallback_models if ":" in key]
    return list(dict.fromkeys(models))


def _providers_in_use(settings: Settings) -> set[str]:
    return {model.split(":", 1)[0] for model in _models_in_use(settings)}
