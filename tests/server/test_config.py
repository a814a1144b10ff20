"""Settings: defaults < file < environment, every bad field named."""

from __future__ import annotations

from pathlib import Path

import pytest

from mastra.errors import ConfigError
from mastra.server import ServerConfig, load_config


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PORT", "MASTRA_PORT", "MASTRA_HOST"):
        monkeypatch.delenv(name, raising=False)
    config = load_config()
    assert (config.host, config.port, config.body_limit) == ("localhost", 4111, 4_718_592)
    assert config.cors_origins == ["*"]
    assert not config.auth_required()
    exposed = ServerConfig(host="0.0.0.0", jwt_secret="x" * 32)
    assert exposed.auth_required()
    assert not ServerConfig(host="0.0.0.0", auth="off").auth_required()


def test_auth_without_credentials_is_refused_at_start() -> None:
    with pytest.raises(ConfigError, match="no api_keys or jwt_secret"):
        load_config(host="0.0.0.0")


def test_file_then_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "mastra.toml"
    path.write_text('[server]\nport = 5000\nlog_level = "DEBUG"\ncors_origins = ["https://a"]\n')
    monkeypatch.delenv("PORT", raising=False)
    config = load_config(path)
    assert (config.port, config.log_level, config.cors_origins) == (5000, "DEBUG", ["https://a"])
    monkeypatch.setenv("MASTRA_LOG_LEVEL", "ERROR")
    monkeypatch.setenv("PORT", "6001")
    config = load_config(path)
    assert (config.port, config.log_level) == (6001, "ERROR")
    assert load_config(path, port=7000).port == 7000


def test_json_file(tmp_path: Path) -> None:
    path = tmp_path / "mastra.json"
    path.write_text('{"drain_timeout": 3.5}')
    assert load_config(path).drain_timeout == 3.5


def test_yaml_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PORT", raising=False)
    path = tmp_path / "mastra.yaml"
    path.write_text(
        "server:\n  port: 5001\n  cors_origins: [https://a]\n"
        "  api_keys:\n    - sha256: " + "a" * 64 + "\n      principal: ci\n"
        "      expires_at: 2030-01-01T00:00:00Z\n"
        "storage:\n  url: sqlite:///data/mastra.db\n"
    )
    config = load_config(path)
    assert (config.port, config.cors_origins) == (5001, ["https://a"])
    assert config.api_keys[0].expires_at is not None
    assert config.api_keys[0].expires_at.year == 2030
    assert config.storage.url == "sqlite:///data/mastra.db"
    (tmp_path / "bad.yml").write_text("server: [port\n")
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "bad.yml")
    (tmp_path / "wrong.yml").write_text("server:\n  port: many\n")
    with pytest.raises(ConfigError, match="port"):
        load_config(tmp_path / "wrong.yml")


def test_every_bad_field_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('port = "many"\nbody_limit = -1\nlog_level = "LOUD"\nunknown = 1\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    for field in ("port", "body_limit", "log_level", "unknown"):
        assert field in info.value.message


def test_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")
    (tmp_path / "broken.toml").write_text("port = [")
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "broken.toml")
