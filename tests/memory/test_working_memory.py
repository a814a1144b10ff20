"""Working memory: template and schema, resource and thread scope, the model's tool,
and refused updates (a typed error, the stored data untouched)."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field

from mastra.agent import Agent
from mastra.errors import ConfigError, ToolError, WorkingMemoryError
from mastra.memory import WorkingMemory

from .conftest import MemoryFactory
from .helpers import Recorder, system_texts, update

pytestmark = pytest.mark.anyio


class Place(BaseModel):
    city: str
    country: str | None = None


class Profile(BaseModel):
    name: str | None = None
    age: int | None = Field(default=None, ge=0)
    home: Place | None = None


class Strict(BaseModel):
    name: str


async def run(agent: Agent, text: str, thread: str = "t1", resource: str = "u1") -> object:
    return await agent.generate(text, thread_id=thread, resource_id=resource)


async def test_resource_scope_is_shared_by_the_threads_of_a_resource(
    make_memory: MemoryFactory,
) -> None:
    memory = make_memory(working_memory=WorkingMemory(template="- Name:\n"))
    recorder = Recorder(script=[update("- Name: Ada\n"), "noted"])
    agent = Agent("chat", None, recorder.model(), memory=memory)
    await run(agent, "I am Ada", "a")
    await run(agent, "Who am I?", "b")
    assert "- Name: Ada\n</working_memory>" in system_texts(recorder.last)[0]
    await run(agent, "Who am I?", "c", "u2")
    assert "- Name:\n</working_memory>" in system_texts(recorder.last)[0]
    assert await memory.get_working_memory(thread_id="b") == "- Name: Ada\n"
    assert await memory.get_working_memory(resource_id="u2") is None


async def test_thread_scope_keeps_one_per_thread(make_memory: MemoryFactory) -> None:
    memory = make_memory(working_memory=WorkingMemory(template="- Name:\n", scope="thread"))
    recorder = Recorder(script=[update("- Name: Ada\n"), "noted"])
    agent = Agent("chat", None, recorder.model(), memory=memory)
    await run(agent, "I am Ada", "a")
    await run(agent, "Who am I?", "b")
    assert "- Name:\n</working_memory>" in system_texts(recorder.last)[0]
    await run(agent, "Who am I?", "a")
    assert "- Name: Ada\n</working_memory>" in system_texts(recorder.last)[0]
    thread = await memory.get_thread("a")
    assert thread is not None
    assert thread.metadata["workingMemory"] == "- Name: Ada\n"
    assert await memory.get_working_memory(thread_id="b") is None
    with pytest.raises(ConfigError, match="needs a thread_id"):
        await memory.get_working_memory(resource_id="u1")


async def test_schema_updates_merge_fields_and_null_removes_one(
    make_memory: MemoryFactory,
) -> None:
    memory = make_memory(working_memory=WorkingMemory(schema=Profile))
    script = [
        update({"name": "Ada", "home": {"city": "London"}}, "c1"),
        update({"age": 36, "home": {"country": "UK"}}, "c2"),
        update({"name": None}, "c3"),
        "done",
    ]
    agent = Agent("chat", None, Recorder(script=script).model(), memory=memory)
    result = await run(agent, "remember me")
    assert [r.result for s in result.steps for r in s.tool_results] == [  # type: ignore[attr-defined]
        "Working memory updated."
    ] * 3
    assert await memory.get_working_memory(resource_id="u1") == {
        "age": 36,
        "home": {"city": "London", "country": "UK"},
    }


async def test_the_schema_is_shown_and_offered_to_the_model(make_memory: MemoryFactory) -> None:
    memory = make_memory(working_memory=WorkingMemory(schema=Profile))
    await memory.update_working_memory({"name": "Ada"}, resource_id="u1")
    recorder = Recorder()
    agent = Agent("chat", None, recorder.model(), memory=memory)
    await run(agent, "hi")
    shown = system_texts(recorder.last)[0]
    assert '<working_memory>\n{"name":"Ada"}\n</working_memory>' in shown
    assert '"age"' in shown
    spec = memory.tools()[0].spec
    assert spec.name == "updateWorkingMemory"
    assert spec.parameters["required"] == ["memory"]
    memory_schema = spec.parameters["properties"]["memory"]
    assert set(memory_schema["properties"]) == {"name", "age", "home"}
    assert "required" not in memory_schema  # partial updates are merged
    assert "Place" in spec.parameters["$defs"]  # nested models resolve from the root


async def test_an_invalid_update_is_a_tool_error_and_changes_nothing(
    make_memory: MemoryFactory,
) -> None:
    memory = make_memory(working_memory=WorkingMemory(schema=Profile))
    await memory.update_working_memory({"name": "Ada", "age": 36}, resource_id="u1")
    recorder = Recorder(script=[update({"age": -3, "name": "Bob"}), "sorry"])
    agent = Agent("chat", None, recorder.model(), memory=memory)
    result = await run(agent, "I am Bob, aged -3")
    (outcome,) = result.steps[0].tool_results  # type: ignore[attr-defined]
    assert outcome.is_error
    assert "does not follow Profile: age: Input should be greater than or equal to 0" in (
        outcome.result
    )
    # the model was shown the error, and the stored data is untouched
    assert recorder.last[-1].role == "tool"
    assert recorder.last[-1].text == outcome.result
    assert await memory.get_working_memory(resource_id="u1") == {"name": "Ada", "age": 36}


async def test_a_merge_that_misses_required_fields_is_refused(
    make_memory: MemoryFactory,
) -> None:
    memory = make_memory(working_memory=WorkingMemory(schema=Strict))
    recorder = Recorder(script=[update({"nickname": "A"}), update({"name": "Ada"}, "c2"), "ok"])
    agent = Agent("chat", None, recorder.model(), memory=memory)
    result = await run(agent, "hi")
    outcomes = [r for s in result.steps for r in s.tool_results]  # type: ignore[attr-defined]
    assert [o.is_error for o in outcomes] == [True, False]
    assert "name: Field required" in outcomes[0].result
    assert await memory.get_working_memory(resource_id="u1") == {"name": "Ada"}


async def test_the_wrong_kind_of_value_is_refused_before_the_tool_runs(
    make_memory: MemoryFactory,
) -> None:
    memory = make_memory(working_memory=True)
    recorder = Recorder(script=[update({"name": "Ada"}), "ok"])
    agent = Agent("chat", None, recorder.model(), memory=memory)
    result = await run(agent, "hi")
    (outcome,) = result.steps[0].tool_results  # type: ignore[attr-defined]
    assert outcome.is_error
    assert "memory: must be of type string" in outcome.result
    assert await memory.get_working_memory(resource_id="u1") is None


async def test_direct_updates_raise_a_typed_error(make_memory: MemoryFactory) -> None:
    memory = make_memory(working_memory=WorkingMemory(schema=Profile))
    await memory.update_working_memory({"name": "Ada"}, resource_id="u1")
    with pytest.raises(WorkingMemoryError, match="age") as caught:
        await memory.update_working_memory({"age": "old"}, resource_id="u1")
    assert isinstance(caught.value, ValueError)
    assert not isinstance(caught.value, ToolError)
    with pytest.raises(WorkingMemoryError, match="JSON object"):
        await memory.update_working_memory("text", resource_id="u1")
    assert await memory.get_working_memory(resource_id="u1") == {"name": "Ada"}
    # without merge an update replaces the whole object
    assert await memory.update_working_memory({"age": 3}, resource_id="u1") == {"age": 3}
    text_memory = make_memory(working_memory=True)
    with pytest.raises(WorkingMemoryError, match="Markdown text"):
        await text_memory.update_working_memory({"a": 1}, resource_id="u1")


async def test_working_memory_configuration_errors(make_memory: MemoryFactory) -> None:
    with pytest.raises(ConfigError, match="not both"):
        WorkingMemory(template="x", schema=Profile)
    with pytest.raises(ConfigError, match="pydantic model"):
        WorkingMemory(schema=dict)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="scope"):
        WorkingMemory(scope="user")  # type: ignore[arg-type]
    plain = make_memory()
    assert plain.tools() == ()
    with pytest.raises(ConfigError, match="no working memory"):
        await plain.get_working_memory(resource_id="u1")
    scoped = make_memory(working_memory=True)
    with pytest.raises(ConfigError, match="resource_id or a thread_id"):
        await scoped.get_working_memory()


def test_the_error_is_in_the_tree() -> None:
    import pickle

    import mastra
    from mastra.errors import MastraError

    err = WorkingMemoryError("bad update", schema="Profile")
    assert isinstance(err, MastraError)
    assert err.code == "working_memory_error"
    clone = pickle.loads(pickle.dumps(err))
    assert (type(clone), clone.context) == (WorkingMemoryError, {"schema": "Profile"})
    assert mastra.WorkingMemoryError is WorkingMemoryError
    assert mastra.Memory.__module__ == "mastra.memory._memory"
