"""Fernet encryption of cached installation tokens, keyed from CODEMONKEY_SECRET_KEY."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

from bot.settings import Settings


class CacheDecryptError(Exception):
    """A cached value could not be decrypted (the secret key changed); it is re-minted."""


class FernetTokenCipher:
    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("CODEMONKEY_SECRET_KEY is empty; set it to a long random string")
        # Fernet wants 32 url-safe base64 bytes; a domain-separated hash of the secret gives them.
        digest = hashlib.sha256(b"codemonkey/github-token-cache\0" + secret.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    @staticmethod
    def from_settings(settings: Settings) -> FernetTokenCipher | None:
        """A cipher when CODEMONKEY_SECRET_KEY is set, else None (tokens cached in clear)."""
        if settings.secret_key is None:
            return None
        return FernetTokenCipher(settings.secret_key.get_secret_value())

    def encrypt(self, data: bytes) -> bytes:
        return self._fernet.encrypt(data)

    def decrypt(self, data: bytes) -> bytes:
        try:
            return self._fernet.decrypt(data)
        except InvalidToken as exc:
            raise CacheDecryptError("cached token was encrypted with another secret key") from exc

    def __repr__(self) -> str:
        return "FernetTokenCipher(key=***)"
