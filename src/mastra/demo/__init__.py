"""``mastra demo``: an offline tour of agents, tools, retrieval, streaming and memory.

The demo ingests the package's own documentation (``mastra/demo/docs``, shipped in the
wheel) into a SQLite vector store, then streams a short conversation with an agent that
searches it, calculates, and remembers the conversation across runs. Without
``MASTRA_MODEL`` it runs on a scripted :class:`~mastra.testing.FunctionModel`.
:func:`create_mastra` gives the same agent as an app, which ``mastra serve`` serves
when given no target.

Names load on first use, so that the command line stays quick to start.

Example:
    >>> import asyncio  # doctest: +SKIP
    >>> from mastra.demo import demo
    >>> asyncio.run(demo("mastra-demo.db"))  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mastra.demo._app import FIRST_VISIT, RETURNING, choose_model, demo, documentation
    from mastra.demo._calculator import calculator, evaluate
    from mastra.demo._script import scripted_model
    from mastra.demo._server import create_mastra

_LAZY: dict[str, str] = {
    "FIRST_VISIT": "mastra.demo._app",
    "RETURNING": "mastra.demo._app",
    "calculator": "mastra.demo._calculator",
    "choose_model": "mastra.demo._app",
    "create_mastra": "mastra.demo._server",
    "demo": "mastra.demo._app",
    "documentation": "mastra.demo._app",
    "evaluate": "mastra.demo._calculator",
    "scripted_model": "mastra.demo._script",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mastra.demo' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "FIRST_VISIT",
    "RETURNING",
    "calculator",
    "choose_model",
    "create_mastra",
    "demo",
    "documentation",
    "evaluate",
    "scripted_model",
]
