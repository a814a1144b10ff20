"""Memory end to end through an agent and a recording FunctionModel: what the model is
shown (recent messages, recalled ones with their neighbours, working memory) and what
is saved after each turn."""

from __future__ import annotations

import pytest

from mastra.agent import Agent
from mastra.errors import ConfigError, StorageError
from mastra.memory import Memory, SemanticRecall, WorkingMemory, model_message
from mastra.providers import Message, ModelResponse, ToolCall
from mastra.rag import HashingEmbedder
from mastra.storage import InMemoryStorage
from mastra.tools import tool
from mastra.vector import InMemoryVectorStore

from .conftest import MemoryFactory
from .helpers import Recorder, system_texts, texts

pytestmark = pytest.mark.anyio

FILLER = [
    f"Weather report {i}: {w} skies over the harbour"
    for i, w in enumerate(
        [
            "grey",
            "blue",
            "pale",
            "dark",
            "clear",
            "misty",
            "bright",
            "heavy",
            "stormy",
            "calm",
            "silver",
            "golden",
            "rosy",
            "dim",
            "open",
            "windy",
        ]
    )
]
FACT = "My favourite volcano is Stromboli in Sicily"


@tool
def shout(word: str) -> str:
    """Shouts a word.

    Args:
        word: The word.
    """
    return word.upper()


async def seed(memory: Memory, thread: str, resource: str, lines: list[str]) -> None:
    """Saves ``lines`` in order, alternating user and assistant."""
    messages = [
        Message.user(line) if i % 2 == 0 else Message.assistant(line)
        for i, line in enumerate(lines)
    ]
    await memory.save_messages(thread, messages, resource_id=resource)


async def test_the_model_sees_the_last_messages_and_the_thread_is_kept(
    make_memory: MemoryFactory,
) -> None:
    memory = make_memory(last_messages=4)
    recorder = Recorder()
    agent = Agent("chat", "Be brief.", recorder.model(), memory=memory)
    for word in ["one", "two", "three"]:
        await agent.generate(word, thread_id="t1", resource_id="u1")
    assert texts(recorder.prompts[0]) == ["Be brief.", "one"]
    assert texts(recorder.last) == ["Be brief.", "one", "ok 1", "two", "ok 2", "three"]
    await agent.generate("four", thread_id="t1", resource_id="u1")
    # only the last 4 stored messages come back, oldest first, before the new input
    assert texts(recorder.last) == ["Be brief.", "two", "ok 2", "three", "ok 3", "four"]
    thread = await memory.get_thread("t1")
    assert thread is not None
    assert thread.resource_id == "u1"
    stored = await memory.get_messages("t1")
    assert [(m.role, model_message(m).text) for m in stored][-2:] == [
        ("user", "four"),
        ("assistant", "ok 4"),
    ]
    assert len(stored) == 8
    assert all(m.resource_id == "u1" for m in stored)


async def test_runs_without_a_thread_do_not_touch_memory(make_memory: MemoryFactory) -> None:
    memory = make_memory()
    recorder = Recorder()
    agent = Agent("chat", None, recorder.model(), memory=memory)
    await agent.generate("hello")
    assert (await memory.list_threads("u1")).total == 0


async def test_tool_round_trips_are_saved_and_shown_again(make_memory: MemoryFactory) -> None:
    memory = make_memory()
    call = ModelResponse(tool_calls=[ToolCall("c1", "shout", {"word": "hey"})])
    recorder = Recorder(script=[call, "said HEY", "again"])
    agent = Agent("chat", None, recorder.model(), tools=[shout], memory=memory)
    await agent.generate("shout hey", thread_id="t1", resource_id="u1")
    roles = [m.role for m in await memory.get_messages("t1")]
    assert roles == ["user", "assistant", "tool", "assistant"]
    await agent.generate("and now?", thread_id="t1", resource_id="u1")
    shown = recorder.last
    assert [m.role for m in shown] == ["user", "assistant", "tool", "assistant", "user"]
    assert shown[1].tool_calls == (ToolCall("c1", "shout", {"word": "hey"}),)
    assert (shown[2].tool_call_id, shown[2].name, shown[2].text) == ("c1", "shout", "HEY")


async def test_a_window_cut_through_a_tool_round_trip_stays_valid(
    make_memory: MemoryFactory,
) -> None:
    memory = make_memory(last_messages=2)
    call = ModelResponse(tool_calls=[ToolCall("c1", "shout", {"word": "hey"})])
    recorder = Recorder(script=[call, "", "next"])
    agent = Agent("chat", None, recorder.model(), tools=[shout], memory=memory)
    await agent.generate("shout hey", thread_id="t1", resource_id="u1")
    # the last 2 messages are the tool result and an empty final answer: the result
    # without its call would be refused by providers, so it is left out
    await agent.generate("next", thread_id="t1", resource_id="u1")
    assert [m.role for m in recorder.last] == ["assistant", "user"]


async def test_semantic_recall_brings_neighbours_before_the_recent_messages(
    make_memory: MemoryFactory,
) -> None:
    memory = make_memory(last_messages=2, semantic_recall=SemanticRecall(top_k=1, message_range=1))
    lines = [*FILLER[:6], FACT, *FILLER[6:14]]
    await seed(memory, "t1", "u1", lines)
    recorder = Recorder()
    agent = Agent("chat", "sys", recorder.model(), memory=memory)
    await agent.generate("Which volcano is my favourite?", thread_id="t1", resource_id="u1")
    shown = texts(recorder.last)
    recalled = [FILLER[5], FACT, FILLER[6]]  # the match and one neighbour each side
    recent = lines[-2:]
    assert shown == ["sys", *recalled, *recent, "Which volcano is my favourite?"]


async def test_recalled_messages_are_not_repeated_when_recent(
    make_memory: MemoryFactory,
) -> None:
    memory = make_memory(last_messages=3, semantic_recall=SemanticRecall(top_k=2, message_range=2))
    lines = [*FILLER[:10], FACT, *FILLER[10:12]]
    await seed(memory, "t1", "u1", lines)
    recorder = Recorder()
    agent = Agent("chat", None, recorder.model(), memory=memory)
    await agent.generate("favourite volcano Stromboli?", thread_id="t1", resource_id="u1")
    shown = texts(recorder.last)
    assert len(shown) == len(set(shown))  # nothing twice
    assert shown[-4:] == [FACT, FILLER[10], FILLER[11], "favourite volcano Stromboli?"]


async def test_resource_scope_recalls_other_threads_of_the_same_resource_only(
    make_memory: MemoryFactory,
) -> None:
    memory = make_memory(
        last_messages=2,
        semantic_recall=SemanticRecall(top_k=1, message_range=0, scope="resource"),
    )
    await seed(memory, "a", "u1", [FACT, "Noted."])
    await seed(memory, "x", "u2", ["My favourite volcano is Etna", "Noted."])
    await seed(memory, "b", "u1", FILLER[:4])
    recorder = Recorder()
    agent = Agent("chat", None, recorder.model(), memory=memory)
    await agent.generate("Which volcano is my favourite?", thread_id="b", resource_id="u1")
    systems = system_texts(recorder.last)
    assert len(systems) == 1
    assert "remembered_from_other_conversations" in systems[0]
    assert f"user: {FACT}" in systems[0]
    assert "Etna" not in systems[0]
    assert texts(recorder.last, "user", "assistant") == [
        *FILLER[2:4],
        "Which volcano is my favourite?",
    ]


async def test_thread_scope_does_not_look_in_other_threads(make_memory: MemoryFactory) -> None:
    memory = make_memory(last_messages=2, semantic_recall=SemanticRecall(top_k=1))
    await seed(memory, "a", "u1", [FACT, "Noted."])
    await seed(memory, "b", "u1", FILLER[:4])
    recorder = Recorder()
    agent = Agent("chat", None, recorder.model(), memory=memory)
    await agent.generate("Which volcano is my favourite?", thread_id="b", resource_id="u1")
    shown = texts(recorder.last)
    assert FACT not in shown
    assert not system_texts(recorder.last)
    assert shown[-1] == "Which volcano is my favourite?"
    assert set(shown[:-1]) <= set(FILLER[:4])


async def test_working_memory_is_shown_and_its_tool_offered(make_memory: MemoryFactory) -> None:
    memory = make_memory(working_memory=WorkingMemory(template="# Profile\n- Name:\n"))
    recorder = Recorder(script=[_update("# Profile\n- Name: Ada\n"), "Hi Ada", "Still Ada"])
    agent = Agent("chat", "sys", recorder.model(), memory=memory)
    await agent.generate("I am Ada", thread_id="t1", resource_id="u1")
    first = system_texts(recorder.prompts[0])
    assert first[0] == "sys"
    assert "<working_memory>\n# Profile\n- Name:\n</working_memory>" in first[1]
    assert recorder.tools[0] == ["updateWorkingMemory"]
    await agent.generate("Who am I?", thread_id="t1", resource_id="u1")
    assert "- Name: Ada\n</working_memory>" in system_texts(recorder.last)[1]
    assert await memory.get_working_memory(resource_id="u1") == "# Profile\n- Name: Ada\n"
    # the update round trip is part of the thread, the working memory message is not
    roles = [m.role for m in await memory.get_messages("t1")]
    assert roles == ["user", "assistant", "tool", "assistant", "user", "assistant"]


async def test_agent_tools_and_memory_tools_are_offered_together(
    make_memory: MemoryFactory,
) -> None:
    memory = make_memory(working_memory=True)
    recorder = Recorder()
    agent = Agent("chat", None, recorder.model(), tools=[shout], memory=memory)
    await agent.generate("hi", thread_id="t1", resource_id="u1")
    await agent.generate("hi")  # no thread: no memory tool
    assert recorder.tools == [["shout", "updateWorkingMemory"], ["shout"]]


async def test_streamed_runs_use_memory_too(make_memory: MemoryFactory) -> None:
    memory = make_memory()
    recorder = Recorder()
    agent = Agent("chat", None, recorder.model(), memory=memory)
    await agent.generate("first", thread_id="t1", resource_id="u1")
    async with agent.stream("second", thread_id="t1", resource_id="u1") as stream:
        result = await stream.result()
    assert result.text == "ok 2"
    assert texts(recorder.last) == ["first", "ok 1", "second"]
    assert len(await memory.get_messages("t1")) == 4


async def test_a_thread_needs_its_resource(make_memory: MemoryFactory) -> None:
    memory = make_memory()
    agent = Agent("chat", None, Recorder().model(), memory=memory)
    with pytest.raises(ConfigError, match="give a resource_id"):
        await agent.generate("hi", thread_id="new")
    await agent.generate("hi", thread_id="t1", resource_id="u1")
    # an existing thread is found without its resource, and refused to another one
    await agent.generate("again", thread_id="t1")
    assert len(await memory.get_messages("t1")) == 4
    with pytest.raises(ConfigError, match="another resource"):
        await agent.generate("mine now", thread_id="t1", resource_id="intruder")
    assert len(await memory.get_messages("t1")) == 4


async def test_a_failed_save_keeps_nothing(make_memory: MemoryFactory) -> None:
    memory = make_memory()
    broken = Message.assistant("", [ToolCall("c1", "f", {"value": object()})])
    with pytest.raises(StorageError):
        await memory.save_messages("t9", [Message.user("hi"), broken], resource_id="u1")
    # the thread made for the messages was rolled back with them
    assert await memory.get_thread("t9") is None
    assert await memory.get_messages("t9") == []


async def test_in_memory_stores_work_the_same() -> None:
    memory = Memory(
        InMemoryStorage(),
        vector_store=InMemoryVectorStore(),
        embedder=HashingEmbedder(),
        last_messages=2,
        semantic_recall=SemanticRecall(top_k=1, message_range=1),
    )
    async with memory:
        await seed(memory, "t1", "u1", [*FILLER[:6], FACT, *FILLER[6:10]])
        recorder = Recorder()
        agent = Agent("chat", None, recorder.model(), memory=memory)
        await agent.generate("Which volcano is my favourite?", thread_id="t1", resource_id="u1")
    assert texts(recorder.last)[:3] == [FILLER[5], FACT, FILLER[6]]


def _update(text: str) -> ModelResponse:
    return ModelResponse(
        tool_calls=[ToolCall("wm1", "updateWorkingMemory", {"memory": text})],
        finish_reason="tool_calls",
    )
