"""The compiled parser against the reference, on random streams cut at random places."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from .helpers import cut, parse_chunks
from .reference import parse_reference

FIELD_NAMES = ["data", "event", "id", "retry", "Data", "ID", "dat", "datas", "", "x"]
ENDINGS = ["\n", "\r", "\r\n"]

values = st.one_of(
    st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"), max_size=12),
    st.from_regex(r"\A[0-9]{1,6}\Z"),
    st.sampled_from(["", " ", "  x", "1 2", "12a", "\0", "a\0b", ":", " : ", "é", "🙂"]),
)


@st.composite
def lines(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["field", "field", "field", "bare", "comment", "blank"]))
    if kind == "blank":
        return ""
    if kind == "comment":
        return ":" + draw(values)
    name = draw(st.sampled_from(FIELD_NAMES))
    if kind == "bare":
        return name
    return name + draw(st.sampled_from([":", ": ", ":  "])) + draw(values)


@st.composite
def streams(draw: st.DrawFn) -> bytes:
    parts = [line + draw(st.sampled_from(ENDINGS)) for line in draw(st.lists(lines(), max_size=24))]
    text = "".join(parts)
    if draw(st.booleans()):
        text += draw(st.sampled_from(["data: tail", "id: 9", "\r", ""]))
    raw = text.encode()
    prefix = draw(
        st.sampled_from([b"", b"", b"\xef\xbb\xbf", b"\xef\xbb\xbf\xef\xbb\xbf", b"\xef\xbb"])
    )
    if draw(st.booleans()):
        # Invalid UTF-8 somewhere: a lone continuation byte or a truncated sequence.
        at = draw(st.integers(0, len(raw)))
        raw = (
            raw[:at]
            + draw(st.sampled_from([b"\x80", b"\xe2\x82", b"\xff", b"\xed\xa0\x80"]))
            + raw[at:]
        )
    return prefix + raw


ALPHABET = b"data:id\r\n \0retry1:evnt\xef\xbb\xbf\x80"
raw_bytes = st.binary(max_size=200).map(lambda b: bytes(ALPHABET[x % len(ALPHABET)] for x in b))


@given(stream=streams(), cuts=st.lists(st.integers(0, 4096), max_size=12))
def test_random_chunking_matches_reference(stream: bytes, cuts: list[int]) -> None:
    assert parse_chunks(cut(stream, cuts)) == parse_reference(stream)


@given(stream=streams())
def test_one_byte_at_a_time_matches_reference(stream: bytes) -> None:
    chunks = [stream[i : i + 1] for i in range(len(stream))]
    assert parse_chunks(chunks) == parse_reference(stream)


@given(stream=streams())
def test_whole_stream_matches_reference(stream: bytes) -> None:
    assert parse_chunks([stream]) == parse_reference(stream)


@given(stream=raw_bytes, cuts=st.lists(st.integers(0, 256), max_size=8))
def test_arbitrary_bytes_match_reference(stream: bytes, cuts: list[int]) -> None:
    assert parse_chunks(cut(stream, cuts)) == parse_reference(stream)


@given(stream=streams(), cuts=st.lists(st.integers(0, 4096), max_size=12))
def test_empty_chunks_change_nothing(stream: bytes, cuts: list[int]) -> None:
    chunks = [piece for chunk in cut(stream, cuts) for piece in (b"", chunk)]
    assert parse_chunks(chunks) == parse_reference(stream)
