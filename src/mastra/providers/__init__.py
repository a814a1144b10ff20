"""LLM providers: messages, tools and responses, and the models that speak each protocol.

Models (the wire protocol: :class:`OpenAIChatModel`, :class:`AnthropicModel`) are kept
apart from providers (:class:`Provider`: base URL, key, HTTP client), so one protocol
serves every compatible server.

Example:
    >>> from mastra.providers import Message, ToolSpec
    >>> weather = ToolSpec("weather", "Current weather", {"type": "object",
    ...     "properties": {"city": {"type": "string"}}, "required": ["city"]})
    >>> [Message.system("Be brief."), Message.user("Weather in Paris?")][1].text
    'Weather in Paris?'
"""

from __future__ import annotations

from mastra.providers._anthropic import AnthropicModel, anthropic_provider
from mastra.providers._base import Messages, Model, OutputSchema, Provider
from mastra.providers._embeddings import OpenAIEmbedder, get_embedder
from mastra.providers._fallback import FallbackModel
from mastra.providers._messages import (
    Finish,
    FinishReason,
    ImagePart,
    Message,
    ModelResponse,
    Part,
    Role,
    StreamEvent,
    TextDelta,
    TextPart,
    ToolCall,
    ToolCallDelta,
    ToolSpec,
    Usage,
    collect_stream,
)
from mastra.providers._openai import OpenAIChatModel, openai_provider
from mastra.providers._router import get_model, get_provider

__all__ = [
    "AnthropicModel",
    "FallbackModel",
    "Finish",
    "FinishReason",
    "ImagePart",
    "Message",
    "Messages",
    "Model",
    "ModelResponse",
    "OpenAIChatModel",
    "OpenAIEmbedder",
    "OutputSchema",
    "Part",
    "Provider",
    "Role",
    "StreamEvent",
    "TextDelta",
    "TextPart",
    "ToolCall",
    "ToolCallDelta",
    "ToolSpec",
    "Usage",
    "anthropic_provider",
    "collect_stream",
    "get_embedder",
    "get_model",
    "get_provider",
    "openai_provider",
]
