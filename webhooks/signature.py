"""The `X-Hub-Signature-256` check, done on the raw body before anything parses it."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_PREFIX = "sha256="


def sign(secret: bytes, body: bytes) -> str:
    """The header value GitHub sends for `body` (also used by tests and the benchmark)."""
    return SIGNATURE_PREFIX + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify_signature(secret: bytes, body: bytes, header: str | None) -> bool:
    """True only for a `sha256=` HMAC of exactly these bytes under this secret.

    The comparison is constant-time; a missing header, another algorithm (`sha1=`) or a
    malformed value is simply a mismatch.
    """
    if not secret:
        raise ValueError("an empty webhook secret would accept forged deliveries")
    if header is None or not header.startswith(SIGNATURE_PREFIX):
        return False
    expected = sign(secret, body)
    return hmac.compare_digest(expected.encode("ascii"), header.strip().encode("utf-8"))
