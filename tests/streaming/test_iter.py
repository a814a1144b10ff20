"""iter_sse / aiter_sse over byte iterators, and the event size limit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from mastra.errors import MastraError, StreamError
from mastra.streaming import SSEEvent, SSEParser, aiter_sse, encode_sse, iter_sse

STREAM = b"".join(encode_sse(f"chunk {i}", event="delta", id=str(i)) for i in range(50))
EXPECTED = [SSEEvent(data=f"chunk {i}", event="delta", id=str(i)) for i in range(50)]


def chunks(size: int) -> Iterator[bytes]:
    for i in range(0, len(STREAM), size):
        yield STREAM[i : i + size]


async def achunks(size: int) -> AsyncIterator[bytes]:
    for chunk in chunks(size):
        await asyncio.sleep(0)
        yield chunk


async def collect(stream: AsyncIterator[SSEEvent]) -> list[SSEEvent]:
    return [event async for event in stream]


@pytest.mark.parametrize("size", [1, 7, 4096])
def test_iter_sse(size: int) -> None:
    assert list(iter_sse(chunks(size))) == EXPECTED


@pytest.mark.parametrize("size", [1, 7, 4096])
def test_aiter_sse(size: int) -> None:
    assert asyncio.run(collect(aiter_sse(achunks(size)))) == EXPECTED


def test_unterminated_tail_is_discarded() -> None:
    assert list(iter_sse([b"data: a\n\ndata: b"])) == [SSEEvent(data="a")]


def test_oversized_event_raises_stream_error() -> None:
    big = [b"data: ", b"x" * 1000, b"x" * 1000, b"\n\n"]
    with pytest.raises(StreamError, match="max_event_size") as info:
        list(iter_sse(big, max_event_size=1500))
    assert isinstance(info.value, MastraError)
    assert isinstance(info.value, ValueError)


def test_oversized_event_raises_in_aiter_sse() -> None:
    async def big() -> AsyncIterator[bytes]:
        yield b"data: " + b"x" * 100 + b"\n"
        yield b"data: " + b"x" * 100 + b"\n\n"

    with pytest.raises(StreamError, match="max_event_size"):
        asyncio.run(collect(aiter_sse(big(), max_event_size=150)))


def test_events_within_the_limit_pass() -> None:
    stream = [encode_sse("x" * 100)] * 3
    assert len(list(iter_sse(stream, max_event_size=120))) == 3


def test_many_small_data_lines_count_toward_the_limit() -> None:
    parser = SSEParser(max_event_size=64)
    with pytest.raises(StreamError):
        parser.feed(b"data: 0123456789\n" * 10)
    assert parser.closed


def test_no_limit() -> None:
    stream = [b"data: ", b"x" * 20_000_000, b"\n\n"]
    (event,) = iter_sse(stream, max_event_size=None)
    assert len(event.data) == 20_000_000


@pytest.mark.parametrize("bad", [0, -1])
def test_limit_must_be_positive(bad: int) -> None:
    with pytest.raises(StreamError, match="positive"):
        list(iter_sse([], max_event_size=bad))


def test_parser_reports_its_limit() -> None:
    assert SSEParser().max_event_size is None
    assert SSEParser(max_event_size=10).max_event_size == 10


def test_large_chunks_parse_in_parallel_threads() -> None:
    from concurrent.futures import ThreadPoolExecutor

    stream = b"".join(encode_sse(f"{i}", id=str(i)) for i in range(30_000))  # > 64 KiB

    def parse(_: int) -> list[str]:
        return [event.data for event in SSEParser().feed(stream)]

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(parse, range(8)))
    assert results == [[str(i) for i in range(30_000)]] * 8
