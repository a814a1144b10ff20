"""Stored times are microseconds since the epoch, converted exactly both ways."""

from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import given
from hypothesis import strategies as st

from mastra.storage._types import from_micros, to_micros

moments = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(timezone.utc)
)


@given(moments)
def test_a_moment_survives_a_round_trip(moment: datetime) -> None:
    back = from_micros(to_micros(moment))
    assert back == moment
    assert back.tzinfo is timezone.utc


@given(st.integers(min_value=0, max_value=4_000_000_000_000_000))
def test_micros_agree_with_the_platform_clock(micros: int) -> None:
    seconds, rest = divmod(micros, 1_000_000)
    expected = datetime.fromtimestamp(seconds, timezone.utc).replace(microsecond=rest)
    assert from_micros(micros) == expected
    assert to_micros(from_micros(micros)) == micros
