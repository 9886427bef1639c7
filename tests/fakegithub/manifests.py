"""GitHub's App manifest flow, as documented in "Registering a GitHub App from a manifest":

1. a page POSTs a form field `manifest` (JSON) to `/settings/apps/new?state=...` (or
   `/organizations/{org}/settings/apps/new`); the person confirms; GitHub redirects to the
   manifest's `redirect_url` with `?code=...&state=...`;
2. the service exchanges the code within an hour, once, with
   `POST /app-manifests/{code}/conversions` (no authentication), answered 201 with the
   App (`integration`) plus `client_id`, `client_secret`, `webhook_secret` and `pem`.

The fake confirms at once. The conversion makes the new App the fake's App (its key signs
the JWTs the fake then accepts) and its webhook secret the one deliveries are signed with.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.fakegithub import shapes
from tests.fakegithub.api import ApiError, Ctx, Reply
from tests.fakegithub.core import generate_private_key
from tests.fakegithub.state import App

if TYPE_CHECKING:
    from tests.fakegithub.fake import FakeGitHub

CODE_TTL_SECONDS = 3600.0


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "app"


def _checked_manifest(raw: str) -> dict[str, Any] | str:
    """The manifest, or what is wrong with it (GitHub shows such errors on its page)."""
    try:
        manifest = json.loads(raw)
    except ValueError:
        return "the manifest is not valid JSON"
    if not isinstance(manifest, dict):
        return "the manifest must be a JSON object"
    hook = manifest.get("hook_attributes")
    if not isinstance(hook, dict) or not isinstance(hook.get("url"), str):
        return "hook_attributes.url is required"
    if not isinstance(manifest.get("url"), str):
        return "url is required"
    if not isinstance(manifest.get("redirect_url"), str):
        return "redirect_url is required for the manifest flow"
    return manifest


def web_routes(fake: FakeGitHub) -> list[Route]:
    async def new_app(request: Request) -> Response:
        form = parse_qs((await request.body()).decode())
        found = _checked_manifest((form.get("manifest") or [""])[0])
        if isinstance(found, str):
            return PlainTextResponse(f"Invalid GitHub App manifest: {found}", 422)
        code = secrets.token_hex(10)
        with fake.lock:
            fake.manifest_codes[code] = (found, time.time() + CODE_TTL_SECONDS)
            fake.manifest_posts.append(found)
        query = {"code": code}
        if "state" in request.query_params:
            query["state"] = request.query_params["state"]
        return RedirectResponse(f"{found['redirect_url']}?{urlencode(query)}", 302)

    return [
        Route("/settings/apps/new", new_app, methods=["POST"]),
        Route("/organizations/{org}/settings/apps/new", new_app, methods=["POST"]),
    ]


def create_from_manifest(ctx: Ctx) -> Reply:
    fake = ctx.fake
    code = ctx.params["code"]
    found = fake.manifest_codes.pop(code, None)
    if found is None or found[1] <= time.time():
        raise ApiError(404, "Not Found")
    manifest = found[0]
    private, public = generate_private_key()
    name = str(manifest.get("name") or "GitHub App")
    app = App(fake.next_id(), _slug(name), name, fake.app.owner, public, private)
    app.bot = fake.user(f"{app.slug}[bot]", "Bot")
    hook = manifest["hook_attributes"]
    secret = secrets.token_hex(20)
    fake.app = app
    fake.webhook_secret = secret
    body = shapes.app_json(fake.urls, app, fake.user(app.owner))
    body.update(
        {
            "description": manifest.get("description") or "",
            "external_url": manifest["url"],
            "permissions": manifest.get("default_permissions") or {},
            "events": manifest.get("default_events") or [],
            "client_secret": secrets.token_hex(20),
            "webhook_secret": secret if hook.get("active", True) else None,
            "pem": private,
        }
    )
    return Reply(201, body)
