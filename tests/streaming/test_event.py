"""SSEEvent: construction, equality, hashing, pickling and json()."""

from __future__ import annotations

import pickle

import pytest

from mastra.streaming import SSEEvent


def test_defaults() -> None:
    event = SSEEvent()
    assert (event.event, event.data, event.id, event.retry) == ("message", "", "", None)


def test_fields_are_read_only() -> None:
    event = SSEEvent(data="x")
    with pytest.raises(AttributeError):
        event.data = "y"  # type: ignore[misc]


def test_equality_and_hash() -> None:
    a = SSEEvent(data="x", event="e", id="1", retry=5)
    b = SSEEvent(data="x", event="e", id="1", retry=5)
    assert a == b
    assert hash(a) == hash(b)
    assert a != SSEEvent(data="x", event="e", id="1")
    assert a != ("x", "e", "1", 5)


def test_repr_names_every_field() -> None:
    assert repr(SSEEvent(data="x", retry=3)) == (
        "SSEEvent(event='message', data='x', id='', retry=3)"
    )


def test_pickle_round_trip() -> None:
    event = SSEEvent(data="x", event="e", id="1", retry=5)
    assert pickle.loads(pickle.dumps(event)) == event


def test_json_decodes_data() -> None:
    assert SSEEvent(data='{"a": [1, 2.5, "é"]}').json() == {"a": [1, 2.5, "é"]}


def test_json_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"[Ee]xpect|[Ii]nvalid"):
        SSEEvent(data="not json").json()


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"data": b"x"}, TypeError),
        ({"event": 1}, TypeError),
        ({"id": None}, TypeError),
        ({"retry": "5"}, TypeError),
        ({"retry": True}, TypeError),
    ],
)
def test_constructor_checks_types(kwargs: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        SSEEvent(**kwargs)  # type: ignore[arg-type]


def test_str_subclasses_are_stored_as_str() -> None:
    class Tagged(str):
        pass

    assert type(SSEEvent(data=Tagged("x")).data) is str
