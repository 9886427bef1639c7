"""`codemonkey doctor`: check every backend and provider, and print a fix for each problem."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from agents.providers.health import ProviderStatus, check_providers
from bot.backends import embedder_from, kv_from, storage_checks, vector_store_from
from bot.health import TimedResult, run_checks
from bot.llm_config import llm_config
from bot.sandbox import sandbox_check
from bot.settings import Settings
from storage.sql.database import Database


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
    vectors = vector_store_from(settings, embedder)
    try:
        checks = storage_checks(database, kv, vectors, embedder, settings)
        results = run_checks([*checks, sandbox_check(settings)])
        providers = asyncio.run(check_providers(llm_config(settings), timeout_seconds=args.timeout))
    finally:
        kv.close()
        database.dispose()
    if args.json:
        print(json.dumps(_as_json(results, providers), indent=2))
    else:
        _print(results, providers)
    storage_ok = all(t.result.ok for t in results)
    # The providers the configured models use must answer; the others are informational.
    needed = _providers_in_use(settings)
    providers_ok = all(p.ok for p in providers if p.name in needed)
    if not providers_ok:
        print(
            f"The configured models use {', '.join(sorted(needed))}; fix the provider(s) "
            "marked FAIL above or choose other models (CODEMONKEY_DEFAULT_MODEL, "
            "CODEMONKEY_ROLE_MODELS).",
            file=sys.stderr,
        )
    return 0 if storage_ok and providers_ok else 1


def _providers_in_use(settings: Settings) -> set[str]:
    models = [settings.default_model, *settings.role_models.values()]
    models += [m for chain in settings.fallback_models.values() for m in chain]
    return {model.split(":", 1)[0] for model in models}


def _print(results: list[TimedResult], providers: list[ProviderStatus]) -> None:
    for timed in results:
        r = timed.result
        mark = "ok  " if r.ok else "FAIL"
        print(f"[{mark}] {r.name:<11} {r.detail}  ({timed.elapsed_ms:.0f} ms)")
    for p in providers:
        if not p.configured:
            print(f"[ -- ] {p.name:<11} {p.error or 'not configured'}")
        elif p.ok:
            models = ", ".join(p.models[:8]) + (" ..." if len(p.models) > 8 else "")
            print(f"[ok  ] {p.name:<11} {p.base_url}: {len(p.models)} models ({models})")
        else:
            print(f"[FAIL] {p.name:<11} {p.base_url}: {p.error}")


def _as_json(results: list[TimedResult], providers: list[ProviderStatus]) -> dict[str, Any]:
    return {
        "checks": [
            {"name": t.result.name, "ok": t.result.ok, "detail": t.result.detail} for t in results
        ],
        "providers": [
            {
                "name": p.name,
                "configured": p.configured,
                "ok": p.ok,
                "base_url": p.base_url,
                "models": list(p.models),
                "error": p.error,
            }
            for p in providers
        ],
    }
