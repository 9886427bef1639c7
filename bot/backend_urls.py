"""Checks for the backend URLs in the settings, so a URL that cannot work stops the command
at load time with the URL to write, instead of a driver traceback later.

Messages show URLs with the password hidden.
"""

from __future__ import annotations

from agents.providers.redact import redact_url

POSTGRES_SCHEME = "postgresql+psycopg"
REDIS_SCHEMES = ("redis", "rediss", "unix")


def checked_database_url(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep and not url.startswith("sqlite:"):
        raise ValueError(
            f"{redact_url(url)!r} is not a database URL; write "
            f"{POSTGRES_SCHEME}://USER:PASSWORD@HOST:5432/DB, or unset it for embedded SQLite"
        )
    if scheme == "sqlite" or scheme.startswith("sqlite+") or scheme == POSTGRES_SCHEME:
        return url
    if scheme in ("postgres", "postgresql") or scheme.startswith("postgresql+"):
        fixed = redact_url(f"{POSTGRES_SCHEME}://{rest}")
        raise ValueError(f"{scheme}:// is not a driver CodeMonkey ships; write {fixed} (psycopg 3)")
    raise ValueError(
        f"{scheme}:// databases are not supported: CodeMonkey runs on PostgreSQL "
        f"({POSTGRES_SCHEME}://USER:PASSWORD@HOST:5432/DB) or, with the variable unset, "
        "on embedded SQLite"
    )


def checked_redis_url(url: str) -> str:
    scheme = url.partition("://")[0]
    if "://" not in url or scheme not in REDIS_SCHEMES:
        raise ValueError(
            f"{redact_url(url)!r} is not a Redis URL; write redis://HOST:6379/0 "
            "(rediss:// for TLS, unix:///path/to/socket), or unset it to run the queue "
            "in process"
        )
    return url
