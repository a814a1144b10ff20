"""The public API: everything in __all__ exists, __all__ is sorted and complete."""

from __future__ import annotations

from types import ModuleType

import pytest

import mastra
import mastra.agent
import mastra.cache
import mastra.errors
import mastra.http
import mastra.providers
import mastra.rag
import mastra.storage
import mastra.streaming
import mastra.testing
import mastra.tools
import mastra.tracing
import mastra.vector
import mastra.workflows

PUBLIC_MODULES = [
    mastra,
    mastra.agent,
    mastra.cache,
    mastra.errors,
    mastra.http,
    mastra.providers,
    mastra.rag,
    mastra.storage,
    mastra.streaming,
    mastra.testing,
    mastra.tools,
    mastra.tracing,
    mastra.vector,
    mastra.workflows,
]


@pytest.mark.parametrize("module", PUBLIC_MODULES, ids=lambda m: m.__name__)
def test_all_names_exist_and_are_sorted(module: ModuleType) -> None:
    names = list(module.__all__)
    assert names == sorted(names)
    for name in names:
        assert hasattr(module, name), f"{module.__name__}.{name} is in __all__ but missing"


@pytest.mark.parametrize("module", PUBLIC_MODULES, ids=lambda m: m.__name__)
def test_all_is_complete(module: ModuleType) -> None:
    defined_here = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and getattr(value, "__module__", None) == module.__name__
        and callable(value)
    }
    assert defined_here <= set(module.__all__)


def test_top_level_reexports_every_error() -> None:
    assert set(mastra.errors.__all__) <= set(mastra.__all__)


def test_version_is_single_sourced() -> None:
    from mastra import _core

    assert mastra.__version__ == _core.__version__
