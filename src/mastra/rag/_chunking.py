"""Chunking: text cut into pieces small enough to embed, with overlap and metadata.

Every strategy works on character offsets into the source text: it first cuts the text
into contiguous *pieces* (paragraphs, lines, sentences, words, approximate tokens),
then merges neighbouring pieces greedily into chunks of at most ``size`` with at most
``overlap`` shared between neighbours. Chunks are slices of the source, so the work is
linear in the text's length and each chunk knows where it came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, Literal

from mastra.errors import ConfigError

__all__ = ["DEFAULT_SEPARATORS", "Chunk", "Strategy", "chunk", "count_tokens"]

Strategy = Literal["recursive", "character", "markdown", "token"]
"""How :func:`chunk` cuts: by a hierarchy of separators, by one separator, by markdown
headers (then recursively), or by approximate tokens."""

DEFAULT_SEPARATORS: tuple[str, ...] = ("\n\n", "\n", ". ", " ", "")
"""The recursive strategy's separators, coarsest first; ``""`` cuts anywhere."""

_STRATEGIES = ("recursive", "character", "markdown", "token")
# A rough stand-in for a BPE tokenizer: short words are one token, long words one per
# six characters, and every punctuation mark one.
_TOKEN = re.compile(r"\w{1,6}|[^\w\s]")
_HEADER = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^[ \t]{0,3}(```|~~~)")


@dataclass(frozen=True, slots=True)
class Chunk:
    """One piece of a text, ready to embed.

    Attributes:
        text: The chunk's text: ``source[start:end]``, without surrounding whitespace.
        metadata: The metadata given to :func:`chunk` (copied per chunk), plus, for the
            markdown strategy, ``headers``: the titles of the sections it is in.
        start: Offset of the chunk's first character in the source text.
        end: Offset just past its last character.
        index: Its position among the text's chunks (0-based).
    """

    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    start: int = 0
    end: int = 0
    index: int = 0


def count_tokens(text: str) -> int:
    """Approximate token count, as the token strategy measures sizes.

    Words count one token per six characters (rounded up) and each punctuation mark
    one; real tokenizers differ by a few percent on English prose.

    Example:
        >>> count_tokens("Chunk the documents, then embed them.")
        9
    """
    return sum(1 for _ in _TOKEN.finditer(text))


def chunk(
    text: str,
    strategy: Strategy = "recursive",
    *,
    size: int = 512,
    overlap: int | None = None,
    separators: Sequence[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> list[Chunk]:
    """Cuts ``text`` into chunks of at most ``size`` with ``overlap`` between neighbours.

    Strategies (Mastra's ``MDocument.chunk``):

    - ``"recursive"``: cut at the coarsest separator that gives pieces of at most
      ``size`` (paragraphs, then lines, sentences, words, characters), then merge
      pieces back up to ``size``.
    - ``"character"``: the same with one separator (``separators[0]``, by default a
      blank line), falling back to cutting anywhere only for pieces that stay too long.
    - ``"markdown"``: one section per header (headers inside code fences do not count),
      each cut recursively; a chunk never spans two sections, and its metadata holds
      ``headers``, the titles from the top-level section down.
    - ``"token"``: ``size`` and ``overlap`` count approximate tokens
      (:func:`count_tokens`) instead of characters.

    Every non-blank character of ``text`` lands in some chunk; chunks are stripped of
    surrounding whitespace, so blank text gives no chunk.

    Args:
        text: The text to cut.
        strategy: One of ``"recursive"``, ``"character"``, ``"markdown"``, ``"token"``.
        size: The longest chunk, in characters (tokens for ``"token"``).
        overlap: The most characters (tokens) two neighbouring chunks share, less than
            ``size``; by default a tenth of ``size``, at most 50.
        separators: The separators to cut at, coarsest first (recursive, markdown and
            character strategies).
        metadata: Copied into each chunk's metadata.

    Returns:
        The chunks in text order.

    Raises:
        ConfigError: An unknown strategy or an impossible size/overlap.

    Example:
        >>> from mastra.rag import chunk
        >>> text = "# Intro\\nMastra runs agents.\\n\\n## Tools\\nTools are functions."
        >>> for piece in chunk(text, "markdown", size=40, metadata={"source": "guide.md"}):
        ...     print(piece.metadata, repr(piece.text))
        {'source': 'guide.md', 'headers': ['Intro']} '# Intro\\nMastra runs agents.'
        {'source': 'guide.md', 'headers': ['Intro', 'Tools']} '## Tools\\nTools are functions.'
    """
    if overlap is None:
        overlap = min(50, size // 10) if isinstance(size, int) else 0
    seps = _check(strategy, size, overlap, separators)
    base = dict(metadata or {})
    if strategy == "markdown":
        spans = _markdown_spans(text, size, overlap, seps)
    elif strategy == "token":
        spans = ((s, e, None) for s, e in _merge(_token_pieces(text), size, overlap, text, True))
    else:
        spans = (
            (s, e, None)
            for run in _groups(text, 0, len(text), size, overlap, seps)
            for s, e in _merge(run, size, overlap, text, False)
        )
    chunks: list[Chunk] = []
    for start, end, headers in spans:
        meta = dict(base) if headers is None else {**base, "headers": headers}
        chunks.append(Chunk(text[start:end], meta, start, end, len(chunks)))
    return chunks


def _check(
    strategy: str, size: int, overlap: int, separators: Sequence[str] | None
) -> tuple[str, ...]:
    if strategy not in _STRATEGIES:
        raise ConfigError(
            f"unknown chunking strategy {strategy!r}; use one of {list(_STRATEGIES)}",
            argument="strategy",
        )
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise ConfigError(f"size must be a positive integer, got {size!r}", argument="size")
    if not isinstance(overlap, int) or isinstance(overlap, bool) or not 0 <= overlap < size:
        raise ConfigError(
            f"overlap must be an integer in [0, size), got {overlap!r} with size={size}",
            argument="overlap",
        )
    if isinstance(separators, str):
        raise ConfigError("separators is a sequence of strings, not one string")
    seps = tuple(separators) if separators is not None else DEFAULT_SEPARATORS
    if strategy == "character":
        seps = (seps[0] if separators is not None and seps else "\n\n", "")
    if not seps or seps[-1] != "":
        seps = (*seps, "")  # the last resort, so that every piece fits
    return seps


# ---- pieces: contiguous spans covering the text ---------------------------------------


def _groups(
    text: str, start: int, end: int, size: int, overlap: int, seps: tuple[str, ...]
) -> list[list[int]]:
    """Runs of pieces of at most ``size`` characters covering ``text[start:end]``, each
    run given by its boundaries ``b0 < b1 < ... < bn``.

    A span is cut at the coarsest separator found in it (the separator stays with the
    piece before it); pieces still too long are cut at the next separator, and form
    runs of their own, so that chunks merged from a run never cross a coarser
    boundary than needed (as LangChain's recursive splitter does).
    """
    # Cutting anywhere goes in steps of the overlap, so that neighbours can share it,
    # but in no more than 32 steps per chunk.
    step = max(overlap, size // 32, 1) if overlap else size
    runs: list[list[int]] = []
    if end - start <= size:
        return [[start, end]]
    _cut_span(text, start, end, 0, size, step, seps, runs)
    return runs


def _cut_span(
    text: str,
    start: int,
    end: int,
    level: int,
    size: int,
    step: int,
    seps: tuple[str, ...],
    runs: list[list[int]],
) -> None:
    sep = seps[level]
    if not sep:
        runs.append([start, *range(start + step, end, step), end])
        return
    run: list[int] | None = None
    for a, b in pairwise([start, *_cuts(text, start, end, sep), end]):
        if b - a <= size:
            if run is None:
                run = [a]
                runs.append(run)
            run.append(b)
        else:
            run = None
            _cut_span(text, a, b, level + 1, size, step, seps, runs)


def _cuts(text: str, start: int, end: int, sep: str) -> Iterator[int]:
    """Offsets just past each ``sep`` in ``text[start:end]``, the end excluded."""
    at = text.find(sep, start, end)
    while at != -1:
        cut = at + len(sep)
        if cut >= end:
            return
        yield cut
        at = text.find(sep, cut, end)


def _token_pieces(text: str) -> list[int]:
    """Boundaries of pieces of one approximate token each (whitespace stays with the
    token before it)."""
    bounds = [0]
    bounds.extend(m.start() for m in _TOKEN.finditer(text))
    bounds.append(len(text))
    if len(bounds) > 2 and bounds[1] == 0:
        del bounds[1]
    return bounds


# ---- merging pieces into chunks --------------------------------------------------------


def _merge(
    bounds: list[int], size: int, overlap: int, text: str, unit: bool
) -> Iterator[tuple[int, int]]:
    """Greedy windows of whole pieces: each as long as ``size`` allows, starting as far
    back as ``overlap`` allows; yields stripped ``(start, end)`` spans.

    ``unit`` makes every piece weigh 1 (tokens) instead of its length (characters).
    """
    n = len(bounds) - 1
    i = 0
    held: tuple[int, int] | None = None  # the last span, until it is known not to be
    while i < n:  # contained in the next one (same start once stripped)
        j = min(i + size, n) if unit else _window_end(bounds, i, size)
        span = _strip(text, bounds[i], bounds[j])
        if span is not None and (held is None or span[1] > held[1]):
            if held is not None and span[0] > held[0]:
                yield held
            held = span
        if j == n:
            break
        i = max(i + 1, j - overlap) if unit else _next_start(bounds, i, j, size, overlap)
    if held is not None:
        yield held


def _window_end(bounds: list[int], i: int, size: int) -> int:
    """The end of the longest run of pieces from ``i`` that fits ``size`` (one at least)."""
    j = i + 1
    limit = bounds[i] + size
    last = len(bounds) - 1
    while j < last and bounds[j + 1] <= limit:
        j += 1
    return j


def _next_start(bounds: list[int], i: int, j: int, size: int, overlap: int) -> int:
    """The earliest piece after ``i`` from which the pieces up to ``j`` overlap by at
    most ``overlap`` and leave room for piece ``j``."""
    k = i + 1
    while k < j and (bounds[j] - bounds[k] > overlap or bounds[j + 1] - bounds[k] > size):
        k += 1
    return k


def _strip(text: str, start: int, end: int) -> tuple[int, int] | None:
    piece = text[start:end]
    stripped = piece.lstrip()
    if not stripped:
        return None
    start += len(piece) - len(stripped)
    return start, start + len(stripped.rstrip())


# ---- markdown ------------------------------------------------------------------------


def _sections(text: str) -> Iterator[tuple[int, int, list[str]]]:
    """``(start, end, headers)`` of each section: the text before the first header,
    then one section per header line outside code fences."""
    path: list[tuple[int, str]] = []
    start = 0
    fence: str | None = None
    offset = 0
    for line in text.splitlines(keepends=True):
        opened = _FENCE.match(line)
        if opened is not None:
            marker = opened.group(1)
            fence = marker if fence is None else (None if marker == fence else fence)
        elif fence is None:
            header = _HEADER.match(line.rstrip("\r\n"))
            if header is not None:
                if offset > start:
                    yield start, offset, [title for _, title in path]
                level = len(header.group(1))
                while path and path[-1][0] >= level:
                    path.pop()
                path.append((level, header.group(2)))
                start = offset
        offset += len(line)
    if offset > start:
        yield start, offset, [title for _, title in path]


def _markdown_spans(
    text: str, size: int, overlap: int, seps: tuple[str, ...]
) -> Iterator[tuple[int, int, list[str] | None]]:
    for start, end, headers in _sections(text):
        for run in _groups(text, start, end, size, overlap, seps):
            for s, e in _merge(run, size, overlap, text, False):
                yield s, e, headers
