"""Model messages to stored messages and back, and prompts cut through tool calls."""

from __future__ import annotations

from mastra.memory import model_message, stored_message
from mastra.memory._convert import other_threads_message, prompt_safe
from mastra.providers import ImagePart, Message, TextPart, ToolCall
from mastra.storage import Message as StoredMessage


def round_trip(message: Message) -> Message:
    return model_message(stored_message(message, "t1", "u1"))


def test_messages_survive_a_round_trip() -> None:
    image = Message.user("what is this?", ImagePart("https://example.com/cat.png"))
    call = Message.assistant("checking", [ToolCall("c1", "lookup", {"q": "cat", "n": [1]})])
    result = Message.tool("c1", '{"kind": "cat"}', "lookup")
    for message in [Message.user("hi"), image, call, result, Message.assistant("bye")]:
        assert round_trip(message) == message


def test_stored_content_uses_mastra_parts() -> None:
    call = Message.assistant("", [ToolCall("c1", "lookup", {"q": "cat"})])
    assert stored_message(call, "t1", None).content == [
        {"type": "tool-call", "toolCallId": "c1", "toolName": "lookup", "args": {"q": "cat"}}
    ]
    assert stored_message(Message.tool("c1", "found", "lookup"), "t1", None).content == [
        {"type": "tool-result", "toolCallId": "c1", "toolName": "lookup", "result": "found"}
    ]
    mixed = StoredMessage("m", "t", "user", [{"type": "text", "text": "a"}, {"type": "other"}])
    assert model_message(mixed).content == "a"
    assert model_message(StoredMessage("m", "t", "user", [])).content == ""
    parts = model_message(stored_message(Message.user("x", ImagePart("u")), "t", None)).content
    assert parts == (TextPart("x"), ImagePart("u"))


def test_prompt_safe_drops_halves_of_tool_round_trips() -> None:
    both = Message.assistant("", [ToolCall("a", "f"), ToolCall("b", "f")])
    messages = [
        Message.tool("z", "orphan result", "f"),
        Message.user("go"),
        both,
        Message.tool("a", "A", "f"),
        Message.assistant("said with a call", [ToolCall("c", "f")]),
        Message.assistant("", [ToolCall("d", "f")]),
    ]
    safe = prompt_safe(messages)
    assert [m.role for m in safe] == ["user", "assistant", "tool", "assistant"]
    assert safe[1].tool_calls == (ToolCall("a", "f"),)
    assert safe[3] == Message.assistant("said with a call")


def test_other_threads_are_summarised_per_thread() -> None:
    records = [
        stored_message(Message.user("one"), "a", "u"),
        stored_message(Message.assistant("two"), "a", "u"),
        stored_message(Message.tool("c", "skip", "f"), "a", "u"),
        stored_message(Message.user("three"), "b", "u"),
    ]
    summary = other_threads_message(records)
    assert summary is not None
    assert summary.role == "system"
    assert "<thread id='a'>\nuser: one\nassistant: two\n</thread>\n<thread id='b'>" in summary.text
    assert "skip" not in summary.text
    assert other_threads_message(records[2:3]) is None
