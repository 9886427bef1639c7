"""Building the storage backends the settings name, and their readiness checks.

Nothing here connects: clients connect on first use, so building is cheap and a command
that needs only the database never touches Redis or Chroma.
"""

from __future__ import annotations

from pathlib import Path

from bot.readiness import Check
from bot.settings import Settings, redact_url
from storage.checks import CheckResult
from storage.kv import KvBackends, build_kv, check_kv
from storage.sql import migrate
from storage.sql.database import Database
from storage.vectors import ChromaVectorStore, Embedder, NoVectorStore
from storage.vectors.factory import (
    build_embedder,
    build_vector_store,
    check_embedder,
    check_vector_store,
)


def kv_from(settings: Settings) -> KvBackends:
    return build_kv(settings.redis_url, prefix=settings.redis_key_prefix)


def embedder_from(settings: Settings) -> Embedder:
    openai_key = settings.openai_api_key
    return build_embedder(
        settings.embedding_provider,
        model=settings.embedding_model,
        model_dir=settings.embedding_model_dir,
        openai_api_key=openai_key.get_secret_value() if openai_key else None,
        openai_base_url=settings.openai_base_url,
        ollama_host=settings.ollama_host,
        dimension=settings.embedding_dimension,
        cache_dir=settings.data_dir / "models",
    )


def vector_store_from(settings: Settings, embedder: Embedder) -> ChromaVectorStore | NoVectorStore:
    """Chroma, or nothing when the semantic index is off; raises MissingExtraError when it
    is on and Chroma is not installed."""
    if settings.semantic_index is False:
        return NoVectorStore()
    return build_vector_store(settings.chroma_url, settings.chroma_path, embedder)


def database_check(database: Database, settings: Settings) -> Check:
    where = redact_url(settings.effective_database_url)

    def run() -> CheckResult:
        path = database.url.database
        if database.is_sqlite and path and not Path(path).exists():
            return CheckResult(
                "database",
                False,
                f"no database yet at {path}; `codemonkey migrate` (or `codemonkey serve`) "
                "creates it",
            )
        try:
            database.ping()
        except Exception as exc:
            return CheckResult(
                "database",
                False,
                f"{where} does not answer ({type(exc).__name__}); check "
                "CODEMONKEY_DATABASE_URL and that the server is running",
            )
        if not migrate.is_up_to_date(database):
            return CheckResult(
                "database",
                False,
                f"{where} is at revision {migrate.current_revision(database) or 'empty'}; "
                "run `codemonkey migrate`",
            )
        return CheckResult("database", True, f"{database.dialect} at revision head")

    return Check("database", run)


def storage_checks(
    database: Database,
    kv: KvBackends,
    vectors: ChromaVectorStore | NoVectorStore,
    embedder: Embedder | None,
    settings: Settings,
) -> list[Check]:
    checks = [
        database_check(database, settings),
        Check("kv", lambda: check_kv(kv)),
        Check("vectors", lambda: check_vector_store(vectors)),
    ]
    if embedder is not None:
        checks.append(Check("embeddings", lambda: check_embedder(embedder)))
    return checks
