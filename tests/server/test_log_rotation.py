"""Log files rotated by time and by size, configured from the settings."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from logging.handlers import RotatingFileHandler, TimedRotatingFileHandler
from pathlib import Path

import pytest

from mastra.errors import ConfigError
from mastra.server import load_config
from mastra.server._logging import LogRotation, configure_logging


@pytest.fixture
def mastra_logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger("mastra")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield logger
    for handler in logger.handlers:
        handler.close()
    logger.handlers[:], logger.level, logger.propagate = saved


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_time_rotation_starts_a_new_file(mastra_logger: logging.Logger, tmp_path: Path) -> None:
    file = tmp_path / "mastra.jsonl"
    rotation = LogRotation(by="time", when="S", interval=1, backup_count=3)
    time.sleep(1.05 - time.time() % 1)  # start just past a second: "before" cannot roll over
    configure_logging("INFO", str(file), rotation=rotation)
    handler = mastra_logger.handlers[0]
    assert isinstance(handler, TimedRotatingFileHandler)
    log = logging.getLogger("mastra.server")
    log.info("before")
    time.sleep(1.1)  # past the one-second interval: the next record rolls the file over
    log.info("after")
    rotated = [p for p in tmp_path.iterdir() if p != file]
    assert len(rotated) == 1
    assert rotated[0].name.startswith("mastra.jsonl.")
    assert [e["message"] for e in lines(rotated[0])] == ["before"]
    assert [e["message"] for e in lines(file)] == ["after"]


def test_size_rotation_from_the_settings(mastra_logger: logging.Logger, tmp_path: Path) -> None:
    settings = tmp_path / "mastra.toml"
    settings.write_text(
        '[server]\nlog_file = "x.jsonl"\n'
        '[server.log_rotation]\nby = "size"\nmax_bytes = 400\nbackup_count = 2\n'
    )
    config = load_config(settings)
    assert config.log_file == "x.jsonl"
    file = tmp_path / config.log_file
    configure_logging("INFO", str(file), rotation=config.log_rotation)
    assert isinstance(mastra_logger.handlers[0], RotatingFileHandler)
    for i in range(20):
        logging.getLogger("mastra.server").info("line %d", i)
    names = sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".toml")
    assert names == ["x.jsonl", "x.jsonl.1", "x.jsonl.2"]  # two backups kept
    assert all(p.stat().st_size <= 400 for p in tmp_path.glob("x.jsonl*"))


def test_time_rotation_settings_are_validated(tmp_path: Path) -> None:
    settings = tmp_path / "bad.json"
    settings.write_text(json.dumps({"log_rotation": {"by": "time", "when": "fortnight"}}))
    with pytest.raises(ConfigError, match=r"log_rotation\.when"):
        load_config(settings)
    settings.write_text(json.dumps({"log_rotation": {"by": "weekly"}}))
    with pytest.raises(ConfigError, match=r"log_rotation\.by"):
        load_config(settings)


def test_reconfiguring_closes_the_old_file(mastra_logger: logging.Logger, tmp_path: Path) -> None:
    configure_logging("INFO", str(tmp_path / "a.jsonl"))
    first = mastra_logger.handlers[0]
    assert isinstance(first, logging.FileHandler)
    configure_logging("INFO", str(tmp_path / "b.jsonl"), rotation=LogRotation(by="time"))
    assert first.stream is None  # closed
