"""encode_sse: the wire format, its checks, and the round trip through SSEParser."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mastra.errors import StreamError
from mastra.streaming import SSEEvent, SSEParser, encode_sse

text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=40)
one_line = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"), max_size=20
)


def test_wire_format() -> None:
    assert encode_sse("a\nb", event="e", id="1", retry=10, comment="hi") == (
        b": hi\nevent: e\nid: 1\nretry: 10\ndata: a\ndata: b\n\n"
    )


def test_plain_data() -> None:
    assert encode_sse("x") == b"data: x\n\n"
    assert encode_sse("") == b"data:\n\n"


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\r\n"])
@pytest.mark.parametrize("field", ["event", "id"])
def test_line_breaks_in_event_or_id_are_rejected(field: str, bad: str) -> None:
    with pytest.raises(StreamError, match=f"{field}.*CR or LF"):
        encode_sse("x", **{field: bad})  # type: ignore[arg-type]


def test_nul_in_id_is_rejected() -> None:
    with pytest.raises(StreamError, match="NUL"):
        encode_sse("x", id="a\0b")


def test_negative_retry_is_rejected() -> None:
    with pytest.raises(StreamError, match="non-negative"):
        encode_sse("x", retry=-1)


def normalise(value: str) -> str:
    return re.sub(r"\r\n|\r", "\n", value)


@given(
    data=text,
    event=st.none() | one_line,
    id=st.none() | one_line.filter(lambda s: "\0" not in s),
    retry=st.none() | st.integers(0, 2**63),
    comment=st.none() | text,
)
def test_round_trip(
    data: str, event: str | None, id: str | None, retry: int | None, comment: str | None
) -> None:
    parser = SSEParser()
    out = parser.feed(encode_sse(data, event=event, id=id, retry=retry, comment=comment))
    assert out == [
        SSEEvent(data=normalise(data), event=event or "message", id=id or "", retry=retry)
    ]


@given(datas=st.lists(text, max_size=5), size=st.integers(1, 7))
def test_round_trip_of_a_stream_in_small_chunks(datas: list[str], size: int) -> None:
    stream = b"".join(encode_sse(d, id=str(i)) for i, d in enumerate(datas))
    parser = SSEParser()
    out = [e for i in range(0, len(stream), size) for e in parser.feed(stream[i : i + size])]
    assert [(e.data, e.id) for e in out] == [(normalise(d), str(i)) for i, d in enumerate(datas)]
