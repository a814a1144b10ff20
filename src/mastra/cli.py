"""The ``mastra`` command line."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from mastra._info import info
from mastra._version import __version__
from mastra.demo._cli import add_demo_command, run_demo_command


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mastra", description="mastra command line")
    parser.add_argument("--version", action="version", version=f"mastra {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    info_cmd = commands.add_parser(
        "info", help="print version, SIMD path and a self-check of the compiled kernels"
    )
    info_cmd.add_argument("--no-check", action="store_true", help="skip the kernel self-check")
    _add_serve(commands)
    add_demo_command(commands)
    return parser


def _add_serve(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from mastra.server._cli import add_serve_command  # light: the server loads on use

    add_serve_command(commands)


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line; returns the process exit code."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command == "serve":
        from mastra.server._cli import run_serve

        return run_serve(args)
    if args.command == "demo":
        return run_demo_command(args)
    # `mastra` alone behaves as `mastra info`; argparse rejects unknown commands.
    report = info(self_check=not getattr(args, "no_check", False))
    print(report.render())
    return 0 if report.ok else 1
