"""The server driven by Mastra's own JavaScript client, ``@mastra/client-js`` 1.47.0.

Skipped unless ``MASTRA_CLIENT_JS_DIR`` names a directory where the client is
installed (``npm install @mastra/client-js@1.47.0``) and ``node`` is on the PATH.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import ServerThread

HERE = Path(__file__).resolve().parent
CLIENT_DIR = os.environ.get("MASTRA_CLIENT_JS_DIR")

pytestmark = pytest.mark.skipif(
    not CLIENT_DIR or shutil.which("node") is None,
    reason="set MASTRA_CLIENT_JS_DIR to a directory with @mastra/client-js installed",
)


def test_client_js_drives_every_area(server: ServerThread, tmp_path: Path) -> None:
    assert CLIENT_DIR is not None
    (tmp_path / "node_modules").symlink_to(Path(CLIENT_DIR).resolve() / "node_modules")
    script = tmp_path / "smoke.mjs"
    shutil.copy(HERE / "client_js" / "smoke.mjs", script)
    done = subprocess.run(
        ["node", str(script)],
        env={**os.environ, "BASE_URL": server.url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert "weather" in out["agents"]
    assert out["details"]["tools"] == ["weather", "explode"]
    assert out["generate"] == {
        "text": "It is sunny.",
        "finishReason": "stop",
        "toolCalls": 2,
        "toolResults": 2,
    }
    assert out["echo"] == "echo: hello"
    assert out["stream"]["text"] == "echo: stream me"
    assert out["tool"] == {"city": "Oslo", "temperature_c": 21}
    assert out["upsert"] == {"ids": ["a", "b"]}
    assert out["query"][0]["id"] == "a"
    assert out["indexDetails"] == {"dimension": 2, "count": 2, "metric": "cosine"}
    assert out["threads"] == ["cjs-1"]
    assert out["messages"] == ["user", "assistant", "assistant"]
    assert "404" in out["notFound"]
