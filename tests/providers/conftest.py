"""Provider tests use the shared fakes from tests/fakes/llm/fixtures.py."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The Anthropic SDK warns that the models we use in fixtures are nearing end-of-life;
    # the names are fixture data, not a choice these tests make.
    for item in items:
        if "tests/providers" in str(item.path):
            item.add_marker(pytest.mark.filterwarnings("ignore:The model .* is deprecated"))
