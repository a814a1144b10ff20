"""Tools an agent's model may call: ``@tool`` functions, run-time :class:`Tool`
definitions, a :class:`ToolRegistry` that changes while the program runs, and the
:class:`RunContext` injected into tools that ask for it.

Example:
    >>> from mastra.tools import tool
    >>> @tool
    ... def weather(city: str) -> str:
    ...     '''Current weather in a city.
    ...
    ...     Args:
    ...         city: The city's name.
    ...     '''
    ...     return f"Sunny in {city}"
    >>> weather.spec.name, weather.spec.description
    ('weather', 'Current weather in a city.')
"""

from __future__ import annotations

from mastra.tools._context import RunContext
from mastra.tools._docstrings import parse_docstring
from mastra.tools._registry import ToolRegistry, as_tool
from mastra.tools._tool import FunctionTool, Tool, serialise_result, tool

__all__ = [
    "FunctionTool",
    "RunContext",
    "Tool",
    "ToolRegistry",
    "as_tool",
    "parse_docstring",
    "serialise_result",
    "tool",
]
