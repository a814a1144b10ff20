"""`mastra demo`: the offline tour runs twice and remembers; its scripted model and tools."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mastra.demo import (
    FIRST_VISIT,
    choose_model,
    documentation,
    evaluate,
    scripted_model,
)
from mastra.providers import Message, ToolSpec

# Runs `python -m mastra ...` with every socket connection refused: the demo must not
# touch the network.
OFFLINE = """
import runpy, socket, sys
def refuse(*args, **kwargs):
    raise OSError("the offline demo tried to use the network")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
sys.argv = ["mastra", *sys.argv[1:]]
runpy.run_module("mastra", run_name="__main__", alter_sys=True)
"""
KEYS = ("MASTRA_MODEL", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GROQ_API_KEY")


def run_demo(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in KEYS}
    return subprocess.run(
        [sys.executable, "-c", OFFLINE, "demo", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_demo_runs_offline_and_remembers_the_first_run(tmp_path: Path) -> None:
    first = run_demo(tmp_path)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines[0].startswith("mastra demo: offline, on a scripted FunctionModel")
    assert (tmp_path / "mastra-demo.db").is_file()
    assert "ingested 7 documentation pages" in first.stdout
    assert "tool call   search_docs(query='How do I give an agent a tool?')" in first.stdout
    assert "tool call   calculator(expression='17.5 * 4 + 2')" in first.stdout
    assert "agent > 17.5 * 4 + 2 = 72.0." in first.stdout
    assert "agent > According to " in first.stdout  # answered from a retrieved chunk
    assert " > Retrieval (RAG) > " in first.stdout  # retrieved chunks with their sections
    assert "first text after" in first.stdout
    assert "Welcome back" not in first.stdout

    second = run_demo(tmp_path)
    assert second.returncode == 0, second.stderr
    assert "(returning: memory found)" in second.stdout
    assert f'Welcome back! Last time you asked: "{FIRST_VISIT[-1]}"' in second.stdout
    assert "= 125.0." in second.stdout


def test_demo_keeps_state_where_db_says(tmp_path: Path) -> None:
    result = run_demo(tmp_path, "--db", "state/demo.db")
    assert result.returncode == 1  # the folder does not exist: a clean error, no traceback
    assert "Traceback" not in result.stderr
    (tmp_path / "state").mkdir()
    result = run_demo(tmp_path, "--db", "state/demo.db")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "state" / "demo.db").is_file()
    assert not (tmp_path / "mastra-demo.db").exists()


def test_the_documentation_ships_in_the_package() -> None:
    pages = documentation()
    sources = [page.metadata["source"] for page in pages]
    assert sources == sorted(sources)
    assert {"agents.md", "memory.md", "retrieval.md", "tools.md"} <= set(sources)
    assert all(page.format == "markdown" and page.text.startswith("# ") for page in pages)


SEARCH = ToolSpec("search_docs", "search", {"type": "object", "properties": {}})
CALC = ToolSpec("calculator", "calculate", {"type": "object", "properties": {}})


def test_the_scripted_model_picks_the_tool_from_the_question() -> None:
    model = scripted_model("search_docs", "calculator")
    tools = [SEARCH, CALC]
    (math,) = model.generate_sync("So what's (1 + 2) * 3 then?", tools=tools).tool_calls
    assert (math.name, math.arguments) == ("calculator", {"expression": "(1 + 2) * 3"})
    (search,) = model.generate_sync("How do tools work?", tools=tools).tool_calls
    assert (search.name, search.arguments) == ("search_docs", {"query": "How do tools work?"})
    # Numbers without an operator are no arithmetic.
    (other,) = model.generate_sync("What is new in version 2.0?", tools=tools).tool_calls
    assert other.name == "search_docs"
    assert model.generate_sync("Hello there", tools=tools).text.startswith("Hello! I am")


def test_the_scripted_model_answers_from_results_and_memory() -> None:
    model = scripted_model("search_docs", "calculator")
    passages = (
        '{"results": [{"id": "a#0", "score": 0.5, "text": "## Tools\\nTools are functions. '
        'They run. More.", "metadata": {"source": "tools.md", "headers": ["Tools"]}}, '
        '{"id": "b#1", "score": 0.2, "text": "x", "metadata": {"source": "agents.md"}}]}'
    )
    history = [Message.user("How do tools work?"), Message.tool("c1", passages, "search_docs")]
    answer = model.generate_sync(history).text
    assert answer == (
        "According to tools.md (Tools): Tools are functions. They run. See also agents.md."
    )
    remembered = [
        Message.user("Hi"),
        Message.assistant("Hello!"),
        Message.user("What is HNSW?"),
        Message.assistant("A graph."),
        Message.user("Hello again"),
    ]
    assert model.generate_sync(remembered).text.startswith(
        'Welcome back! Last time you asked: "What is HNSW?"'
    )


def test_the_calculator_evaluates_arithmetic_only() -> None:
    assert evaluate("17.5 * 4 + 2") == 72.0
    assert evaluate("-(2 ^ 10) // 3 % 7") == 1  # Python semantics: floor division
    for bad, message in [
        ("__import__('os')", "only numbers"),
        ("1 / 0", "division by zero"),
        ("9 ** 9 ** 9", "exponents are at most"),
        ("1 +", "not an arithmetic expression"),
        ("1" * 300, "at most 200 characters"),
    ]:
        with pytest.raises(ValueError, match=message):
            evaluate(bad)


def test_a_model_without_its_key_falls_back_to_the_scripted_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("MASTRA_MODEL", "openai/gpt-4o-mini")
    model, banner = choose_model(None)
    assert model.name == "scripted"
    assert banner.startswith("mastra demo: offline, on a scripted FunctionModel (openai/")
    model, banner = choose_model("openai/gpt-4o-mini")
    assert "OPENAI_API_KEY" in banner
