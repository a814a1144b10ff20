"""A set of tools that may change while the program runs."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from mastra.errors import ConfigError
from mastra.providers import ToolSpec
from mastra.tools._tool import Tool, tool

__all__ = ["ToolRegistry", "as_tool"]


def as_tool(item: Tool | Callable[..., Any]) -> Tool:
    """A tool as it is, or a plain function made a tool with :func:`tool`."""
    if isinstance(item, Tool):
        return item
    if callable(item):
        return tool(item)
    raise ConfigError(f"not a tool or a function: {item!r}")


class ToolRegistry:
    """Tools by name; tools may be registered and unregistered while agents run.

    An agent given a registry reads it at the start of every step, so a tool added
    (or removed) mid-run is offered from the next step on. The tool specs are cached
    between changes.

    Args:
        tools: The initial tools (``Tool`` objects or plain functions).

    Raises:
        ConfigError: Two tools with the same name.

    Example:
        >>> registry = ToolRegistry()
        >>> @registry.register
        ... def add(a: int, b: int) -> int:
        ...     '''Adds two numbers.'''
        ...     return a + b
        >>> [spec.name for spec in registry.specs()]
        ['add']
    """

    def __init__(self, tools: Iterable[Tool | Callable[..., Any]] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        self._specs: tuple[ToolSpec, ...] | None = None
        self.version = 0
        for item in tools:
            self.register(item)

    def register(self, item: Tool | Callable[..., Any], *, replace: bool = False) -> Tool:
        """Adds a tool (a plain function becomes one) and returns it.

        Raises:
            ConfigError: A tool of that name exists and ``replace`` is false.
        """
        new = as_tool(item)
        if new.name in self._tools and not replace:
            raise ConfigError(f"a tool named {new.name!r} is already registered", tool=new.name)
        self._tools[new.name] = new
        self._changed()
        return new

    def unregister(self, name: str) -> Tool:
        """Removes a tool by name and returns it.

        Raises:
            ConfigError: No tool has that name.
        """
        try:
            removed = self._tools.pop(name)
        except KeyError:
            raise ConfigError(f"no tool named {name!r} is registered", tool=name) from None
        self._changed()
        return removed

    def _changed(self) -> None:
        self._specs = None
        self.version += 1

    def get(self, name: str) -> Tool | None:
        """The tool of that name, or ``None``."""
        return self._tools.get(name)

    def specs(self) -> tuple[ToolSpec, ...]:
        """The specs of every tool, as offered to a model."""
        if self._specs is None:
            self._specs = tuple(t.spec for t in self._tools.values())
        return self._specs

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __getitem__(self, name: str) -> Tool:
        return self._tools[name]

    def __iter__(self) -> Iterator[Tool]:
        return iter(list(self._tools.values()))

    def __len__(self) -> int:
        return len(self._tools)

    def __repr__(self) -> str:
        return f"ToolRegistry({sorted(self._tools)!r})"
