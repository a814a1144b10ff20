"""The errors mastra raises, one tree rooted at :class:`MastraError`.

Every error carries a stable ``code`` (for logs, metrics and HTTP responses), a
message that says what went wrong and what to do about it, and a ``context`` dict
with the values needed to act on it. Where a stdlib exception means the same thing,
the class also derives from it, so ``except ValueError`` keeps working::

    MastraError
    ├── ConfigError      (ValueError)   bad option, unknown setting, missing key
    ├── VectorError      (ValueError)   wrong shape or dimension, NaN, bad k
    ├── StreamError      (ValueError)   malformed or oversized event stream
    ├── ProviderError                   an LLM provider failed or refused
    ├── ToolError                       a tool call had bad arguments or failed
    ├── StorageError                    a store could not read or write
    ├── WorkflowError                   a workflow step or graph failed
    └── AuthError                       missing or invalid credentials
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "AuthError",
    "ConfigError",
    "MastraError",
    "ProviderError",
    "StorageError",
    "StreamError",
    "ToolError",
    "VectorError",
    "WorkflowError",
]


class MastraError(Exception):
    """Base class of every error mastra raises on purpose.

    Args:
        message: What went wrong and how to fix it.
        **context: Values that help act on the error (an argument name, a path...).
    """

    code: ClassVar[str] = "mastra_error"

    def __init__(self, message: str, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.context: dict[str, Any] = context

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, self.context))


def _rebuild(cls: type[MastraError], message: str, context: dict[str, Any]) -> MastraError:
    return cls(message, **context)


class ConfigError(MastraError, ValueError):
    """A configuration value is missing, unknown or out of range."""

    code = "config_error"


class VectorError(MastraError, ValueError):
    """Vectors with the wrong shape, dtype or dimension, non-finite values, or a bad k."""

    code = "vector_error"


class StreamError(MastraError, ValueError):
    """An event stream is malformed or exceeds a size limit."""

    code = "stream_error"


class ProviderError(MastraError):
    """An LLM provider could not be reached, refused the request or answered badly."""

    code = "provider_error"


class ToolError(MastraError):
    """A tool was called with invalid arguments or failed while running."""

    code = "tool_error"


class StorageError(MastraError):
    """A storage backend could not read or write."""

    code = "storage_error"


class WorkflowError(MastraError):
    """A workflow was built wrongly or one of its steps failed."""

    code = "workflow_error"


class AuthError(MastraError):
    """Credentials are missing or invalid."""

    code = "auth_error"
