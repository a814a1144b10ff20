"""One named case per rule of the WHATWG event-stream interpretation."""

from __future__ import annotations

import pytest

from mastra.streaming import SSEEvent, SSEParser

from .helpers import parse_chunks
from .reference import RefEvent, parse_reference


def events(stream: bytes) -> list[SSEEvent]:
    parser = SSEParser()
    out = parser.feed(stream)
    parser.close()
    return out


def datas(stream: bytes) -> list[str]:
    return [event.data for event in events(stream)]


def test_simple_event_has_the_defaults() -> None:
    assert events(b"data: hello\n\n") == [SSEEvent(data="hello", event="message", id="")]


def test_one_leading_space_is_removed_from_the_value() -> None:
    assert datas(b"data:a\n\ndata: b\n\ndata:  c\n\n") == ["a", "b", " c"]


@pytest.mark.parametrize("ending", [b"\n", b"\r", b"\r\n"], ids=["LF", "CR", "CRLF"])
def test_every_line_ending_is_accepted(ending: bytes) -> None:
    stream = b"data: a" + ending + b"data: b" + ending + ending
    assert datas(stream) == ["a\nb"]


def test_cr_then_lf_across_chunks_is_one_line_ending() -> None:
    parser = SSEParser()
    assert [e.data for e in parser.feed(b"data: a\r")] == []
    assert [e.data for e in parser.feed(b"\n\r")] == ["a"]
    assert parser.feed(b"\ndata: b\r\n\r\n") == [SSEEvent(data="b")]


def test_cr_cr_is_two_lines() -> None:
    assert datas(b"data: a\r\rdata: b\r\r") == ["a", "b"]


def test_leading_bom_is_stripped_once() -> None:
    bom = b"\xef\xbb\xbf"
    assert datas(bom + b"data: a\n\n") == ["a"]
    # A second BOM makes the first line's field name "\ufeffdata", an unknown field.
    assert datas(bom + bom + b"data: a\n\n") == []
    assert datas(b"data: a\n\n" + bom + b"data: b\n\n") == ["a"]


def test_bom_split_across_chunks() -> None:
    assert parse_chunks([b"\xef", b"\xbb", b"\xbfdata: a\n\n"]).events == [
        RefEvent("message", "a", "", None)
    ]


def test_partial_bom_is_text() -> None:
    assert datas(b"\xef\xbbdata: a\n\n") == []
    assert datas(b"\xef\xbb\n\ndata: a\n\n") == ["a"]


def test_invalid_utf8_is_replaced() -> None:
    assert datas(b"data: a\xffb\xe2\x82\n\n") == ["a\ufffdb\ufffd"]


def test_utf8_character_split_across_chunks() -> None:
    stream = "data: 🙂é\n\n".encode()
    for at in range(len(stream)):
        assert parse_chunks([stream[:at], stream[at:]]).events == [
            RefEvent("message", "🙂é", "", None)
        ]


def test_comments_are_ignored() -> None:
    assert datas(b": hello\ndata: a\n:\n\n") == ["a"]
    assert datas(b": only a comment\n\n") == []


def test_line_without_colon_is_a_field_with_empty_value() -> None:
    assert events(b"data\n\n") == [SSEEvent(data="")]
    assert datas(b"data\ndata\n\n") == ["\n"]


def test_data_lines_are_joined_with_lf() -> None:
    assert datas(b"data: a\ndata:\ndata: c\n\n") == ["a\n\nc"]


def test_event_field_sets_the_type_for_one_event() -> None:
    out = events(b"event: ping\ndata: 1\n\ndata: 2\n\n")
    assert [(e.event, e.data) for e in out] == [("ping", "1"), ("message", "2")]


def test_empty_event_field_means_message() -> None:
    assert events(b"event:\ndata: x\n\n")[0].event == "message"


def test_id_persists_across_events_and_empty_id_resets() -> None:
    parser = SSEParser()
    out = parser.feed(b"id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\n")
    assert [e.id for e in out] == ["1", "1", ""]
    assert parser.last_event_id == ""


def test_id_with_nul_is_ignored() -> None:
    parser = SSEParser()
    out = parser.feed(b"id: 7\n\nid: a\x00b\ndata: x\n\n")
    assert [e.id for e in out] == ["7"]
    assert parser.last_event_id == "7"


def test_last_event_id_is_set_at_blank_line_even_without_data() -> None:
    parser = SSEParser()
    assert parser.feed(b"id: 42\n\n") == []
    assert parser.last_event_id == "42"


def test_retry_accepts_ascii_digits_only() -> None:
    parser = SSEParser()
    out = parser.feed(b"retry: 1500\ndata: a\n\nretry: 15a\ndata: b\n\nretry: -1\nretry:\n\n")
    assert [e.retry for e in out] == [1500, None]
    assert parser.retry == 1500
    assert events(b"retry: \xd9\xa3\ndata: x\n\n")[0].retry is None  # Arabic-Indic digit
    assert events(b"retry: 0007\ndata: x\n\n")[0].retry == 7


def test_large_retry_is_exact() -> None:
    assert events(b"retry: 123456789012345678901234567890\ndata: x\n\n")[0].retry == (
        123456789012345678901234567890
    )


def test_unknown_fields_are_ignored_and_names_are_case_sensitive() -> None:
    assert events(b"Data: a\nEVENT: b\nfoo: c\ndata: d\n\n") == [SSEEvent(data="d")]


def test_empty_data_buffer_dispatches_nothing_and_resets_event_type() -> None:
    assert events(b"event: a\n\ndata: x\n\n") == [SSEEvent(data="x")]


def test_unterminated_event_at_end_is_discarded() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: a\n\ndata: b\n") == [SSEEvent(data="a")]
    parser.close()
    assert parser.closed


def test_unterminated_id_line_is_not_applied() -> None:
    parser = SSEParser()
    parser.feed(b"id: 1\n\nid: 2")
    assert parser.last_event_id == "1"


def test_feed_after_close_raises_stream_error() -> None:
    from mastra.errors import StreamError

    parser = SSEParser()
    parser.close()
    with pytest.raises(StreamError, match="new SSEParser"):
        parser.feed(b"data: a\n\n")


def test_feed_accepts_bytes_like_objects() -> None:
    parser = SSEParser()
    assert parser.feed(bytearray(b"data: a\n")) == []
    assert parser.feed(memoryview(b"\n")) == [SSEEvent(data="a")]


def test_feed_rejects_str() -> None:
    with pytest.raises(TypeError):
        SSEParser().feed("data: a\n\n")  # type: ignore[arg-type]


def test_named_cases_agree_with_the_reference() -> None:
    stream = b"\xef\xbb\xbf: c\r\nevent: e\rid: 3\nretry: 9\ndata: x\r\n\r\nid: \x00\ndata\n\n"
    assert parse_chunks([stream]) == parse_reference(stream)


def test_large_event_across_many_chunks() -> None:
    payload = b"x" * 300_000
    stream = b"data: " + payload + b"\ndata: y\n\n"
    chunks = [stream[i : i + 4096] for i in range(0, len(stream), 4096)]
    assert parse_chunks(chunks).events == [RefEvent("message", "x" * 300_000 + "\ny", "", None)]


def test_events_in_a_large_chunk() -> None:
    stream = b"".join(b"id: %d\ndata: %d\n\n" % (i, i) for i in range(20_000))
    out = events(stream)
    assert len(out) == 20_000
    assert (out[-1].id, out[-1].data) == ("19999", "19999")
