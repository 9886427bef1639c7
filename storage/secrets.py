"""Secrets (provider API keys and the like) encrypted at rest in the `secrets` table.

Fernet (AES-128-CBC + HMAC-SHA256) with a key derived from the service's `secret_key`
by HKDF, so the configured secret can be any string. Values are never logged; a wrong key
is reported as such rather than as corrupt data.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from storage.sql.database import Database
from storage.sql.models import StoredSecret

_SALT = b"codemonkey-secrets-v1"


class SecretKeyError(Exception):
    """The stored secret cannot be decrypted with the configured key."""


def derive_fernet_key(secret_key: str) -> bytes:
    if not secret_key:
        raise ValueError(
            "an empty secret key cannot encrypt secrets; set CODEMONKEY_SECRET_KEY to a long "
            "random string (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
        )
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=b"fernet").derive(
        secret_key.encode("utf-8")
    )
    return base64.urlsafe_b64encode(raw)


class SecretStore:
    def __init__(self, database: Database, secret_key: str) -> None:
        self._database = database
        self._fernet = Fernet(derive_fernet_key(secret_key))

    def __repr__(self) -> str:
        return "SecretStore(<key hidden>)"

    @property
    def database(self) -> Database:
        return self._database

    def put(self, name: str, value: str) -> None:
        ciphertext = self._fernet.encrypt(value.encode("utf-8"))
        with self._database.session() as session:
            row = session.get(StoredSecret, name)
            if row is None:
                session.add(StoredSecret(name=name, ciphertext=ciphertext))
            else:
                row.ciphertext = ciphertext

    def get(self, name: str) -> str | None:
        with self._database.session() as session:
            row = session.get(StoredSecret, name)
            ciphertext = None if row is None else bytes(row.ciphertext)
        if ciphertext is None:
            return None
        try:
            return self._fernet.decrypt(ciphertext).decode("utf-8")
        except InvalidToken:
            raise SecretKeyError(
                f"secret {name!r} cannot be decrypted with the configured key; "
                "CODEMONKEY_SECRET_KEY changed since it was stored: restore the old key "
                "or store the secret again"
            ) from None

    def delete(self, name: str) -> bool:
        with self._database.session() as session:
            row = session.get(StoredSecret, name)
            if row is None:
                return False
            session.delete(row)
            return True

    def names(self) -> list[str]:
        with self._database.session() as session:
            return sorted(r.name for r in session.query(StoredSecret).all())
