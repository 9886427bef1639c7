"""Regenerate `tests/fixtures/github/*.schema.json` from GitHub's REST description.

    python -m tests.fakegithub.extract_schemas /work/shared/data/github-rest-openapi.json.gz

Each component schema is resolved ($ref inlined) to a few levels of nesting, OpenAPI's
`nullable` becomes a JSON-Schema null type, and prose (descriptions, examples) is dropped.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "fixtures" / "github"
MAX_DEPTH = 3
KEEP = {"type", "properties", "required", "items", "enum", "anyOf", "oneOf", "allOf"}

SCHEMAS = [
    "simple-user",
    "full-repository",
    "issue",
    "issue-comment",
    "label",
    "reaction",
    "pull-request",
    "pull-request-simple",
    "pull-request-review",
    "pull-request-review-comment",
    "check-run",
    "check-run-with-simple-check-suite",
    "pull-request-minimal",
    "check-annotation",
    "content-file",
    "git-ref",
    "repository-collaborator-permission",
    "rate-limit-overview",
    "installation",
    "installation-token",
    "basic-error",
    "validation-error",
]


def resolve(node: Any, components: dict[str, Any], depth: int) -> Any:
    if isinstance(node, list):
        return [resolve(item, components, depth) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return resolve(components[name], components, depth)
    if depth > MAX_DEPTH:
        return {}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties":
            out[key] = {k: resolve(v, components, depth + 1) for k, v in value.items()}
        elif key == "items":
            out[key] = resolve(value, components, depth + 1)
        elif key in {"anyOf", "oneOf", "allOf"}:
            out[key] = [resolve(v, components, depth) for v in value]
        elif key in KEEP:
            out[key] = value
    if node.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        elif "enum" not in out:
            out = {"anyOf": [out, {"type": "null"}]}
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


def main(source: str) -> None:
    with gzip.open(source, "rt", encoding="utf-8") as fh:
        components = json.load(fh)["components"]["schemas"]
    OUT.mkdir(parents=True, exist_ok=True)
    for name in SCHEMAS:
        schema = resolve(components[name], components, 0)
        (OUT / f"{name}.schema.json").write_text(json.dumps(schema, indent=1, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1])
