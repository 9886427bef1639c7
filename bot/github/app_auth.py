"""GitHub App authentication: the app's JWT and cached installation access tokens.

GitHub's rules: the JWT is RS256-signed with the app's private key, `iss` is the app id,
`iat` is set 60 seconds in the past to absorb clock drift and `exp` at most 10 minutes
ahead. Installation tokens live one hour; we reuse one until shortly before `expires_at`.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from bot.github.cipher import CacheDecryptError, FernetTokenCipher
from bot.github.types import TokenCache, TokenCipher
from bot.settings import Settings

JWT_BACKDATE_SECONDS = 60
JWT_LIFETIME_SECONDS = 540
DEFAULT_REFRESH_MARGIN_SECONDS = 300.0
API_VERSION = "2022-11-28"


class GitHubAuthError(Exception):
    """The app could not authenticate; the message says what to fix."""


@dataclass(frozen=True)
class AppCredentials:
    """The app id and its PEM private key; the key never appears in reprs."""

    app_id: int
    private_key: str = field(repr=False)

    @staticmethod
    def from_settings(settings: Settings) -> AppCredentials:
        if settings.github_app_id is None:
            raise GitHubAuthError(
                "CODEMONKEY_GITHUB_APP_ID is not set; copy the App ID from the app's settings page"
            )
        return AppCredentials(settings.github_app_id, load_private_key(settings))


def load_private_key(settings: Settings) -> str:
    """The PEM key from CODEMONKEY_GITHUB_PRIVATE_KEY, else the file at ..._PATH."""
    if settings.github_private_key is not None:
        pem = settings.github_private_key.get_secret_value()
        source = "CODEMONKEY_GITHUB_PRIVATE_KEY"
    elif settings.github_private_key_path is not None:
        path = Path(settings.github_private_key_path)
        if not path.is_file():
            raise GitHubAuthError(
                f"CODEMONKEY_GITHUB_PRIVATE_KEY_PATH points at {path}, which is not a file; "
                "download the app's private key (.pem) and fix the path"
            )
        pem = path.read_text(encoding="utf-8")
        source = str(path)
    else:
        raise GitHubAuthError(
            "no GitHub App private key: set CODEMONKEY_GITHUB_PRIVATE_KEY to the PEM text "
            "or CODEMONKEY_GITHUB_PRIVATE_KEY_PATH to the .pem file"
        )
    # Literal "\n" sequences appear when a PEM is pasted into a single-line variable.
    pem = pem.replace("\\n", "\n").strip() + "\n"
    try:
        key = load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise GitHubAuthError(
            f"the private key from {source} is not a PEM private key; "
            "use the .pem file GitHub generated for the app"
        ) from exc
    if not isinstance(key, RSAPrivateKey):
        raise GitHubAuthError(f"the private key from {source} is not an RSA key; GitHub uses RSA")
    return pem


def create_app_jwt(credentials: AppCredentials, now: float | None = None) -> str:
    """A JWT that authenticates as the app itself (for the /app endpoints)."""
    issued = int(now if now is not None else time.time()) - JWT_BACKDATE_SECONDS
    claims = {
        "iat": issued,
        "exp": issued + JWT_BACKDATE_SECONDS + JWT_LIFETIME_SECONDS,
        "iss": str(credentials.app_id),
    }
    return jwt.encode(claims, credentials.private_key, algorithm="RS256")


@dataclass(frozen=True)
class InstallationToken:
    token: str = field(repr=False)
    expires_at: float

    def to_bytes(self) -> bytes:
        return json.dumps({"token": self.token, "expires_at": self.expires_at}).encode()

    @staticmethod
    def from_bytes(raw: bytes) -> InstallationToken:
        data = json.loads(raw)
        return InstallationToken(str(data["token"]), float(data["expires_at"]))


def installation_token_key(app_id: int, installation_id: int) -> str:
    """Where an installation's token is cached (shared by every process of the App)."""
    return f"github:installation-token:{app_id}:{installation_id}"


def forget_installation_token(cache: TokenCache, app_id: int, installation_id: int) -> None:
    """Drop an installation's cached token without minting rights (the webhook receiver
    does this when GitHub says the installation was deleted or suspended)."""
    cache.delete(installation_token_key(app_id, installation_id))


class InstallationTokens:
    """Mints installation tokens and keeps them in `cache` until shortly before expiry."""

    def __init__(
        self,
        credentials: AppCredentials,
        *,
        api_url: str,
        cache: TokenCache,
        http: httpx.Client | None = None,
        refresh_margin_seconds: float = DEFAULT_REFRESH_MARGIN_SECONDS,
        timeout_seconds: float = 30.0,
        cipher: TokenCipher | None = None,
    ) -> None:
        self._credentials = credentials
        self._api_url = api_url.rstrip("/")
        self._cache = cache
        self._http = http
        self._timeout = timeout_seconds
        self._margin = refresh_margin_seconds
        self._cipher = cipher
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, cache: TokenCache) -> InstallationTokens:
        """Tokens for the app configured by CODEMONKEY_GITHUB_APP_ID and its private key."""
        return cls(
            AppCredentials.from_settings(settings),
            api_url=settings.github_api_url,
            cache=cache,
            cipher=FernetTokenCipher.from_settings(settings),
        )

    @property
    def app_id(self) -> int:
        return self._credentials.app_id

    def __repr__(self) -> str:
        return f"InstallationTokens(app_id={self.app_id}, api_url={self._api_url!r})"

    def token(self, installation_id: int) -> str:
        return self.installation_token(installation_id).token

    def _key(self, installation_id: int) -> str:
        return installation_token_key(self.app_id, installation_id)

    def forget(self, installation_id: int) -> None:
        """Drop the cached token (GitHub no longer accepts it, or the installation went)."""
        with self._lock:
            self._cache.delete(self._key(installation_id))

    def installation_token(self, installation_id: int) -> InstallationToken:
        key = self._key(installation_id)
        with self._lock:
            cached = self._cached(key)
            if cached is not None and cached.expires_at - time.time() > self._margin:
                return cached
            fresh = self._mint(installation_id)
            ttl = int(fresh.expires_at - time.time() - self._margin)
            if ttl > 0:
                raw = fresh.to_bytes()
                self._cache.set(key, self._cipher.encrypt(raw) if self._cipher else raw, ttl)
            return fresh

    def _cached(self, key: str) -> InstallationToken | None:
        raw = self._cache.get(key)
        if raw is None:
            return None
        try:
            return InstallationToken.from_bytes(self._cipher.decrypt(raw) if self._cipher else raw)
        except (CacheDecryptError, ValueError, KeyError):
            # Written under another secret key or format: mint a fresh token instead.
            return None

    def installation_id_for_repo(self, owner: str, repo: str) -> int:
        """The installation that covers a repository (`GET /repos/{o}/{r}/installation`)."""
        response = self._request("GET", f"/repos/{owner}/{repo}/installation")
        if response.status_code == 404:
            raise GitHubAuthError(
                f"the app is not installed on {owner}/{repo}; install it from the app's page"
            )
        self._check(response, f"looking up the installation of {owner}/{repo}")
        return int(response.json()["id"])

    def _mint(self, installation_id: int) -> InstallationToken:
        response = self._request("POST", f"/app/installations/{installation_id}/access_tokens")
        if response.status_code == 404:
            raise GitHubAuthError(
                f"installation {installation_id} of app {self.app_id} does not exist; "
                "it may have been uninstalled"
            )
        self._check(response, f"minting a token for installation {installation_id}")
        data = response.json()
        expires = datetime.fromisoformat(str(data["expires_at"]).replace("Z", "+00:00"))
        return InstallationToken(str(data["token"]), expires.timestamp())

    def _request(self, method: str, path: str) -> httpx.Response:
        headers = {
            "Authorization": f"Bearer {create_app_jwt(self._credentials)}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
        }
        url = f"{self._api_url}{path}"
        try:
            if self._http is not None:
                return self._http.request(method, url, headers=headers)
            with httpx.Client(timeout=self._timeout) as client:
                return client.request(method, url, headers=headers)
        except httpx.HTTPError as exc:
            raise GitHubAuthError(
                f"cannot reach {self._api_url} ({type(exc).__name__}); "
                "check CODEMONKEY_GITHUB_API_URL and the network"
            ) from exc

    def _check(self, response: httpx.Response, doing: str) -> None:
        if response.status_code == 401:
            raise GitHubAuthError(
                f"GitHub rejected the app's JWT while {doing}; check that "
                "CODEMONKEY_GITHUB_APP_ID matches the private key and that the clock is right"
            )
        if response.status_code >= 400:
            raise GitHubAuthError(
                f"GitHub answered {response.status_code} while {doing}: {_message(response)}"
            )


def _message(response: httpx.Response) -> str:
    try:
        return str(response.json().get("message", ""))[:200]
    except ValueError:
        return response.text[:200]
