"""deploy/github-app-manifest.json is a well-formed GitHub App manifest with what we need."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft7Validator

ROOT = Path(__file__).resolve().parent.parent.parent
MANIFEST = ROOT / "deploy" / "github-app-manifest.json"
SCHEMAS = ROOT / "tests" / "fixtures" / "github"
# The parameters GitHub documents for "Registering a GitHub App from a manifest".
DOCUMENTED = {
    "name",
    "url",
    "hook_attributes",
    "redirect_url",
    "callback_urls",
    "setup_url",
    "description",
    "public",
    "default_events",
    "default_permissions",
    "request_oauth_on_install",
    "setup_on_update",
}
REQUIRED_EVENTS = {
    "issues",
    "issue_comment",
    "pull_request",
    "pull_request_review",
    "pull_request_review_comment",
    "check_run",
    "check_suite",
    "push",
    "installation_repositories",
}


def _manifest() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return data


def _is_https(url: object) -> bool:
    parts = urlsplit(str(url))
    return parts.scheme == "https" and bool(parts.netloc)


def test_only_documented_parameters_with_valid_urls() -> None:
    manifest = _manifest()
    assert set(manifest) <= DOCUMENTED, set(manifest) - DOCUMENTED
    assert isinstance(manifest["name"], str) and 0 < len(manifest["name"]) <= 34
    assert _is_https(manifest["url"])
    assert _is_https(manifest["redirect_url"]) and _is_https(manifest["setup_url"])
    assert manifest["hook_attributes"]["active"] is True
    assert urlsplit(manifest["hook_attributes"]["url"]).path == "/webhooks/github"
    assert isinstance(manifest["public"], bool)


def test_permissions_are_githubs_names_and_levels() -> None:
    permissions = _manifest()["default_permissions"]
    assert permissions == {
        "contents": "write",
        "issues": "write",
        "pull_requests": "write",
        "checks": "write",
        "metadata": "read",
    }
    # The installation schema describes every app permission and its allowed levels.
    installation = json.loads((SCHEMAS / "installation.schema.json").read_text())
    schema = dict(installation["properties"]["permissions"], additionalProperties=False)
    assert not list(Draft7Validator(schema).iter_errors(permissions))
    assert list(Draft7Validator(schema).iter_errors({"contents": "admin"}))


def test_subscribes_to_the_events_the_router_handles() -> None:
    events = _manifest()["default_events"]
    assert len(events) == len(set(events))
    assert set(events) == REQUIRED_EVENTS
    # Each event must carry permission to see it (GitHub rejects the manifest otherwise).
    needs = {
        "issues": "issues",
        "issue_comment": "issues",
        "pull_request": "pull_requests",
        "pull_request_review": "pull_requests",
        "pull_request_review_comment": "pull_requests",
        "check_run": "checks",
        "check_suite": "checks",
        "push": "contents",
    }
    permissions = _manifest()["default_permissions"]
    for event, permission in needs.items():
        assert permission in permissions, event
