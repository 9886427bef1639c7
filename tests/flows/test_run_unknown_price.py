"""A model without a known price: the run report, `codemonkey tasks` and `codemonkey trace`
say "unknown" and how to set a price, never a silent $0.00."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.flows.test_run_command import SCRIPT, _cli, _run, _sample_repo


def _unpriced(reply: Any) -> dict[str, Any]:
    """The same reply from a model whose price is unknown (`"cost_usd": null`)."""
    if isinstance(reply, str):
        return {"content": reply, "cost_usd": None}
    return {"content": "", "calls": [reply], "cost_usd": None}


def test_unknown_prices_are_reported_as_unknown(tmp_path: Path) -> None:
    repo = _sample_repo(tmp_path / "sample")
    script = {role: [_unpriced(r) for r in replies] for role, replies in SCRIPT.items()}
    path = tmp_path / "script.json"
    path.write_text(json.dumps(script))
    done = _run(tmp_path, repo, path, "Add a farewell function")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^Cost: unknown, [\d,]+ tokens", done.stdout, re.M), done.stdout
    assert "$0.00" not in done.stdout
    assert "set CODEMONKEY_PRICES" in done.stdout
    tasks = _cli(tmp_path, "tasks")
    assert tasks.returncode == 0, tasks.stderr
    implement = re.search(
        r"#(\d+) +implement .* model calls, [\d,]+ tokens, unknown ", tasks.stdout
    )
    assert implement is not None, tasks.stdout
    # A task that made no model call cost $0.00; one that made calls is not shown as free.
    assert not re.search(r"[1-9]\d* model calls, [\d,]+ tokens, \$0\.00", tasks.stdout)
    assert "set CODEMONKEY_PRICES" in tasks.stdout
    trace = _cli(tmp_path, "trace", implement[1])
    assert trace.returncode == 0, trace.stderr
    assert "tokens, cost unknown]" in trace.stdout
    assert re.search(r"^Total: [\d,]+ tokens, unknown$", trace.stdout, re.M), trace.stdout
    assert "$0.0000" not in trace.stdout


def test_a_script_with_a_bad_cost_is_refused(tmp_path: Path) -> None:
    repo = _sample_repo(tmp_path / "sample")
    path = tmp_path / "script.json"
    path.write_text(json.dumps([{"content": "x", "cost_usd": "free"}]))
    done = _run(tmp_path, repo, path, "task")
    assert done.returncode == 2
    assert "'cost_usd' is a number of dollars, 0 or more" in done.stderr
