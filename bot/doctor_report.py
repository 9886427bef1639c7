"""What `codemonkey doctor` found, as text for people or JSON for scripts."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Any

from agents.providers.capabilities import describe
from agents.providers.probe import ModelStatus, ProviderStatus
from agents.providers.redact import redact_urls
from bot.readiness import TimedResult


@dataclass(frozen=True)
class DoctorReport:
    checks: list[TimedResult]
    providers: list[ProviderStatus]
    models: list[ModelStatus]
    # Providers that a configured model uses: only these can fail the check.
    needed: set[str]
    file_problems: list[str]
    variable_warnings: list[str]

    def print(self) -> None:
        # Details and errors quote URLs (base URLs, database and Redis URLs) that may carry
        # a password: every line is redacted as a whole.
        def print(line: str) -> None:
            builtins.print(redact_urls(line))

        for timed in self.checks:
            r = timed.result
            mark = "ok  " if r.ok else "FAIL"
            print(f"[{mark}] {r.name:<11} {r.detail}  ({timed.elapsed_ms:.0f} ms)")
        for p in self.providers:
            unused = "" if p.name in self.needed else " (no configured model uses it)"
            if not p.configured:
                print(f"[ -- ] {p.name:<11} {p.error or 'not configured'}{unused}")
            elif p.ok:
                models = ", ".join(p.models[:8]) + (" ..." if len(p.models) > 8 else "")
                print(f"[ok  ] {p.name:<11} {p.base_url}: {len(p.models)} models ({models})")
            else:
                mark = "FAIL" if p.name in self.needed else " -- "
                print(f"[{mark}] {p.name:<11} {p.base_url}: {p.error}{unused}")
        for m in self.models:
            if m.listed is False:
                print(f"[FAIL] model       {m.model_id}: {m.error}")
            elif m.listed:
                mark = "warn" if m.tools is False else "ok  "
                note = f"; {m.error}" if m.error else ""
                advice = "; the team needs a model that calls tools" if m.tools is False else ""
                print(
                    f"[{mark}] model       {m.model_id}: tools: {describe(m.tools)}{note}{advice}"
                )
        for problem in self.file_problems:
            print(f"[FAIL] config      {problem}")
        for warning in self.variable_warnings:
            print(f"[warn] config      {warning}")

    def as_json(self) -> dict[str, Any]:
        return {
            "checks": [
                {"name": t.result.name, "ok": t.result.ok, "detail": t.result.detail}
                for t in self.checks
            ],
            "providers": [
                {
                    "name": p.name,
                    "configured": p.configured,
                    "used": p.name in self.needed,
                    "ok": p.ok,
                    "base_url": p.base_url,
                    "models": list(p.models),
                    "error": p.error,
                }
                for p in self.providers
            ],
            "models": [
                {
                    "model": m.model_id,
                    "listed": m.listed,
                    "tools": describe(m.tools),
                    "error": m.error,
                }
                for m in self.models
            ],
            "config": {"file": self.file_problems, "variables": self.variable_warnings},
        }
