"""Backoff with full jitter, and the ``Retry-After`` header in both of its forms."""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime

from mastra.http._config import RetryPolicy

__all__ = ["backoff_delay", "parse_retry_after"]


def backoff_delay(attempt: int, policy: RetryPolicy, rng: random.Random | None = None) -> float:
    """The seconds to wait before retry number ``attempt`` (1-based), with full jitter.

    Example:
        >>> from mastra.http import RetryPolicy
        >>> 0 <= backoff_delay(3, RetryPolicy(initial_delay=0.5, max_delay=8)) <= 2.0
        True
    """
    ceiling = min(policy.max_delay, policy.initial_delay * 2 ** (attempt - 1))
    return (rng or random).uniform(0.0, ceiling)


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """The delay a response asks for, in seconds, or ``None`` if it names none.

    Reads ``retry-after-ms`` (milliseconds, sent by OpenAI) first, then ``Retry-After``
    as delta-seconds or as an HTTP date. A date in the past gives ``0.0``.

    Example:
        >>> parse_retry_after({"retry-after": "2"})
        2.0
        >>> parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, now=1445412470.0)
        10.0
    """
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            value = float(millis) / 1000.0
        except ValueError:
            value = -1.0
        if value >= 0 and value == value:
            return value
    raw = headers.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        seconds = float(raw)
    except ValueError:
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            return None
        current = time.time() if now is None else now
        return max(0.0, when.timestamp() - current)
    if seconds != seconds or seconds < 0:  # NaN or negative: not a usable delay
        return None
    return seconds
