"""Does the repository's config (read from its default branch by the worker) still want
this task? Ingress routed it with a cached copy that may be stale or missing
(`webhooks.config_cache`); this is the authoritative check, made before any work starts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from webhooks import intents as k
from webhooks.repo_config import CONFIG_PATH, RepoConfig

TRIGGERED_BY_LABEL = ("opened", "labeled")


def config_refusal(kind: str, payload: Mapping[str, Any], config: RepoConfig) -> str | None:
    """None when the config lets the task start; else why it is ignored."""
    if kind == k.ISSUE_TRIAGE and payload.get("event") == "issues":
        return _label_refusal(payload, config)
    if kind == k.PR_REVIEW and not config.auto_review:
        return f"ignored: auto_review is false in {CONFIG_PATH}"
    if kind == k.PR_QA and not config.auto_qa:
        return f"ignored: auto_qa is false in {CONFIG_PATH}"
    command = payload.get("command")
    if isinstance(command, str) and command not in config.commands:
        return f"ignored: /{command} is not among the commands enabled in {CONFIG_PATH}"
    return None


def _label_refusal(payload: Mapping[str, Any], config: RepoConfig) -> str | None:
    action = payload.get("action")
    if action not in TRIGGERED_BY_LABEL:
        return None
    wanted = config.trigger_label
    if action == "labeled":
        label = payload.get("label")
        if label is None or label == wanted:
            return None  # routed before labels were recorded: ingress checked it
        return f"ignored: label {label!r} is not the trigger label {wanted!r}"
    labels = payload.get("labels")
    if labels is None or wanted in labels:
        return None
    return f"ignored: issue opened without the trigger label {wanted!r}"
