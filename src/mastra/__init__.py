"""mastra: agents, tools, workflows, memory and retrieval, on a compiled C++ core.

The everyday names are importable from here; each concept also has its own
subpackage (``mastra.vector``, and more to come).
"""

from mastra._info import Info, info
from mastra._mastra import Mastra
from mastra._version import __version__
from mastra.agent import Agent, AgentResult, AgentStream, Chunk
from mastra.cache import LRUCache
from mastra.errors import (
    AuthenticationError,
    AuthError,
    ConfigError,
    ContextLengthError,
    MalformedResponseError,
    MastraError,
    OutputValidationError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
    StorageError,
    StreamError,
    ToolError,
    UsageLimitError,
    VectorError,
    WorkflowError,
)
from mastra.providers import Message, ModelResponse, ToolSpec, get_model
from mastra.rag import HashingEmbedder
from mastra.storage import InMemoryStorage, SQLiteStorage
from mastra.tools import RunContext, Tool, ToolRegistry, tool
from mastra.vector import (
    InMemoryVectorStore,
    SQLiteVectorStore,
    cosine_similarity,
    exact_search,
    inner_product,
    l2_squared,
)

__all__ = [
    "Agent",
    "AgentResult",
    "AgentStream",
    "AuthError",
    "AuthenticationError",
    "Chunk",
    "ConfigError",
    "ContextLengthError",
    "HashingEmbedder",
    "InMemoryStorage",
    "InMemoryVectorStore",
    "Info",
    "LRUCache",
    "MalformedResponseError",
    "Mastra",
    "MastraError",
    "Message",
    "ModelResponse",
    "OutputValidationError",
    "ProviderError",
    "ProviderTimeoutError",
    "ProviderUnavailableError",
    "RateLimitError",
    "RunContext",
    "SQLiteStorage",
    "SQLiteVectorStore",
    "StorageError",
    "StreamError",
    "Tool",
    "ToolError",
    "ToolRegistry",
    "ToolSpec",
    "UsageLimitError",
    "VectorError",
    "WorkflowError",
    "__version__",
    "cosine_similarity",
    "exact_search",
    "get_model",
    "info",
    "inner_product",
    "l2_squared",
    "tool",
]
