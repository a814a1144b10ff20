"""The ``mastra demo`` subcommand: its arguments, and running it."""

from __future__ import annotations

import argparse
import sys

__all__ = ["add_demo_command", "run_demo_command"]


def add_demo_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds ``demo`` to the ``mastra`` command line."""
    demo = commands.add_parser(
        "demo",
        help="an offline tour: retrieval over the docs, tools, streaming and memory",
        description=(
            "Ingests mastra's documentation into a SQLite vector store and holds a short "
            "conversation with an agent that searches it, calculates and remembers. "
            "Runs offline on a scripted model unless MASTRA_MODEL names one "
            "(e.g. openai/gpt-4o-mini, anthropic/claude-3-5-haiku-latest, ollama/llama3.2)."
        ),
    )
    demo.add_argument(
        "--db",
        default="mastra-demo.db",
        metavar="PATH",
        help="the SQLite file keeping the demo's state (default: ./mastra-demo.db)",
    )
    demo.add_argument(
        "--model", default=None, metavar="NAME", help="a provider/model name (over MASTRA_MODEL)"
    )


def run_demo_command(args: argparse.Namespace) -> int:
    """Runs ``mastra demo``; returns the process exit code."""
    import asyncio  # the demo's imports wait until it runs

    from mastra.demo._app import demo
    from mastra.errors import MastraError

    try:
        asyncio.run(demo(args.db, model=args.model))
    except MastraError as exc:
        print(f"mastra demo: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0
