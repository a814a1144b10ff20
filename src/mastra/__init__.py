"""mastra: agents, tools, workflows, memory and retrieval, on a compiled C++ core.

The everyday names are importable from here; each concept also has its own
subpackage (``mastra.vector``, and more to come).
"""

from mastra._info import Info, info
from mastra._version import __version__
from mastra.cache import LRUCache
from mastra.errors import (
    AuthenticationError,
    AuthError,
    ConfigError,
    ContextLengthError,
    MalformedResponseError,
    MastraError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
    StorageError,
    StreamError,
    ToolError,
    VectorError,
    WorkflowError,
)
from mastra.providers import Message, ModelResponse, ToolSpec, get_model
from mastra.rag import HashingEmbedder
from mastra.storage import InMemoryStorage, SQLiteStorage
from mastra.vector import (
    InMemoryVectorStore,
    SQLiteVectorStore,
    cosine_similarity,
    exact_search,
    inner_product,
    l2_squared,
)

__all__ = [
    "AuthError",
    "AuthenticationError",
    "ConfigError",
    "ContextLengthError",
    "HashingEmbedder",
    "InMemoryStorage",
    "InMemoryVectorStore",
    "Info",
    "LRUCache",
    "MalformedResponseError",
    "MastraError",
    "Message",
    "ModelResponse",
    "ProviderError",
    "ProviderTimeoutError",
    "ProviderUnavailableError",
    "RateLimitError",
    "SQLiteStorage",
    "SQLiteVectorStore",
    "StorageError",
    "StreamError",
    "ToolError",
    "ToolSpec",
    "VectorError",
    "WorkflowError",
    "__version__",
    "cosine_similarity",
    "exact_search",
    "get_model",
    "info",
    "inner_product",
    "l2_squared",
]
