"""What a run gives back: its steps, its result, and the chunks of its stream."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeAlias, TypeVar

from mastra.providers import Message, ToolCall, Usage

__all__ = [
    "AgentFinishReason",
    "AgentResult",
    "Chunk",
    "ChunkType",
    "Step",
    "ToolResult",
    "usage_json",
]

OutputT = TypeVar("OutputT")
AgentFinishReason: TypeAlias = Literal[
    "stop", "length", "tool_calls", "content_filter", "error", "max_steps"
]
ChunkType: TypeAlias = Literal[
    "start",
    "step-start",
    "text-start",
    "text-delta",
    "text-end",
    "tool-call",
    "tool-result",
    "tool-error",
    "step-finish",
    "finish",
    "error",
]


@dataclass(frozen=True, slots=True)
class ToolResult:
    """The outcome of one tool call.

    Attributes:
        tool_call_id: The id of the call it answers.
        name: The tool's name.
        arguments: The arguments the model gave.
        result: The text sent back to the model (the error message, on failure).
        is_error: Whether the call failed (invalid arguments, error, timeout).
    """

    tool_call_id: str
    name: str
    arguments: dict[str, Any]
    result: str
    is_error: bool = False


@dataclass(frozen=True, slots=True)
class Step:
    """One model call of a run and the tool calls it led to.

    Attributes:
        text: The text the model wrote in this step.
        tool_calls: The tool calls it asked for.
        tool_results: Their outcomes, in the same order.
        usage: The tokens counted for this step's model call.
        finish_reason: Why the model stopped in this step.
    """

    text: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_results: tuple[ToolResult, ...] = ()
    usage: Usage = field(default_factory=Usage)
    finish_reason: str = "stop"


@dataclass(frozen=True, slots=True)
class AgentResult(Generic[OutputT]):
    """The result of :meth:`Agent.generate`.

    Attributes:
        text: The final answer's text.
        output: The answer validated as the run's ``output_type`` (``None`` without).
        messages: The whole conversation, instructions and the final answer included.
        steps: Each model call with its tool calls and results.
        usage: The tokens of every step, summed.
        finish_reason: ``"stop"``, ``"length"``, ``"content_filter"``, or
            ``"max_steps"`` when the step limit ended the run.
        run_id: The run's id (as on its stream chunks).
    """

    text: str
    output: OutputT
    messages: list[Message]
    steps: list[Step]
    usage: Usage
    finish_reason: AgentFinishReason
    run_id: str = ""


@dataclass(frozen=True, slots=True)
class Chunk:
    """One chunk of an agent's stream, shaped like Mastra's stream chunks.

    Attributes:
        type: ``start``, ``step-start``, ``text-start``, ``text-delta``, ``text-end``,
            ``tool-call``, ``tool-result``, ``tool-error``, ``step-finish``, ``finish``
            or ``error``.
        run_id: The run's id.
        payload: The chunk's data, with Mastra's keys (``id`` of a text block,
            ``text``, ``toolCallId``, ``toolName``, ``args``, ``result``, ``error``,
            ``usage``...).
        from_: Who sent it (``"AGENT"``); ``from`` on the wire.
    """

    type: ChunkType
    run_id: str
    payload: dict[str, Any]
    from_: str = "AGENT"

    def to_dict(self) -> dict[str, Any]:
        """The chunk as Mastra sends it (``runId``, ``from``)."""
        return {
            "type": self.type,
            "runId": self.run_id,
            "from": self.from_,
            "payload": self.payload,
        }


def usage_json(usage: Usage) -> dict[str, int]:
    """Usage with Mastra's keys."""
    return {
        "inputTokens": usage.input_tokens,
        "outputTokens": usage.output_tokens,
        "totalTokens": usage.total_tokens,
    }
