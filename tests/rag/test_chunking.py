"""Chunking: the invariants every strategy keeps, and each strategy's behaviour."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mastra.errors import ConfigError
from mastra.rag import Chunk, Document, Strategy, chunk, count_tokens

STRATEGIES: tuple[Strategy, ...] = ("recursive", "character", "markdown", "token")

# Texts built from pieces that exercise every separator, markdown headers and fences.
_PIECES = st.one_of(
    st.sampled_from(
        ["\n\n", "\n", ". ", " ", "  ", "# Title\n", "## Sub\n", "### Deep ###\n", "```\n"]
    ),
    st.text(alphabet="abcdefgh,;!", min_size=1, max_size=30),
    st.text(alphabet="xyz", min_size=40, max_size=120),  # longer than small sizes
)
TEXTS = st.lists(_PIECES, max_size=60).map("".join)
METADATA = st.dictionaries(st.sampled_from(["source", "lang", "n"]), st.integers(0, 9))


def _measure(strategy: Strategy, text: str) -> int:
    return count_tokens(text) if strategy == "token" else len(text)


def check_invariants(
    text: str, chunks: list[Chunk], strategy: Strategy, size: int, overlap: int
) -> None:
    covered = bytearray(len(text))
    for n, piece in enumerate(chunks):
        assert piece.index == n
        assert piece.text == text[piece.start : piece.end]
        assert piece.text
        assert piece.text == piece.text.strip()
        assert _measure(strategy, piece.text) <= size
        covered[piece.start : piece.end] = b"\1" * (piece.end - piece.start)
    for before, after in itertools.pairwise(chunks):
        assert before.start < after.start
        assert before.end < after.end
        if after.start < before.end:
            assert _measure(strategy, text[after.start : before.end]) <= overlap
    missed = [i for i, flag in enumerate(covered) if not flag and not text[i].isspace()]
    assert missed == []


@given(
    text=TEXTS,
    strategy=st.sampled_from(STRATEGIES),
    size=st.integers(1, 200),
    overlap_share=st.floats(0, 0.9),
    metadata=METADATA,
)
def test_chunks_cover_the_text_within_size_and_overlap(
    text: str, strategy: Strategy, size: int, overlap_share: float, metadata: dict[str, int]
) -> None:
    overlap = int(size * overlap_share)
    chunks = chunk(text, strategy, size=size, overlap=overlap, metadata=metadata)
    check_invariants(text, chunks, strategy, size, overlap)
    for piece in chunks:
        assert {k: piece.metadata[k] for k in metadata} == metadata
        if strategy == "markdown":
            assert isinstance(piece.metadata["headers"], list)
        else:
            assert piece.metadata == metadata


@given(text=TEXTS, size=st.integers(20, 120))
def test_a_text_that_fits_is_one_chunk_or_none(text: str, size: int) -> None:
    chunks = chunk(text[:size], "recursive", size=size, overlap=0)
    assert [c.text for c in chunks] == ([text[:size].strip()] if text[:size].strip() else [])


def test_chunk_metadata_is_a_copy_per_chunk() -> None:
    metadata: dict[str, Any] = {"source": "a.txt"}
    chunks = chunk("one two three four five six", size=10, overlap=0, metadata=metadata)
    chunks[0].metadata["source"] = "changed"
    assert metadata == {"source": "a.txt"}
    assert chunks[1].metadata == {"source": "a.txt"}


def test_recursive_prefers_paragraphs_then_sentences() -> None:
    text = "First paragraph is short.\n\nSecond one. It has two sentences that run long."
    chunks = chunk(text, "recursive", size=40, overlap=0)
    assert [c.text for c in chunks] == [
        "First paragraph is short.",
        "Second one.",
        "It has two sentences that run long.",
    ]


def test_recursive_overlap_repeats_the_end_of_the_previous_chunk() -> None:
    text = " ".join(f"w{i:02d}" for i in range(30))  # 30 words of 3 characters
    chunks = chunk(text, "recursive", size=20, overlap=8)
    assert chunks[0].text == "w00 w01 w02 w03 w04"
    assert chunks[1].text == "w03 w04 w05 w06 w07"
    assert chunks[-1].text.endswith("w29")


def test_character_cuts_at_one_separator_only() -> None:
    text = "alpha beta\n\ngamma delta epsilon\n\nzeta"
    chunks = chunk(text, "character", size=22, overlap=0)
    assert [c.text for c in chunks] == ["alpha beta", "gamma delta epsilon", "zeta"]
    lines = chunk("a b c|d e f|g h", "character", size=6, overlap=0, separators=["|"])
    assert [c.text for c in lines] == ["a b c|", "d e f|", "g h"]


def test_character_cuts_anywhere_a_piece_too_long() -> None:
    chunks = chunk("x" * 25, "character", size=10, overlap=0)
    assert [c.text for c in chunks] == ["x" * 10, "x" * 10, "x" * 5]


def test_markdown_keeps_the_header_path_and_never_spans_sections() -> None:
    text = (
        "Preamble.\n"
        "# Guide\nIntro text.\n"
        "## Install\nRun pip.\n"
        "```\n# not a header\n```\n"
        "### Extras\nOptional bits.\n"
        "## Use\nImport it.\n"
        "# Reference\nAll names.\n"
    )
    found = [(c.metadata["headers"], c.text.splitlines()[0]) for c in chunk(text, "markdown")]
    assert found == [
        ([], "Preamble."),
        (["Guide"], "# Guide"),
        (["Guide", "Install"], "## Install"),
        (["Guide", "Install", "Extras"], "### Extras"),
        (["Guide", "Use"], "## Use"),
        (["Reference"], "# Reference"),
    ]
    assert "# not a header" in chunk(text, "markdown")[2].text


def test_markdown_header_titles_follow_commonmark() -> None:
    text = "# Learn C#\nx\n  ## Deep ##\ny\n#hashtag is no header\n"
    found = [(c.metadata["headers"], c.text) for c in chunk(text, "markdown")]
    assert found == [
        (["Learn C#"], "# Learn C#\nx"),
        (["Learn C#", "Deep"], "## Deep ##\ny\n#hashtag is no header"),
    ]


def test_markdown_cuts_long_sections_recursively() -> None:
    body = " ".join(["word"] * 60)
    chunks = chunk(f"# Title\n{body}\n# Next\nshort", "markdown", size=50, overlap=10)
    assert all(len(c.text) <= 50 for c in chunks)
    assert [c.metadata["headers"] for c in chunks][-1] == ["Next"]
    assert {tuple(c.metadata["headers"]) for c in chunks[:-1]} == {("Title",)}


def test_token_strategy_counts_approximate_tokens() -> None:
    assert count_tokens("") == 0
    assert count_tokens("a, b.") == 4
    assert count_tokens("internationalisation") == 4  # one token per six characters
    text = " ".join(["token"] * 100)
    chunks = chunk(text, "token", size=10, overlap=2)
    assert [count_tokens(c.text) for c in chunks[:-1]] == [10] * (len(chunks) - 1)
    assert len(chunks) == 13  # windows of 10 advancing by 8 over 100 tokens


def test_blank_text_gives_no_chunk() -> None:
    for strategy in STRATEGIES:
        assert chunk(" \n\n\t ", strategy) == []
        assert chunk("", strategy) == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"strategy": "sentences"}, "unknown chunking strategy"),
        ({"size": 0}, "size must be a positive integer"),
        ({"size": 10, "overlap": 10}, "overlap must be an integer in"),
        ({"overlap": -1}, "overlap must be an integer in"),
        ({"separators": "\n"}, "separators is a sequence"),
    ],
)
def test_bad_options_raise_config_error(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        chunk("some text", **options)


def test_default_overlap_is_a_tenth_of_small_sizes() -> None:
    text = " ".join(f"w{i}" for i in range(100))
    chunks = chunk(text, size=40)
    assert all(len(c.text) <= 40 for c in chunks)
    assert chunks[1].start < chunks[0].end  # they overlap, by at most 4 characters
    assert chunks[0].end - chunks[1].start <= 4


def test_document_chunks_by_its_format(tmp_path: Any) -> None:
    path = tmp_path / "guide.md"
    path.write_text("# Guide\nHello.\n## Next\nMore.\n", encoding="utf-8")
    doc = Document.from_file(path, {"lang": "en"})
    assert doc.format == "markdown"
    assert doc.id == str(path)
    chunks = doc.chunk(size=100)
    assert [c.metadata for c in chunks] == [
        {"source": str(path), "lang": "en", "headers": ["Guide"]},
        {"source": str(path), "lang": "en", "headers": ["Guide", "Next"]},
    ]
    plain = Document("# Guide\nHello.")
    assert plain.id == Document("# Guide\nHello.").id  # ids derive from the text
    assert [c.metadata for c in plain.chunk()] == [{}]


def test_document_rejects_a_bad_format() -> None:
    with pytest.raises(ConfigError, match="unknown document format"):
        Document("x", format="html")  # type: ignore[arg-type]


def test_chunking_ten_megabytes_is_linear() -> None:
    # 10 MB with no separator but spaces: quadratic string work would not finish.
    text = "abcdefghij " * 1_000_000
    chunks = chunk(text, "recursive", size=512, overlap=50)
    assert len(chunks) > 20_000
    assert chunks[-1].end == len(text.rstrip())
