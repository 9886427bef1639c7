"""`codemonkey run --max-steps N --max-cost USD`: the run stops when a budget is spent, says
so in one line, and exits 1."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.agents.helpers import git
from tests.flows.test_run_command import SCRIPT, _run, _sample_repo


def _script(tmp_path: Path, script: dict[str, Any]) -> Path:
    path = tmp_path / "script.json"
    path.write_text(json.dumps(script))
    return path


def _branches(repo: Path) -> list[str]:
    return git(repo, "branch", "--format=%(refname:short)").split()


def test_max_steps_stops_the_run_with_the_budget_reason(tmp_path: Path) -> None:
    repo = _sample_repo(tmp_path / "sample")
    # The developer needs two model calls (write, then finish); one is allowed.
    done = _run(tmp_path, repo, _script(tmp_path, SCRIPT), "Add a farewell", "--max-steps", "1")
    assert done.returncode == 1, done.stdout + done.stderr
    reason = done.stderr.strip().splitlines()[-1]
    assert reason.startswith("codemonkey run: budget spent in task #"), done.stderr
    assert "step budget (1 model calls)" in reason
    assert "Traceback" not in done.stderr


def test_max_cost_stops_the_run_once_it_has_spent_that_much(tmp_path: Path) -> None:
    repo = _sample_repo(tmp_path / "sample")
    script = dict(SCRIPT)
    plan = SCRIPT["project_manager"][0]
    # The plan's one model call costs $0.30; the run may spend $0.25.
    script["project_manager"] = [{"content": "", "calls": [plan], "cost_usd": 0.30}, "Planned."]
    done = _run(tmp_path, repo, _script(tmp_path, script), "Add a farewell", "--max-cost", "0.25")
    assert done.returncode == 1, done.stdout + done.stderr
    reason = done.stderr.strip().splitlines()[-1]
    assert reason.startswith("codemonkey run: budget spent in task #"), done.stderr
    assert re.search(r"cost \$0\.30, its budget is \$0\.25", reason), reason
    assert "Cost: $0.30" in done.stdout
    # Under a budget that allows it, the same script completes.
    again = _run(tmp_path, repo, _script(tmp_path, script), "Add a farewell", "--max-cost", "5")
    assert again.returncode == 0, again.stdout + again.stderr


def test_budget_flags_refuse_nonsense(tmp_path: Path) -> None:
    repo = _sample_repo(tmp_path / "sample")
    script = _script(tmp_path, SCRIPT)
    for flag, value, message in (
        ("--max-steps", "0", "must be 1 or more"),
        ("--max-cost", "-1", "must be above 0"),
        ("--max-cost", "lots", "'lots' is not an amount"),
    ):
        done = _run(tmp_path, repo, script, "task", flag, value)
        assert done.returncode == 2 and message in done.stderr, done.stderr
        assert _branches(repo) == ["main"]
