"""Shared pytest configuration: the emulator fixtures, and the opt-in for real-service tests."""

from __future__ import annotations

import pytest

pytest_plugins = ["hf_pure.testing.fixtures"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--integration",
        action="store_true",
        help="also run the tests marked integration, against the real Hugging Face service",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--integration"):
        return
    skip = pytest.mark.skip(
        reason="calls the real Hugging Face service: run with --integration and a token"
    )
    for item in items:
        if "integration" in item.keywords:
            item.add_marker(skip)
