"""The GitHub App manifest flow's pages: start (post the manifest to GitHub), the
`redirect_url` (exchange the code, store the credentials, link to installing the App)
and the `setup_url` GitHub sends people to after they install it.

The pages need no login, so they create an App only while none is configured (in the
environment or stored), and only for a `state` this service handed out in the last hour.
"""

from __future__ import annotations

import html
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Route

from bot.github.app_manifest import (
    APP_ID,
    ManifestError,
    exchange_code,
    service_manifest,
    store_app,
    web_url,
)
from bot.settings import Settings
from storage.kv.base import Cache
from storage.secrets import SecretStore

STATE_TTL_SECONDS = 3600.0
_STATE_KEY = "github-app-manifest-state:"


@dataclass(frozen=True)
class ManifestDeps:
    settings: Settings
    # None when CODEMONKEY_SECRET_KEY is unset: nothing can be stored then.
    secrets: Callable[[], SecretStore | None]
    cache: Cache


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
        f"</title></head><body><h1>{html.escape(title)}</h1>{body}</body></html>",
        status_code=status,
    )


def _configured(deps: ManifestDeps, store: SecretStore) -> bool:
    return deps.settings.github_app_id is not None or store.get(APP_ID) is not None


def _public_url(deps: ManifestDeps, request: Request) -> str:
    return deps.settings.public_url or str(request.base_url).rstrip("/")


def github_app_routes(deps: ManifestDeps) -> list[BaseRoute]:
    def refusal(store: SecretStore | None) -> HTMLResponse | None:
        if store is None:
            return _page(
                "Set CODEMONKEY_SECRET_KEY first",
                "<p>The App's private key and webhook secret are stored encrypted with "
                "CODEMONKEY_SECRET_KEY. Set it to a long random string, restart "
                "<code>codemonkey serve</code>, and open this page again.</p>",
                503,
            )
        if _configured(deps, store):
            return _page(
                "The GitHub App is already configured",
                "<p>This service already has a GitHub App. To create another, remove the "
                "stored one (<code>codemonkey secrets delete github-app</code>) or unset "
                "CODEMONKEY_GITHUB_APP_ID.</p>",
                409,
            )
        return None

    async def start(request: Request) -> HTMLResponse:
        store = deps.secrets()
        if (refused := await run_in_threadpool(refusal, store)) is not None:
            return refused
        try:
            manifest = service_manifest(_public_url(deps, request))
        except ManifestError as exc:
            return _page("Cannot create the GitHub App", f"<p>{html.escape(str(exc))}</p>", 500)
        state = secrets.token_urlsafe(24)
        deps.cache.set(_STATE_KEY + state, b"1", ttl_seconds=STATE_TTL_SECONDS)
        org = request.query_params.get("org", "")
        where = f"/organizations/{org}" if org.replace("-", "").isalnum() else ""
        action = f"{web_url(deps.settings)}{where}/settings/apps/new?state={state}"
        form = (
            f"<p>Create the CodeMonkey GitHub App on GitHub; you will be brought back here.</p>"
            f"<form id='create' method='post' action='{html.escape(action)}'>"
            f"<input type='hidden' name='manifest' value='{html.escape(json.dumps(manifest))}'>"
            "<button type='submit'>Create the GitHub App</button></form>"
        )
        return _page("Create the CodeMonkey GitHub App", form)

    async def created(request: Request) -> HTMLResponse:
        code = request.query_params.get("code", "")
        state = request.query_params.get("state", "")
        if not code or not state or deps.cache.get(_STATE_KEY + state) is None:
            return _page(
                "This link is not valid",
                "<p>The code or state is missing, unknown or older than an hour. Start again "
                "from <a href='/github/app-manifest'>/github/app-manifest</a>.</p>",
                400,
            )
        deps.cache.delete(_STATE_KEY + state)  # one use
        store = deps.secrets()
        if (refused := await run_in_threadpool(refusal, store)) is not None:
            return refused
        assert store is not None
        try:
            app = await run_in_threadpool(exchange_code, deps.settings, code)
        except ManifestError as exc:
            return _page("Cannot create the GitHub App", f"<p>{html.escape(str(exc))}</p>", 502)
        await run_in_threadpool(store_app, store, app)
        link = html.escape(app.install_url)
        return _page(
            "The GitHub App is created",
            f"<p>GitHub App <b>{html.escape(app.slug)}</b> (id {app.id}) is created; its "
            "private key and webhook secret are stored encrypted.</p>"
            "<p>Restart <code>codemonkey serve</code> and the workers so they use it, then "
            f"<a href='{link}'>install the App</a> on your repositories.</p>",
        )

    async def setup(request: Request) -> HTMLResponse:
        installation = request.query_params.get("installation_id", "")
        which = f" (installation {installation})" if installation.isdigit() else ""
        return _page(
            "CodeMonkey is set up",
            f"<p>The GitHub App is installed{which}. Label an issue <code>"
            f"{html.escape(deps.settings.trigger_label)}</code> or mention "
            f"<code>@{html.escape(deps.settings.github_app_slug)}</code> to put the team to "
            "work.</p>",
        )

    return [
        Route("/github/app-manifest", start, methods=["GET"]),
        Route("/github/app-created", created, methods=["GET"]),
        Route("/github/setup", setup, methods=["GET"]),
    ]
