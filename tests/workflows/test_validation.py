"""commit() checks the graph; runs check data against schemas; errors name the step."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from mastra.errors import ConfigError, WorkflowError
from mastra.workflows import Step, Workflow, from_step, step

pytestmark = pytest.mark.anyio


class User(BaseModel):
    name: str
    age: int


class Named(BaseModel):
    name: str


class Email(BaseModel):
    email: str


@step
def make_user(name: str) -> User:
    return User(name=name, age=3)


@step
def greet(user: Named) -> str:
    return f"hi {user.name}"


@step
def mail(e: Email) -> str:
    return e.email


@step
def count(x: int) -> int:
    return x


@step
def to_int(x: Any) -> int:
    return int(x)


def test_compatible_models_commit() -> None:
    Workflow("w", str, str).then(make_user).then(greet).commit()


def test_missing_field_names_the_step() -> None:
    with pytest.raises(WorkflowError, match=r"step 'mail'.*email") as info:
        Workflow("w", str, str).then(make_user).then(mail).commit()
    assert info.value.context["step"] == "mail"


def test_scalar_mismatch_names_the_step() -> None:
    with pytest.raises(WorkflowError, match="step 'count'"):
        Workflow("w", str).then(greet_str).then(count).commit()


@step
def greet_str(name: str) -> str:
    return name


def test_workflow_input_and_output_are_checked() -> None:
    with pytest.raises(WorkflowError, match="step 'count'"):
        Workflow("w", str).then(count).commit()
    with pytest.raises(WorkflowError, match="ends with"):
        Workflow("w", int, str).then(count).commit()


def test_any_accepts_everything() -> None:
    Workflow("w", str, int).then(to_int).then(count).commit()


def test_duplicate_ids_are_rejected() -> None:
    with pytest.raises(WorkflowError, match=r"step 'count'.*twice"):
        Workflow("w", int).then(count).parallel([count]).commit()


def test_unreachable_steps_are_rejected() -> None:
    with pytest.raises(WorkflowError, match=r"step 'count'.*unreachable"):
        Workflow("w", int).branch([(False, count)]).commit()
    with pytest.raises(WorkflowError, match=r"step 'to_int'.*never ends"):
        Workflow("w", int).dowhile(count, True).then(to_int).commit()


def test_empty_and_uncommitted() -> None:
    with pytest.raises(WorkflowError, match="no steps"):
        Workflow("w").commit()
    with pytest.raises(WorkflowError, match="commit"):
        Workflow("w").then(count).create_run()
    inner = Workflow("inner", int, int).then(count)
    with pytest.raises(WorkflowError, match=r"step 'inner'.*not committed"):
        Workflow("w", int).then(inner).commit()
    done = Workflow("x", int).then(count).commit()
    with pytest.raises(WorkflowError, match="committed"):
        done.then(to_int)


def test_map_must_read_earlier_steps() -> None:
    with pytest.raises(WorkflowError, match="count"):
        Workflow("w", int).map({"v": from_step(count)}).then(count).commit()


def test_foreach_needs_a_list() -> None:
    with pytest.raises(WorkflowError, match="foreach needs a list"):
        Workflow("w", int).foreach(count).commit()
    with pytest.raises(WorkflowError, match="step 'greet'"):
        Workflow("w", list[int]).foreach(greet).commit()


def test_bad_arguments() -> None:
    with pytest.raises(ConfigError):
        Step("", lambda c: None, input_schema=Any, output_schema=Any)
    with pytest.raises(ConfigError):
        Step("s", lambda c: None, input_schema=Any, output_schema=Any, retries=-1)
    with pytest.raises(ConfigError):
        Step("s", lambda c: None, input_schema=Any, output_schema=Any, timeout=0)
    with pytest.raises(ConfigError):
        Workflow("w").foreach(count, concurrency=0)
    with pytest.raises(WorkflowError):
        Workflow("w").parallel([])


async def test_run_input_is_validated() -> None:
    wf = Workflow("w", int, int).then(count).commit()
    with pytest.raises(WorkflowError, match="input of workflow 'w'"):
        await wf.create_run().start("not a number")


async def test_bad_step_input_at_run_time_fails_the_run_naming_the_step() -> None:
    wf = Workflow("w", Any).then(make_user).commit()
    result = await wf.create_run().start({"not": "a string"})
    assert result.status == "failed"
    assert result.error is not None
    assert "step 'make_user'" in result.error
    assert result.steps["make_user"]["status"] == "failed"


async def test_bad_step_output_fails_the_run() -> None:
    liar = Step("liar", lambda ctx: "seven", input_schema=Any, output_schema=int)
    result = await Workflow("w").then(liar).commit().create_run().start(None)
    assert result.status == "failed"
    assert result.error is not None
    assert "output of step 'liar'" in result.error


async def test_model_outputs_are_stored_as_json() -> None:
    result = await Workflow("w", str).then(make_user).commit().create_run().start("ada")
    assert result.result == {"name": "ada", "age": 3}


def test_describe_is_json() -> None:
    import orjson

    wf = Workflow("w", str, str).then(make_user).then(greet).commit()
    info = wf.describe()
    assert [e["id"] for e in info["entries"]] == ["make_user", "greet"]
    orjson.dumps(info)
