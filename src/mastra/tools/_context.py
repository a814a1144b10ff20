"""What a run knows about itself, handed to tools and dynamic instructions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from mastra.providers import Usage

__all__ = ["DepsT", "RunContext"]

DepsT = TypeVar("DepsT")


@dataclass(slots=True)
class RunContext(Generic[DepsT]):
    """The context of one agent run, injected into tools that ask for it.

    A tool asks for it with a parameter annotated ``RunContext`` (any name); that
    parameter is left out of the schema the model sees.

    Attributes:
        agent_name: The name of the agent running.
        run_id: The run's id (also on every stream chunk).
        deps: The dependencies passed to ``generate(..., deps=...)``.
        thread_id: The conversation thread, if one was given.
        resource_id: The user or entity owning the thread, if given.
        usage: The tokens counted so far in this run.
        step: The current step (0-based).
        tool_calls: The tool calls made so far in this run.

    Example:
        >>> from mastra.tools import tool
        >>> @tool
        ... def whoami(ctx: RunContext[dict[str, str]]) -> str:
        ...     '''The current user's name.'''
        ...     return ctx.deps["user"]
        >>> whoami.spec.parameters["properties"]
        {}
    """

    agent_name: str = ""
    run_id: str = ""
    deps: DepsT = None  # type: ignore[assignment]
    thread_id: str | None = None
    resource_id: str | None = None
    usage: Usage = field(default_factory=Usage)
    step: int = 0
    tool_calls: int = 0
    metadata: dict[str, Any] = field(default_factory=dict)
