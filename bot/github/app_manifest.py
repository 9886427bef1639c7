"""Creating the GitHub App from its manifest, and the App credentials it leaves behind.

The manifest (deploy/github-app-manifest.json) is posted by a page of `codemonkey serve`
to GitHub, with this service's URLs filled in; GitHub redirects back with a one-time code,
which `POST /app-manifests/{code}/conversions` exchanges for the App's id, slug, private
key and webhook secret. They are kept in the database's secret store, encrypted with
CODEMONKEY_SECRET_KEY, and fill the settings the environment leaves unset.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from pydantic import SecretStr

from bot.settings import Settings, SettingsError
from storage.secrets import SecretKeyError, SecretStore

MANIFEST_PATH = Path(__file__).resolve().parents[2] / "deploy" / "github-app-manifest.json"

# Secret store names of the App's credentials.
APP_ID = "github_app_id"
APP_SLUG = "github_app_slug"
PRIVATE_KEY = "github_private_key"
HOOK_SIGNING = "webhook_secret"
CLIENT_ID = "github_client_id"
CLIENT_CREDENTIAL = "github_client_secret"
APP_URL = "github_app_html_url"


class ManifestError(Exception):
    """The App could not be created from the manifest; the message says what to do."""


@dataclass(frozen=True)
class CreatedApp:
    id: int
    slug: str
    html_url: str
    pem: str = field(repr=False)
    webhook_secret: str | None = field(repr=False)
    client_id: str
    client_secret: str = field(repr=False)

    @property
    def install_url(self) -> str:
        return f"{self.html_url}/installations/new"


def web_url(settings: Settings) -> str:
    """GitHub's web root for the configured API."""
    if settings.github_web_url:
        return settings.github_web_url.rstrip("/")
    api = settings.github_api_url.rstrip("/")
    parts = urlsplit(api)
    if parts.hostname == "api.github.com":
        return f"{parts.scheme}://github.com"
    return api.removesuffix("/api/v3")


def service_manifest(public_url: str, path: Path = MANIFEST_PATH) -> dict[str, Any]:
    """The App manifest with every URL pointing at this service."""
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ManifestError(
            f"cannot read the App manifest {path}: {exc}; run the service from a checkout "
            "that has deploy/github-app-manifest.json"
        ) from None
    root = public_url.rstrip("/")
    manifest["url"] = root
    manifest["hook_attributes"] = {
        **manifest.get("hook_attributes", {}),
        "url": f"{root}/webhooks/github",
    }
    manifest["redirect_url"] = f"{root}/github/app-created"
    manifest["setup_url"] = f"{root}/github/setup"
    return manifest


def exchange_code(settings: Settings, code: str, *, timeout: float = 30.0) -> CreatedApp:
    """`POST /app-manifests/{code}/conversions`: the new App and its credentials."""
    url = f"{settings.github_api_url.rstrip('/')}/app-manifests/{quote(code, safe='')}/conversions"
    headers = {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
        "User-Agent": "codemonkey",
    }
    try:
        response = httpx.post(url, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        raise ManifestError(
            f"could not reach GitHub at {settings.github_api_url}: {type(exc).__name__}; "
            "check CODEMONKEY_GITHUB_API_URL and the network, then create the App again"
        ) from None
    if response.status_code == 404:
        raise ManifestError(
            "GitHub does not know this code: it is used once and expires after an hour; "
            "start again from /github/app-manifest"
        )
    if response.status_code != 201:
        raise ManifestError(
            f"GitHub answered {response.status_code} to the code exchange; "
            "start again from /github/app-manifest"
        )
    data = response.json()
    try:
        return CreatedApp(
            id=int(data["id"]),
            slug=str(data["slug"]),
            html_url=str(data["html_url"]).rstrip("/"),
            pem=str(data["pem"]),
            webhook_secret=None
            if data.get("webhook_secret") is None
            else str(data["webhook_secret"]),
            client_id=str(data["client_id"]),
            client_secret=str(data["client_secret"]),
        )
    except (KeyError, TypeError, ValueError):
        raise ManifestError(
            "GitHub's answer to the code exchange lacks the App's credentials"
        ) from None


def store_app(secrets: SecretStore, app: CreatedApp) -> None:
    values = {
        APP_ID: str(app.id),
        APP_SLUG: app.slug,
        PRIVATE_KEY: app.pem,
        CLIENT_ID: app.client_id,
        CLIENT_CREDENTIAL: app.client_secret,
        APP_URL: app.html_url,
    }
    if app.webhook_secret is not None:
        values[HOOK_SIGNING] = app.webhook_secret
    for name, value in values.items():
        secrets.put(name, value)


def forget_app(secrets: SecretStore) -> bool:
    """Remove the stored App's credentials; whether there were any."""
    names = (APP_ID, APP_SLUG, PRIVATE_KEY, HOOK_SIGNING, CLIENT_ID, CLIENT_CREDENTIAL, APP_URL)
    return any([secrets.delete(name) for name in names])


def with_stored_app(settings: Settings, secrets: SecretStore | None) -> Settings:
    """The settings with the stored App credentials filling what the environment leaves
    unset (the environment wins, value by value)."""
    if secrets is None:
        return settings
    try:
        app_id = secrets.get(APP_ID)
        if app_id is None:
            return settings
        update: dict[str, Any] = {}
        if settings.github_app_id is None:
            update["github_app_id"] = int(app_id)
        if "github_app_slug" not in settings.model_fields_set:
            update["github_app_slug"] = secrets.get(APP_SLUG) or settings.github_app_slug
        if settings.github_private_key is None and settings.github_private_key_path is None:
            pem = secrets.get(PRIVATE_KEY)
            update["github_private_key"] = None if pem is None else SecretStr(pem)
        if settings.webhook_secret is None:
            secret = secrets.get(HOOK_SIGNING)
            update["webhook_secret"] = None if secret is None else SecretStr(secret)
    except SecretKeyError as exc:
        raise SettingsError(f"cannot decrypt the stored GitHub App credentials: {exc}") from None
    return settings.model_copy(update=update)
