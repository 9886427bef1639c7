"""Creating the GitHub App from its manifest, end to end against the fake GitHub: the
service's page posts the manifest to GitHub, GitHub redirects back with a code, the
service exchanges it over HTTP (`POST /app-manifests/{code}/conversions`), stores the
credentials encrypted, links to installing the App, and then runs as that App."""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import httpx2
import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from agents.githost import RepoRef
from bot.github.app_manifest import ManifestError, exchange_code, forget_app, with_stored_app
from bot.github.hosts import GitHubHosts
from bot.github.types import MemoryTokenCache
from bot.routes.github_app import ManifestDeps, github_app_routes
from bot.settings import Settings, load_settings
from storage.kv.memory import MemoryCache
from storage.secrets import SecretStore
from storage.sql.database import Database
from storage.sql.models import StoredSecret
from tests.fakegithub.fake import FakeGitHub

SERVICE = "https://codemonkey.example.test"
KEY = "a long random service secret for the tests"


def _settings(fake: FakeGitHub, tmp_path: Path, **extra: object) -> Settings:
    return load_settings(
        data_dir=tmp_path / "data",
        github_api_url=fake.urls.api,
        github_web_url=fake.urls.web,
        public_url=SERVICE,
        secret_key=KEY,
        **extra,
    )


def _client(settings: Settings, store: SecretStore) -> TestClient:
    deps = ManifestDeps(settings, lambda: store, MemoryCache())
    return TestClient(Starlette(routes=github_app_routes(deps)))


def _create_on_github(client: TestClient, fake: FakeGitHub) -> httpx2.Response:
    """Open the start page, post its form to GitHub as a browser would, follow the
    redirect back to the service."""
    page = client.get("/github/app-manifest")
    assert page.status_code == 200, page.text
    action = html.unescape(re.search(r"action='([^']+)'", page.text).group(1))  # type: ignore[union-attr]
    manifest = html.unescape(re.search(r"value='([^']+)'", page.text).group(1))  # type: ignore[union-attr]
    assert action.startswith(f"{fake.urls.web}/settings/apps/new?state=")
    to_github = httpx.post(action, data={"manifest": manifest}, follow_redirects=False)
    assert to_github.status_code == 302, to_github.text
    back = urlsplit(to_github.headers["location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == f"{SERVICE}/github/app-created"
    return client.get(f"{back.path}?{back.query}")


def test_the_app_created_from_the_manifest_is_stored_encrypted_and_works(
    database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github
    old_app_id = fake.app.id
    settings = _settings(fake, tmp_path)
    store = SecretStore(database, KEY)
    with _client(settings, store) as client:
        done = _create_on_github(client, fake)
        assert done.status_code == 200, done.text
        # The manifest GitHub got points every URL at this service.
        [posted] = fake.manifest_posts
        assert posted["hook_attributes"]["url"] == f"{SERVICE}/webhooks/github"
        assert posted["redirect_url"] == f"{SERVICE}/github/app-created"
        assert posted["setup_url"] == f"{SERVICE}/github/setup"
        assert posted["default_permissions"]["contents"] == "write"
        app = fake.app
        assert app.id != old_app_id
        assert f"href='{fake.urls.web}/apps/{app.slug}/installations/new'" in done.text
        assert "BEGIN" not in done.text and fake.webhook_secret not in done.text

        # Stored, and encrypted at rest.
        assert store.get("github_private_key") == app.private_key_pem
        assert store.get("webhook_secret") == fake.webhook_secret
        stored = {name: store.get(name) or "" for name in store.names()}
        with database.session() as session:
            raw = b"".join(bytes(c) for c in session.scalars(select(StoredSecret.ciphertext)))
        assert b"PRIVATE KEY" not in raw and fake.webhook_secret.encode() not in raw

        # After installing, GitHub sends the person to the setup URL.
        fake.create_repo("acme/widgets")
        installation = fake.install("acme", ["acme/widgets"])
        setup = client.get(f"/github/setup?installation_id={installation.id}&setup_action=install")
        assert setup.status_code == 200 and "CodeMonkey is set up" in setup.text

        # A second App is refused while one is configured, until the stored one is forgotten.
        assert client.get("/github/app-manifest").status_code == 409
        assert forget_app(store) and store.names() == []
        assert client.get("/github/app-manifest").status_code == 200
        for name, value in stored.items():
            store.put(name, value)

    # The service started again: the stored App fills the unset settings and acts on GitHub.
    loaded = with_stored_app(_settings(fake, tmp_path), store)
    assert loaded.github_app_id == app.id and loaded.github_app_slug == app.slug
    assert loaded.webhook_secret is not None
    assert loaded.webhook_secret.get_secret_value() == fake.webhook_secret
    hosts = GitHubHosts.from_settings(loaded, MemoryTokenCache())
    host = hosts.for_installation(installation.id)
    assert host.default_branch(RepoRef("acme", "widgets")) == "main"


def test_the_environment_wins_over_the_stored_app(
    sqlite_database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    store = SecretStore(sqlite_database, KEY)
    with _client(_settings(fake_github, tmp_path), store) as client:
        assert _create_on_github(client, fake_github).status_code == 200
    loaded = with_stored_app(
        _settings(fake_github, tmp_path, github_app_id=77, webhook_secret="from-env"), store
    )
    assert loaded.github_app_id == 77
    assert loaded.webhook_secret is not None
    assert loaded.webhook_secret.get_secret_value() == "from-env"
    # Unset ones are still filled.
    assert loaded.github_private_key is not None
    assert loaded.github_private_key.get_secret_value() == fake_github.app.private_key_pem


def test_a_redirect_without_a_state_this_service_issued_is_refused(
    sqlite_database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github
    store = SecretStore(sqlite_database, KEY)
    with _client(_settings(fake, tmp_path), store) as client:
        # A code GitHub issued, but to someone else's flow (no state of ours).
        to_github = httpx.post(
            f"{fake.urls.web}/settings/apps/new?state=forged",
            data={
                "manifest": '{"url": "x", "hook_attributes": {"url": "x"}, '
                '"redirect_url": "https://evil.example.test/cb"}'
            },
            follow_redirects=False,
        )
        code = to_github.headers["location"].split("code=")[1].split("&")[0]
        refused = client.get(f"/github/app-created?code={code}&state=forged")
        assert refused.status_code == 400
        assert store.get("github_app_id") is None
        done = _create_on_github(client, fake)
        assert done.status_code == 200
        # The redirect replayed: its state was for one use.
        assert client.get(str(done.request.url)).status_code == 400
    # The forged flow's code was never exchanged; ours was, once (GitHub refuses it again).
    assert list(fake.manifest_codes) == [code]
    used = parse_qs(urlsplit(str(done.request.url)).query)["code"][0]
    with pytest.raises(ManifestError, match="used once and expires"):
        exchange_code(_settings(fake, tmp_path), used)


def test_without_a_secret_key_the_flow_says_to_set_one(
    sqlite_database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    settings = load_settings(
        data_dir=tmp_path / "data", github_api_url=fake_github.urls.api, public_url=SERVICE
    )
    deps = ManifestDeps(settings, lambda: None, MemoryCache())
    with TestClient(Starlette(routes=github_app_routes(deps))) as client:
        page = client.get("/github/app-manifest")
    assert page.status_code == 503 and "CODEMONKEY_SECRET_KEY" in page.text
