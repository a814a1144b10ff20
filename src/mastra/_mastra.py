"""The registry: one object that holds an application's agents, tools, storage,
vector stores, workflows and configuration, and opens and closes what it owns."""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from contextlib import AsyncExitStack
from types import MappingProxyType, TracebackType
from typing import Any

from mastra.agent import Agent
from mastra.errors import ConfigError
from mastra.http import aclose_shared_clients
from mastra.tools import Tool, ToolRegistry

__all__ = ["Mastra"]


class Mastra:
    """An application's agents, tools, storage, vector stores and workflows, by name.

    ``async with Mastra(...)`` opens the storage and vector stores it was given (those
    that are async context managers are entered; the others are closed through their
    ``aclose()`` or ``close()``) and closes them, last opened first, on exit, along
    with the shared HTTP clients the agents' models used.

    Args:
        agents: Agents by name, or a sequence of agents (registered by ``agent.name``).
        tools: Tools (or plain functions) shared by the application.
        storage: The storage backend (any object; closed on exit).
        vectors: Vector stores by name (closed on exit).
        workflows: Workflows by name.
        config: Application settings.

    Raises:
        ConfigError: Two agents under one name.

    Example:
        >>> from mastra.testing import TestModel
        >>> helper = Agent("helper", "Help.", TestModel(text="hi"))
        >>> async def main():
        ...     async with Mastra(agents={"helper": helper}) as app:
        ...         return (await app.get_agent("helper").generate("hello")).text
    """

    def __init__(
        self,
        *,
        agents: Mapping[str, Agent] | Iterable[Agent] = (),
        tools: ToolRegistry | Iterable[Tool | Any] = (),
        storage: Any = None,
        vectors: Mapping[str, Any] | None = None,
        workflows: Mapping[str, Any] | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> None:
        self._agents = _agents_by_name(agents)
        self._tools = tools if isinstance(tools, ToolRegistry) else ToolRegistry(tools)
        self.storage = storage
        self._vectors = dict(vectors or {})
        self._workflows = dict(workflows or {})
        for workflow in self._workflows.values():
            attach = getattr(workflow, "attach_mastra", None)
            if attach is not None:
                attach(self)
        self.config: Mapping[str, Any] = MappingProxyType(dict(config or {}))
        self._stack: AsyncExitStack | None = None

    def __repr__(self) -> str:
        return f"Mastra(agents={sorted(self._agents)!r})"

    @property
    def agents(self) -> Mapping[str, Agent]:
        """The agents by name (read only)."""
        return MappingProxyType(self._agents)

    @property
    def tools(self) -> ToolRegistry:
        """The application's tools (a registry that may change while running)."""
        return self._tools

    @property
    def vectors(self) -> Mapping[str, Any]:
        """The vector stores by name (read only)."""
        return MappingProxyType(self._vectors)

    @property
    def workflows(self) -> Mapping[str, Any]:
        """The workflows by name (read only)."""
        return MappingProxyType(self._workflows)

    def get_agent(self, name: str) -> Agent:
        """The agent registered under a name.

        Raises:
            ConfigError: No agent has that name (the message lists those that do).
        """
        agent: Agent = _get(self._agents, name, "agent")
        return agent

    def get_vector(self, name: str) -> Any:
        """The vector store registered under a name.

        Raises:
            ConfigError: No vector store has that name.
        """
        return _get(self._vectors, name, "vector store")

    def get_workflow(self, name: str) -> Any:
        """The workflow registered under a name.

        Raises:
            ConfigError: No workflow has that name.
        """
        return _get(self._workflows, name, "workflow")

    async def __aenter__(self) -> Mastra:
        if self._stack is not None:
            raise ConfigError("this Mastra is already open")
        stack = AsyncExitStack()
        stack.push_async_callback(aclose_shared_clients)
        try:
            for resource in self._owned():
                await _open(stack, resource)
        except BaseException:
            await stack.aclose()
            raise
        self._stack = stack
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Closes what :meth:`__aenter__` opened, last opened first."""
        stack, self._stack = self._stack, None
        if stack is not None:
            await stack.aclose()

    def _owned(self) -> list[Any]:
        owned = [self.storage] if self.storage is not None else []
        return owned + list(self._vectors.values())


async def _open(stack: AsyncExitStack, resource: Any) -> None:
    if hasattr(resource, "__aenter__") and hasattr(resource, "__aexit__"):
        await stack.enter_async_context(resource)
        return
    close = getattr(resource, "aclose", None) or getattr(resource, "close", None)
    if close is None:
        return

    async def closing() -> None:
        outcome = close()
        if inspect.isawaitable(outcome):
            await outcome

    stack.push_async_callback(closing)


def _agents_by_name(agents: Mapping[str, Agent] | Iterable[Agent]) -> dict[str, Agent]:
    if isinstance(agents, Mapping):
        return dict(agents)
    named: dict[str, Agent] = {}
    for agent in agents:
        if agent.name in named:
            raise ConfigError(f"two agents are named {agent.name!r}", agent=agent.name)
        named[agent.name] = agent
    return named


def _get(items: Mapping[str, Any], name: str, kind: str) -> Any:
    try:
        return items[name]
    except KeyError:
        known = ", ".join(repr(key) for key in sorted(items)) or "none"
        raise ConfigError(f"no {kind} named {name!r} (known: {known})", name=name) from None
