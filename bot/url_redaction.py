"""Hiding passwords in URLs before they are printed or logged."""

from __future__ import annotations


def redact_url(url: str) -> str:
    """Hide the password in a URL such as postgresql://user:pw@host/db."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    creds, _, host = rest.rpartition("@")
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else url
