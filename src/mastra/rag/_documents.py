"""Documents: a text with its metadata, chunked by the strategy that suits its format."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mastra.errors import ConfigError
from mastra.rag._chunking import Chunk, Strategy, chunk

__all__ = ["Document", "DocumentFormat"]

DocumentFormat = Literal["text", "markdown"]
_MARKDOWN_SUFFIXES = frozenset({".md", ".markdown", ".mdx"})


@dataclass(slots=True)
class Document:
    """A text to retrieve from, with its metadata (Mastra's ``MDocument``).

    Args:
        text: The document's text.
        metadata: Copied into every chunk (a ``source`` key is customary).
        id: A stable id; chunk ids are ``"<id>#<n>"``, so ingesting the same document
            again replaces its chunks. By default a digest of the text.
        format: ``"markdown"`` chunks by headers by default, ``"text"`` recursively.

    Example:
        >>> from mastra.rag import Document
        >>> doc = Document("# Tools\\nTools are functions.", {"source": "tools.md"},
        ...                format="markdown")
        >>> [(c.text, c.metadata["headers"]) for c in doc.chunk(size=100)]
        [('# Tools\\nTools are functions.', ['Tools'])]
    """

    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    id: str | None = None
    format: DocumentFormat = "text"

    def __post_init__(self) -> None:
        if not isinstance(self.text, str):
            raise ConfigError(f"a document's text is a str, got {type(self.text).__name__}")
        if self.format not in ("text", "markdown"):
            raise ConfigError(f"unknown document format {self.format!r}; use 'text' or 'markdown'")
        if self.id is None:
            self.id = hashlib.blake2b(self.text.encode(), digest_size=10).hexdigest()

    @classmethod
    def from_markdown(cls, text: str, metadata: dict[str, Any] | None = None) -> Document:
        """A markdown document (Mastra's ``MDocument.fromMarkdown``)."""
        return cls(text, dict(metadata or {}), format="markdown")

    @classmethod
    def from_file(
        cls,
        path: str | os.PathLike[str],
        metadata: dict[str, Any] | None = None,
        *,
        encoding: str = "utf-8",
    ) -> Document:
        """The document in a text file: markdown for ``.md``/``.markdown``/``.mdx``.

        Its id and metadata ``source`` are the path as given.
        """
        file = Path(path)
        text = file.read_text(encoding=encoding)
        kind: DocumentFormat = "markdown" if file.suffix.lower() in _MARKDOWN_SUFFIXES else "text"
        return cls(text, {"source": str(path), **(metadata or {})}, id=str(path), format=kind)

    def chunk(
        self,
        strategy: Strategy | None = None,
        *,
        size: int = 512,
        overlap: int | None = None,
        separators: Sequence[str] | None = None,
    ) -> list[Chunk]:
        """The document's chunks (see :func:`mastra.rag.chunk`); the strategy is
        ``"markdown"`` for markdown documents and ``"recursive"`` otherwise, unless
        given."""
        if strategy is None:
            strategy = "markdown" if self.format == "markdown" else "recursive"
        return chunk(
            self.text,
            strategy,
            size=size,
            overlap=overlap,
            separators=separators,
            metadata=self.metadata,
        )
