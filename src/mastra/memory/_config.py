"""How a memory recalls: semantic recall and working memory settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from mastra.errors import ConfigError
from mastra.storage import MessageRange

__all__ = ["DEFAULT_TEMPLATE", "Scope", "SemanticRecall", "WorkingMemory"]

Scope = Literal["thread", "resource"]
"""Where a memory looks: the current thread only, or every thread of its resource."""

DEFAULT_TEMPLATE = """# User Information
- **First Name**:
- **Last Name**:
- **Location**:
- **Occupation**:
- **Interests**:
- **Goals**:
- **Facts**:
"""
"""The Markdown template of a :class:`WorkingMemory` given neither template nor schema."""


def _check_scope(scope: str, owner: str) -> None:
    if scope not in ("thread", "resource"):
        raise ConfigError(
            f"{owner} scope must be 'thread' or 'resource', got {scope!r}", argument="scope"
        )


@dataclass(frozen=True)
class SemanticRecall:
    """Recalls older messages similar to the new input, with their neighbours.

    Attributes:
        top_k: How many similar messages to recall.
        message_range: Neighbours to bring along with each: ``n`` (n before and n
            after) or ``(before, after)``.
        scope: ``"thread"`` searches the current thread; ``"resource"`` every thread
            of the same resource (messages from other threads are shown to the model
            as a summary in a system message).
    """

    top_k: int = 2
    message_range: MessageRange = 2
    scope: Scope = "thread"

    def __post_init__(self) -> None:
        if isinstance(self.top_k, bool) or not isinstance(self.top_k, int) or self.top_k < 1:
            raise ConfigError(f"top_k must be at least 1, got {self.top_k!r}", argument="top_k")
        before, after = (
            (self.message_range, self.message_range)
            if isinstance(self.message_range, int)
            else self.message_range
        )
        if before < 0 or after < 0:
            raise ConfigError(
                f"message_range must be non-negative, got {self.message_range!r}",
                argument="message_range",
            )
        _check_scope(self.scope, "semantic recall")


@dataclass(frozen=True)
class WorkingMemory:
    """Facts the model keeps up to date with its ``updateWorkingMemory`` tool.

    The working memory is shown to the model in a system message on every turn. It is
    Markdown text following ``template``, or, with ``schema``, a JSON object validated
    against that pydantic model: the tool then merges the fields it is given into the
    stored object (a field set to null is removed) and refuses a result that does not
    validate, leaving the stored data untouched.

    Attributes:
        template: The Markdown shape of the text (default :data:`DEFAULT_TEMPLATE`).
        schema: A pydantic model the working memory must validate against.
        scope: ``"resource"`` shares one working memory across a resource's threads;
            ``"thread"`` keeps one per thread (in the thread's metadata).
    """

    template: str | None = None
    schema: type[BaseModel] | None = None
    scope: Scope = "resource"

    def __post_init__(self) -> None:
        if self.template is not None and self.schema is not None:
            raise ConfigError(
                "give working memory a template or a schema, not both", argument="schema"
            )
        if self.schema is not None and not (
            isinstance(self.schema, type) and issubclass(self.schema, BaseModel)
        ):
            raise ConfigError(
                f"working memory schema must be a pydantic model class, got {self.schema!r}",
                argument="schema",
            )
        _check_scope(self.scope, "working memory")

    @property
    def text_template(self) -> str:
        """The Markdown template (the default one when none was given)."""
        return DEFAULT_TEMPLATE if self.template is None else self.template


def as_semantic_recall(value: SemanticRecall | bool | None) -> SemanticRecall | None:
    """``True`` means the default settings; ``False`` and ``None`` mean off."""
    if value is True:
        return SemanticRecall()
    if value is None or value is False:
        return None
    if not isinstance(value, SemanticRecall):
        raise ConfigError(f"semantic_recall must be a SemanticRecall, got {value!r}")
    return value


def as_working_memory(value: WorkingMemory | bool | None) -> WorkingMemory | None:
    """``True`` means the default template; ``False`` and ``None`` mean off."""
    if value is True:
        return WorkingMemory()
    if value is None or value is False:
        return None
    if not isinstance(value, WorkingMemory):
        raise ConfigError(f"working_memory must be a WorkingMemory, got {value!r}")
    return value


def check_last_messages(value: Any) -> int:
    """``last_messages`` as a count (0 or more; ``False`` means 0)."""
    if value is False:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(
            f"last_messages must be 0 or more, got {value!r}", argument="last_messages"
        )
    return value
