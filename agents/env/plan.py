"""The environment a repository gets: its config's `setup` and `test_command` where given,
detected values where not, and a sentence saying which is which."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from agents.env.detect import detect

CONFIG_FILE = ".github/codemonkey.yml"


@dataclass(frozen=True)
class EnvironmentConfig:
    """What the repository's config says; None means "detect it"."""

    setup: tuple[str, ...] | None = None
    test_command: str | None = None
    # Where a given `test_command` came from ("" for the repository's config).
    test_origin: str = ""


@dataclass(frozen=True)
class EnvironmentPlan:
    test_command: str
    setup: tuple[str, ...]
    # True when the value came from detection, not from the config.
    test_detected: bool
    setup_detected: bool
    reason: str
    # Replaces the sentence about the setup step (Action mode says why there is none).
    setup_note: str = ""
    # Where a given test command came from ("" for the repository's config).
    test_origin: str = ""

    def test_source(self) -> str:
        """Where the test command came from, e.g. "detected: pytest.ini exists; ..."."""
        if self.test_detected:
            return f"detected: {self.reason}; set `test_command` in `{CONFIG_FILE}` to change it"
        return self.test_origin or f"`test_command` in `{CONFIG_FILE}`"

    def statement(self) -> str:
        """One paragraph for the plan comment and the check run."""
        tests = f"Tests run with `{self.test_command}` ({self.test_source()})."
        if self.setup_note:
            setup = self.setup_note
        elif not self.setup:
            where = "detected" if self.setup_detected else f"`setup: []` in `{CONFIG_FILE}`"
            setup = f"No setup step ({where}; add `setup:` commands to install dependencies)."
        else:
            commands = "; ".join(f"`{c}`" for c in self.setup)
            source = (
                f"detected; set `setup` in `{CONFIG_FILE}` to change it"
                if self.setup_detected
                else f"`setup` in `{CONFIG_FILE}`"
            )
            setup = f"Setup: {commands} ({source})."
        return f"{tests} {setup}"


def plan_environment(root: Path, config: EnvironmentConfig) -> EnvironmentPlan:
    """The config's values where given, the detected ones (read from `root`) elsewhere."""
    if config.setup is not None and config.test_command is not None:
        return EnvironmentPlan(
            config.test_command,
            config.setup,
            False,
            False,
            "configured",
            test_origin=config.test_origin,
        )
    found = detect(root)
    return EnvironmentPlan(
        test_command=config.test_command or found.test_command,
        setup=found.setup if config.setup is None else config.setup,
        test_detected=config.test_command is None,
        setup_detected=config.setup is None,
        reason=found.reason,
        test_origin=config.test_origin,
    )
