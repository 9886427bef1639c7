"""Budgets: steps, tokens and dollars per task and per issue, checked before every model call."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BudgetLimits:
    max_steps: int = 40
    max_task_tokens: int = 500_000
    max_task_usd: float = 2.0
    max_issue_tokens: int = 3_000_000
    max_issue_usd: float = 10.0
    # Wall-clock seconds of one run of the task (tool calls have their own limits, so the
    # loop regains control within one call's limit and stops cleanly).
    max_task_seconds: float = 3600.0

    def __post_init__(self) -> None:
        for name in (
            "max_steps",
            "max_task_tokens",
            "max_task_usd",
            "max_issue_tokens",
            "max_issue_usd",
            "max_task_seconds",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"budget {name} must be positive; set it above zero")


@dataclass(frozen=True)
class Spend:
    model_calls: int = 0
    tokens: int = 0
    cost_usd: float = 0.0

    def __add__(self, other: Spend) -> Spend:
        return Spend(
            self.model_calls + other.model_calls,
            self.tokens + other.tokens,
            self.cost_usd + other.cost_usd,
        )


def over_time(limits: BudgetLimits, elapsed_seconds: float) -> str | None:
    if elapsed_seconds < limits.max_task_seconds:
        return None
    return (
        f"Stopped: this task ran for {elapsed_seconds:.0f}s, its time limit is "
        f"{limits.max_task_seconds:g}s. Split the task into smaller ones or raise "
        "CODEMONKEY_AGENT_MAX_TASK_SECONDS."
    )


def over_budget(limits: BudgetLimits, task: Spend, issue: Spend | None) -> str | None:
    """A message for the user when the next model call would break a budget, else None.

    Checked before the call: a budget that is already used up stops the run (fail closed).
    """
    if task.model_calls >= limits.max_steps:
        return (
            f"Stopped: this task used its step budget ({limits.max_steps} model calls). "
            "Split the task into smaller ones or raise the step budget "
            "(CODEMONKEY_AGENT_MAX_STEPS)."
        )
    if task.tokens >= limits.max_task_tokens:
        return (
            f"Stopped: this task used {task.tokens:,} tokens, its budget is "
            f"{limits.max_task_tokens:,}. Raise CODEMONKEY_AGENT_MAX_TASK_TOKENS to continue."
        )
    if task.cost_usd >= limits.max_task_usd:
        return (
            f"Stopped: this task cost ${task.cost_usd:.2f}, its budget is "
            f"${limits.max_task_usd:.2f}. Raise CODEMONKEY_AGENT_MAX_TASK_USD to continue."
        )
    if issue is not None and issue.tokens >= limits.max_issue_tokens:
        return (
            f"Stopped: the work on this issue used {issue.tokens:,} tokens, its budget is "
            f"{limits.max_issue_tokens:,}. Raise CODEMONKEY_AGENT_MAX_ISSUE_TOKENS to continue."
        )
    if issue is not None and issue.cost_usd >= limits.max_issue_usd:
        return (
            f"Stopped: the work on this issue cost ${issue.cost_usd:.2f}, its budget is "
            f"${limits.max_issue_usd:.2f}. Raise CODEMONKEY_AGENT_MAX_ISSUE_USD to continue."
        )
    return None
