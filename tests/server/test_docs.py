"""The docs: the generated references match the code, and relative links resolve."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mastra.server import ServerConfig
from mastra.server._reference import (
    DOCS,
    config_reference,
    docstring_attributes,
    docstring_markdown,
    main,
)

DOCS_DIR = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize("relative", sorted(DOCS))
def test_generated_reference_is_up_to_date(relative: str) -> None:
    on_disk = (DOCS_DIR / relative).read_text(encoding="utf-8")
    assert on_disk == DOCS[relative](), (
        f"docs/{relative} is stale: run `python -m mastra.server._reference`"
    )


def test_every_setting_is_in_the_reference_with_its_description() -> None:
    reference = config_reference()
    described = docstring_attributes(ServerConfig)
    for name in ServerConfig.model_fields:
        assert name in described, f"ServerConfig's docstring does not describe {name!r}"
        assert (
            f"| `{name}` |" in reference
            or f"## `[{name}]`" in reference
            or (f"## `[server.{name}]`" in reference)
        ), name


def test_check_mode_reports_stale_files(tmp_path: Path) -> None:
    assert main(["--docs", str(tmp_path), "--check"]) == 1
    assert main(["--docs", str(tmp_path)]) == 0
    assert main(["--docs", str(tmp_path), "--check"]) == 0
    assert (tmp_path / "configuration.md").read_text() == config_reference()


def test_docstrings_become_markdown() -> None:
    doc = """Does a thing with :class:`~mastra.Mastra`.

    Args:
        name: The ``name``, over
            two lines.

    Example:
        >>> 1 + 1
        2
    """
    assert docstring_markdown(doc) == [
        "Does a thing with `Mastra`.",
        "",
        "**Args:**",
        "",
        "- `name`: The `name`, over two lines.",
        "",
        "**Example:**",
        "",
        "```python",
        ">>> 1 + 1",
        "2",
        "```",
    ]


def test_relative_links_resolve() -> None:
    for page in DOCS_DIR.rglob("*.md"):
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text()):
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"
