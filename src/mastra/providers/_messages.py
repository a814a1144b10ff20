"""What goes to a model and what comes back: messages, tools, responses, stream events."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

import orjson

__all__ = [
    "Finish",
    "FinishReason",
    "ImagePart",
    "Message",
    "ModelResponse",
    "Part",
    "Role",
    "StreamEvent",
    "TextDelta",
    "TextPart",
    "ToolCall",
    "ToolCallDelta",
    "ToolSpec",
    "Usage",
    "collect_stream",
]

Role: TypeAlias = Literal["system", "user", "assistant", "tool"]
FinishReason: TypeAlias = Literal["stop", "length", "tool_calls", "content_filter", "error"]


@dataclass(frozen=True, slots=True)
class TextPart:
    """A piece of text in a message."""

    text: str


@dataclass(frozen=True, slots=True)
class ImagePart:
    """An image in a message, by URL (``https://...`` or a ``data:`` URL).

    Example:
        >>> ImagePart.from_bytes(b"\\x89PNG...", "image/png").url[:22]
        'data:image/png;base64,'
    """

    url: str

    @classmethod
    def from_bytes(cls, data: bytes, media_type: str) -> ImagePart:
        """An image given by its bytes, sent inline as a base64 ``data:`` URL."""
        return cls(f"data:{media_type};base64,{base64.b64encode(data).decode()}")

    @property
    def inline(self) -> tuple[str, str] | None:
        """``(media_type, base64 data)`` for a ``data:`` URL, else ``None``."""
        if not self.url.startswith("data:") or ";base64," not in self.url:
            return None
        head, data = self.url[5:].split(";base64,", 1)
        return head, data


Part: TypeAlias = TextPart | ImagePart


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A call the model asks for: which tool, with which arguments.

    Attributes:
        id: The provider's id for the call; the tool's result refers to it.
        name: The tool's name.
        arguments: The arguments, decoded from JSON.
    """

    id: str
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Message:
    """One message of a conversation.

    Use the constructors :meth:`system`, :meth:`user`, :meth:`assistant` and
    :meth:`tool` rather than filling the fields by hand.

    Attributes:
        role: ``"system"``, ``"user"``, ``"assistant"`` or ``"tool"``.
        content: Text, or text and image parts.
        tool_calls: For an assistant message: the calls it asked for.
        tool_call_id: For a tool message: the id of the call it answers.
        name: For a tool message: the tool's name (some providers want it).

    Example:
        >>> Message.user("What is in this picture?", ImagePart("https://example.com/cat.png")).role
        'user'
    """

    role: Role
    content: str | Sequence[Part] = ""
    tool_calls: Sequence[ToolCall] = ()
    tool_call_id: str | None = None
    name: str | None = None

    @classmethod
    def system(cls, text: str) -> Message:
        """Instructions for the model."""
        return cls("system", text)

    @classmethod
    def user(cls, text: str, *images: ImagePart) -> Message:
        """What the user says, optionally with images."""
        return cls("user", (TextPart(text), *images) if images else text)

    @classmethod
    def assistant(cls, text: str = "", tool_calls: Sequence[ToolCall] = ()) -> Message:
        """What the model said before, with the tool calls it made."""
        return cls("assistant", text, tuple(tool_calls))

    @classmethod
    def tool(cls, tool_call_id: str, content: str, name: str | None = None) -> Message:
        """The result of a tool call, sent back to the model."""
        return cls("tool", content, tool_call_id=tool_call_id, name=name)

    @property
    def text(self) -> str:
        """The message's text parts, joined."""
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text for part in self.content if isinstance(part, TextPart))

    @property
    def parts(self) -> tuple[Part, ...]:
        """The content as parts (a plain string is one text part)."""
        if isinstance(self.content, str):
            return (TextPart(self.content),) if self.content else ()
        return tuple(self.content)


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool offered to the model.

    Attributes:
        name: The tool's name (letters, digits, ``_`` and ``-``).
        description: What the tool does, for the model to decide when to call it.
        parameters: The JSON schema of its arguments (an object schema).
    """

    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens counted by the provider for one call (or summed over several)."""

    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens, self.output_tokens + other.output_tokens
        )


@dataclass(frozen=True, slots=True)
class ModelResponse:
    """A model's complete answer.

    Attributes:
        text: The text it wrote (the JSON document, with an output schema).
        tool_calls: The tool calls it asked for, in order.
        finish_reason: Why it stopped.
        usage: The tokens counted for the call.
        model: The model that answered (as the provider names it).
        provider: The provider that served it.
        raw: The provider's decoded response body (``None`` for streams).
        output: With an output schema: the decoded JSON (an instance of the pydantic
            model when the schema was one), else ``None``.
    """

    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: FinishReason = "stop"
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    provider: str = ""
    raw: Any = field(default=None, repr=False)
    output: Any = None

    def json(self) -> Any:
        """The text decoded as JSON."""
        return orjson.loads(self.text)


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of the answer's text."""

    text: str


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    """A piece of a tool call as it streams: id and name first, then argument fragments.

    Attributes:
        index: Which call of the answer this piece belongs to (0-based).
        id: The call's id (on its first piece only).
        name: The tool's name (on its first piece only).
        arguments_delta: A fragment of the arguments' JSON text.
    """

    index: int
    id: str | None = None
    name: str | None = None
    arguments_delta: str = ""


@dataclass(frozen=True, slots=True)
class Finish:
    """The end of a streamed answer.

    Attributes:
        reason: Why the model stopped.
        usage: The tokens counted for the call.
        model: The model that answered.
    """

    reason: FinishReason
    usage: Usage = field(default_factory=Usage)
    model: str = ""


StreamEvent: TypeAlias = TextDelta | ToolCallDelta | ToolCall | Finish


async def collect_stream(
    events: AsyncIterable[StreamEvent], *, provider: str = ""
) -> ModelResponse:
    """Gathers a stream's events into the :class:`ModelResponse` it amounts to.

    Example:
        >>> async def answer(model):
        ...     return await collect_stream(model.stream("Hello"))
    """
    text: list[str] = []
    calls: list[ToolCall] = []
    finish = Finish("stop")
    async for event in events:
        if isinstance(event, TextDelta):
            text.append(event.text)
        elif isinstance(event, ToolCall):
            calls.append(event)
        elif isinstance(event, Finish):
            finish = event
    return ModelResponse(
        text="".join(text),
        tool_calls=calls,
        finish_reason=finish.reason,
        usage=finish.usage,
        model=finish.model,
        provider=provider,
    )
