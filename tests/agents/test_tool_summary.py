"""Progress and trace lines name the argument that says what a tool call does."""

from __future__ import annotations

from agents.runtime.tool_summary import call_line, result_line, shorten


def test_calls_show_their_telling_argument_shortened() -> None:
    assert call_line("run_command", {"command": "python3 -m unittest"}) == (
        "run_command python3 -m unittest"
    )
    assert call_line("write_file", {"path": "app.py", "content": "x" * 10_000}) == (
        "write_file app.py"
    )
    assert call_line("delegate", {"role": "qa", "title": "Add tests", "paths": ["a"]}) == (
        "delegate qa: Add tests"
    )
    assert call_line("review", {"event": "APPROVE"}) == "review APPROVE"
    long = call_line("run_command", {"command": "echo " + "y" * 500}, width=40)
    assert len(long) == 40 and long.endswith("…")


def test_failed_results_carry_the_first_line_of_their_reason() -> None:
    assert result_line("write_file", True, "wrote it") == "write_file: ok"
    assert result_line("run_command", False, "\nexit 3\nmore detail") == (
        "run_command: error: exit 3 …"
    )
    assert result_line("run_command", False, "") == "run_command: error: no reason given"
    assert shorten("") == ""
