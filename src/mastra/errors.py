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
    │   ├── AuthenticationError         401/403: the API key was refused
    │   ├── RateLimitError              429 after retries (``retry_after``)
    │   ├── ContextLengthError          the request is too long for the model
    │   ├── ProviderUnavailableError    (ConnectionError) 5xx, network, circuit open
    │   ├── ProviderTimeoutError        (TimeoutError) no answer in time
    │   └── MalformedResponseError      a body or stream that cannot be understood
    ├── ToolError                       a tool call had bad arguments or failed
    ├── OutputValidationError (ValueError) an agent's answer did not fit its output type
    ├── UsageLimitError                 a run went past its token or tool-call limit
    ├── StorageError                    a store could not read or write
    │   └── StorageUnavailableError (ConnectionError) server down or restarting: retry
    ├── WorkingMemoryError (ValueError) a working-memory update did not fit its schema
    ├── WorkflowError                   a workflow step or graph failed
    │   └── WorkflowConflictError       another process is executing the run
    └── AuthError                       missing or invalid credentials
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "AuthError",
    "AuthenticationError",
    "ConfigError",
    "ContextLengthError",
    "MalformedResponseError",
    "MastraError",
    "OutputValidationError",
    "ProviderError",
    "ProviderTimeoutError",
    "ProviderUnavailableError",
    "RateLimitError",
    "StorageError",
    "StorageUnavailableError",
    "StreamError",
    "ToolError",
    "UsageLimitError",
    "VectorError",
    "WorkflowConflictError",
    "WorkflowError",
    "WorkingMemoryError",
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
    """An LLM provider could not be reached, refused the request or answered badly.

    The ``provider``, ``status`` and ``request_id`` context values, when given, are
    also readable as attributes (``None`` when absent). Messages never hold API keys.
    """

    code = "provider_error"

    @property
    def provider(self) -> str | None:
        """The provider's name (``"openai"``, ``"anthropic"``...)."""
        value = self.context.get("provider")
        return value if isinstance(value, str) else None

    @property
    def status(self) -> int | None:
        """The HTTP status of the failed response, if one arrived."""
        value = self.context.get("status")
        return value if isinstance(value, int) else None

    @property
    def request_id(self) -> str | None:
        """The provider's request id (``x-request-id``/``request-id`` header)."""
        value = self.context.get("request_id")
        return value if isinstance(value, str) else None


class AuthenticationError(ProviderError):
    """The provider refused the API key (HTTP 401 or 403)."""

    code = "provider_authentication_error"


class RateLimitError(ProviderError):
    """The provider kept answering 429 after the retries ran out.

    ``retry_after`` holds the delay in seconds the provider asked for, if any.
    """

    code = "provider_rate_limit_error"

    @property
    def retry_after(self) -> float | None:
        """Seconds the provider asked to wait before the next request."""
        value = self.context.get("retry_after")
        return float(value) if isinstance(value, (int, float)) else None


class ContextLengthError(ProviderError):
    """The request (prompt plus requested output) is longer than the model accepts."""

    code = "provider_context_length_error"


class ProviderUnavailableError(ProviderError, ConnectionError):
    """The provider could not be reached or kept failing (5xx, network, circuit open)."""

    code = "provider_unavailable_error"


class ProviderTimeoutError(ProviderError, TimeoutError):
    """The provider did not connect, answer or go on streaming within the timeout."""

    code = "provider_timeout_error"


class MalformedResponseError(ProviderError):
    """The provider's body or event stream is not what its protocol promises."""

    code = "provider_malformed_response_error"


class ToolError(MastraError):
    """A tool was called with invalid arguments or failed while running."""

    code = "tool_error"


class OutputValidationError(MastraError, ValueError):
    """An agent's final answer did not follow its ``output_type``, even after the
    corrective retry. ``context["text"]`` holds the last answer."""

    code = "output_validation_error"


class UsageLimitError(MastraError):
    """A run went past a usage limit (``max_tokens_total``, ``max_tool_calls``).

    ``context`` names the ``limit``, its ``value`` and what was ``used``.
    """

    code = "usage_limit_error"


class StorageError(MastraError):
    """A storage backend could not read or write."""

    code = "storage_error"


class StorageUnavailableError(StorageError, ConnectionError):
    """The storage server could not be reached, or dropped the connection during a call
    (a restart, a failover, a network cut, no free connection in time).

    Retriable: the store reconnects by itself, so the same call made again succeeds once
    the server is back. A write that failed this way may or may not have committed (the
    commit's answer can be what was lost): retry writes that are idempotent by id.
    """

    code = "storage_unavailable"


class WorkingMemoryError(MastraError, ValueError):
    """A working-memory update was refused (wrong kind of value, or an object that does
    not validate against the memory's schema); the stored working memory is unchanged."""

    code = "working_memory_error"


class WorkflowError(MastraError):
    """A workflow was built wrongly or one of its steps failed."""

    code = "workflow_error"


class WorkflowConflictError(WorkflowError):
    """Another process holds the run's lease (it is executing the run): retry once the
    run pauses or ends, or after the lease lapses if that process died."""

    code = "workflow_conflict"


class AuthError(MastraError):
    """Credentials are missing or invalid."""

    code = "auth_error"
