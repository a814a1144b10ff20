"""``storage.url``, ``vectors.url`` and ``cache.l2``: read like every setting, checked at
start (naming the field), and built by ``mastra serve`` for an app without its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from mastra import Mastra
from mastra.cache import LRUCache
from mastra.errors import ConfigError
from mastra.server import ServerConfig, create_app, load_config
from mastra.server._backends import SharedLimit, build_storage, build_vectors, configure_mastra
from mastra.server._serve import app_for
from mastra.storage import InMemoryStorage, SQLiteStorage
from mastra.vector import SQLiteVectorStore

from .conftest import ROOT, ServerThread

PG = "postgresql://mastra@db.internal:5432/mastra"


@pytest.fixture(autouse=True)
def _no_backend_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MASTRA_STORAGE__URL", "MASTRA_VECTORS__URL", "MASTRA_CACHE__L2"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_name_no_backend() -> None:
    config = load_config()
    assert (config.storage.url, config.vectors.url, config.cache.l2) == (None, None, None)
    assert (config.storage.pool_size, config.vectors.name, config.cache.l1_size) == (
        10,
        "default",
        10_000,
    )


def test_file_then_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "mastra.toml"
    path.write_text(
        "[server]\nport = 5000\n"
        f'[storage]\nurl = "{PG}"\nschema = "app"\npool_size = 4\n'
        '[vectors]\nurl = "sqlite:///vectors.db"\n'
        '[cache]\nl2 = "redis://cache:6379/0"\nttl = 60\n'
    )
    config = load_config(path)
    assert (config.storage.url, config.storage.schema_name, config.storage.pool_size) == (
        PG,
        "app",
        4,
    )
    assert config.vectors.url == "sqlite:///vectors.db"
    assert (config.cache.l2, config.cache.ttl) == ("redis://cache:6379/0", 60)
    monkeypatch.setenv("MASTRA_STORAGE__URL", "sqlite:///other.db")
    monkeypatch.setenv("MASTRA_CACHE__L2", "rediss://cache:6380/1")
    config = load_config(path)
    assert config.storage.url == "sqlite:///other.db"
    assert config.storage.pool_size == 4  # the file's, beside the environment's url
    assert config.cache.l2 == "rediss://cache:6380/1"


@pytest.mark.parametrize(
    ("field", "env", "value"),
    [
        ("storage.url", "MASTRA_STORAGE__URL", "mysql://db/app"),
        ("storage.url", "MASTRA_STORAGE__URL", "sqlite:///"),
        ("storage.url", "MASTRA_STORAGE__URL", "/var/lib/mastra.db"),
        ("vectors.url", "MASTRA_VECTORS__URL", "postgresql://db:port/app"),
        ("vectors.url", "MASTRA_VECTORS__URL", "http://vectors"),
        ("cache.l2", "MASTRA_CACHE__L2", "memcached://cache:11211"),
        ("cache.l2", "MASTRA_CACHE__L2", "localhost:6379"),
    ],
)
def test_invalid_urls_are_refused_naming_the_field(
    monkeypatch: pytest.MonkeyPatch, field: str, env: str, value: str
) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError, match=rf"invalid server config: {field}: "):
        load_config()


def test_serve_refuses_an_invalid_url_at_start() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mastra", "serve", "--port", "0"],
        cwd=ROOT,
        env={**os.environ, "MASTRA_STORAGE__URL": "mysql://db/app"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "storage.url" in result.stdout


def test_urls_build_their_backends(tmp_path: Path) -> None:
    sqlite = build_storage(load_config(storage={"url": f"sqlite:///{tmp_path}/a.db"}).storage)
    assert isinstance(sqlite, SQLiteStorage)
    assert sqlite.path == f"{tmp_path}/a.db"
    assert build_storage(load_config().storage) is None
    for url in (str(tmp_path / "v.db"), f"sqlite:///{tmp_path}/v.db"):
        store = build_vectors(load_config(vectors={"url": url}).vectors)
        assert isinstance(store, SQLiteVectorStore)
        assert store.path == str(tmp_path / "v.db")
    config = load_config(storage={"url": PG, "pool_size": 3}, vectors={"url": PG})
    from mastra.storage import PostgresStorage
    from mastra.vector import PgVectorStore

    assert isinstance(build_storage(config.storage), PostgresStorage)
    assert isinstance(build_vectors(config.vectors), PgVectorStore)


def test_the_app_keeps_its_own_backends(tmp_path: Path) -> None:
    config = load_config(
        storage={"url": f"sqlite:///{tmp_path}/s.db"},
        vectors={"url": str(tmp_path / "v.db"), "name": "kb"},
    )
    own = InMemoryStorage()
    mastra = configure_mastra(Mastra(storage=own), config)
    assert mastra.storage is own
    assert isinstance(mastra.get_vector("kb"), SQLiteVectorStore)
    bare = configure_mastra(Mastra(), config)
    assert isinstance(bare.storage, SQLiteStorage)


def test_cache_l2_builds_the_tiers_and_a_shared_limit() -> None:
    plain = create_app(Mastra(), ServerConfig(rate_limit=5)).state.mastra_server
    assert isinstance(plain.cache, LRUCache)
    assert not isinstance(plain.limiter, SharedLimit)
    config = ServerConfig(rate_limit=5, cache={"l2": "redis://127.0.0.1:1/0"})
    state = create_app(Mastra(), config).state.mastra_server
    from mastra.cache import TieredCache

    assert isinstance(state.cache, TieredCache)
    assert isinstance(state.limiter, SharedLimit)
    assert state.redis is not None
    assert state.redis.url == "redis://127.0.0.1:1/0"


def test_a_shared_limit_without_redis_still_limits_per_worker() -> None:
    # Redis unreachable: each worker keeps its own bucket, and no request fails for it.
    config = ServerConfig(rate_limit=0.01, rate_burst=2, cache={"l2": "redis://127.0.0.1:1/0"})
    server = ServerThread(create_app(Mastra(), config)).start()
    try:
        statuses = [httpx.get(server.url + "/api/vectors").status_code for _ in range(4)]
    finally:
        server.stop()
    assert statuses == [200, 200, 429, 429]


def test_the_default_app_runs_on_the_configured_sqlite(tmp_path: Path) -> None:
    config = load_config(
        host="127.0.0.1",
        storage={"url": f"sqlite:///{tmp_path}/state.db"},
        vectors={"url": str(tmp_path / "vectors.db")},
    )
    server = ServerThread(create_app(app_for(None, config), config)).start()
    try:
        body = {"resourceId": "ada", "threadId": "t1", "title": "hello"}
        created = httpx.post(server.url + "/api/memory/threads?agentId=guide", json=body)
        assert created.status_code == 200, created.text
        assert httpx.get(server.url + "/api/vector/docs/indexes").json() == ["mastra_docs"]
    finally:
        server.stop()
    assert (tmp_path / "state.db").exists()
    assert (tmp_path / "vectors.db").exists()


def test_a_reload_keeps_the_backends(tmp_path: Path) -> None:
    from mastra.server._reload import ConfigReloader

    path = tmp_path / "mastra.toml"
    path.write_text(
        f'rate_limit = 5\n[cache]\nl2 = "redis://127.0.0.1:1/0"\n[storage]\nurl = "{PG}"\n'
    )
    state = create_app(Mastra(), load_config(path)).state.mastra_server
    redis = state.redis
    path.write_text('rate_limit = 7\n[cache]\nl2 = "redis://elsewhere:6379/0"\n')
    assert ConfigReloader(state, path, {}).reload()
    assert state.config.rate_limit == 7
    assert (state.config.storage.url, state.config.cache.l2) == (PG, "redis://127.0.0.1:1/0")
    assert state.redis is redis
    assert isinstance(state.limiter, SharedLimit)
