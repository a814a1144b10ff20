"""``mastra serve [module:attr] --host --port --config FILE``."""

from __future__ import annotations

import argparse
from typing import Any

from mastra.errors import ConfigError

__all__ = ["add_serve_command", "run_serve"]


def add_serve_command(commands: Any) -> None:
    """Adds the ``serve`` subcommand to the ``mastra`` parser's subcommands."""
    cmd = commands.add_parser("serve", help="serve a Mastra app over Mastra's HTTP API")
    cmd.add_argument(
        "target",
        nargs="?",
        help="module:attr of a Mastra (or a function returning one); none: the offline demo app",
    )
    cmd.add_argument("--host", help="interface to bind (default localhost or MASTRA_HOST)")
    cmd.add_argument("--port", type=int, help="port (default 4111, PORT or MASTRA_PORT)")
    cmd.add_argument("--config", help="settings file (TOML, YAML or JSON)")
    cmd.add_argument(
        "--workers", type=int, default=1, help="worker processes sharing the port (default 1)"
    )
    cmd.add_argument("--log-level", help="DEBUG, INFO, WARNING or ERROR")
    cmd.add_argument("--log-file", help="write JSON logs to this file (rotated by size)")


def run_serve(args: argparse.Namespace) -> int:
    """Runs ``mastra serve``; returns the exit code (2 for a bad config or target)."""
    # Imported here: building the parser must not load the server (`mastra info`).
    try:
        from mastra.server._config import load_config
        from mastra.server._logging import configure_logging
        from mastra.server._reload import check_config
        from mastra.server._serve import app_for, serve
    except ImportError as exc:
        print(f"mastra serve needs the server extra (pip install 'mastra[server]'): {exc}")
        return 2

    overrides = {
        name: value
        for name, value in (("host", args.host), ("port", args.port), ("log_level", args.log_level))
        if value is not None
    }
    try:
        config = load_config(args.config, **overrides)
        mastra = app_for(args.target, config)
        check_config(mastra, config)
    except ConfigError as exc:
        print(f"mastra serve: {exc.message}")
        return 2
    configure_logging(
        config.log_level, args.log_file or config.log_file, rotation=config.log_rotation
    )
    if args.workers > 1:
        from mastra.server._workers import serve_workers

        return serve_workers(
            args.target, config, args.workers, config_path=args.config, overrides=overrides
        )
    return serve(mastra, config, config_path=args.config, overrides=overrides)
