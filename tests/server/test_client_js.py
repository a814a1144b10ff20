"""The server driven by Mastra's own JavaScript client, ``@mastra/client-js`` 1.47.0.

Skipped unless ``MASTRA_CLIENT_JS_DIR`` names a directory where the client is
installed (``npm install @mastra/client-js@1.47.0``) and Node.js >= 22.13 is found
(``MASTRA_NODE``, else ``node`` on the PATH); ``.ci/run`` prepares both.
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
NODE = os.environ.get("MASTRA_NODE") or shutil.which("node")

pytestmark = pytest.mark.skipif(
    not CLIENT_DIR or NODE is None,
    reason="set MASTRA_CLIENT_JS_DIR to a directory with @mastra/client-js installed",
)


def test_client_js_drives_every_area(server: ServerThread, tmp_path: Path) -> None:
    assert CLIENT_DIR is not None
    assert NODE is not None
    (tmp_path / "node_modules").symlink_to(Path(CLIENT_DIR).resolve() / "node_modules")
    script = tmp_path / "smoke.mjs"
    shutil.copy(HERE / "client_js" / "smoke.mjs", script)
    done = subprocess.run(
        [NODE, str(script)],
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
    assert {"text-start", "text-delta", "text-end", "finish"} <= set(out["stream"]["types"])
    assert out["tool"] == {"city": "Oslo", "temperature_c": 21}
    assert out["upsert"] == {"ids": ["a", "b"]}
    assert out["query"][0]["id"] == "a"
    assert out["indexDetails"] == {"dimension": 2, "count": 2, "metric": "cosine"}
    assert out["threads"] == ["cjs-1"]
    assert out["messages"] == ["user", "assistant", "assistant"]
    assert "404" in out["notFound"]
    assert out["indexesAfterDelete"] == []
    assert out["workflows"] == ["greet", "approval", "crawl"]
    assert out["workflowDetails"]["steps"] == ["shout"]
    assert out["workflowDetails"]["schema"]["inputSchema"] == {"type": "string"}
    assert out["workflowStart"] == {"status": "success", "result": "HELLO ADA"}
    assert out["workflowStream"][0] == "workflow-start"
    assert out["workflowStream"][-1] == "workflow-finish"
    assert "workflow-step-suspended" in out["workflowStream"]
    assert out["workflowResume"] == {"status": "success", "result": "HELLO SHIP (approved: yes)"}
    assert "cjs-approval" in out["workflowRuns"]["ids"]
    assert out["workflowRuns"]["total"] == 1
    assert out["workflowRun"] == "HELLO SHIP (approved: yes)"
    assert out["workflowCancel"] == {"message": "Workflow run canceled"}
    assert out["workflowDelete"] == {"message": "Workflow run deleted"}
    assert out["runNotFound"] == out["workflowNotFound"] == out["toolNotFound"] == 404
