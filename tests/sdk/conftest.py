"""Starts the mock upstreams and the real cliproxy binary (CLIPROXY_BIN, default
$CARGO_TARGET_DIR or ./target, then debug/cliproxy) once per test session, on loopback ports chosen by the OS."""

import os
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

import mock_upstreams

ROOT = Path(__file__).resolve().parents[2]
CLIENT_KEY = "sdk-client-key"
# client-visible model -> (mock family, upstream model name, upstream key)
MODELS = {
    "oa-model": ("oa", "upstream-oa", "up-oa"),
    "cl-model": ("cl", "upstream-cl", "up-cl"),
    "ge-model": ("ge", "upstream-ge", "up-ge"),
    "cx-model": ("cx", "upstream-cx", "up-cx"),
}


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def upstream():
    server, recorder = mock_upstreams.start()
    yield server, recorder
    server.shutdown()


@pytest.fixture(scope="session")
def gateway(upstream):
    server, _ = upstream
    mock = f"http://127.0.0.1:{server.server_address[1]}"
    port = _free_port()
    config = f"""
host: 127.0.0.1
port: {port}
workers: 2
api-keys: ["{CLIENT_KEY}"]
openai-compatibility:
  - name: mock-oa
    base-url: {mock}/oa/v1
    api-key-entries: [{{api-key: up-oa}}]
    models: [{{name: upstream-oa, alias: oa-model}}]
claude-api-key:
  - api-key: up-cl
    base-url: {mock}/cl
    models: [{{name: upstream-cl, alias: cl-model}}]
gemini-api-key:
  - api-key: up-ge
    base-url: {mock}/ge
    models: [{{name: upstream-ge, alias: ge-model}}]
codex-api-key:
  - api-key: up-cx
    base-url: {mock}/cx
    models: [{{name: upstream-cx, alias: cx-model}}]
"""
    tmp = tempfile.mkdtemp(prefix="cliproxy-sdk-")
    cfg = Path(tmp, "config.yaml")
    cfg.write_text(config)
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    binary = os.environ.get("CLIPROXY_BIN", str(target / "debug" / "cliproxy"))
    log = open(Path(tmp, "gateway.log"), "w")
    proc = subprocess.Popen([binary, "--config", str(cfg)], stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            log.flush()
            raise RuntimeError("gateway did not start:\n" + Path(tmp, "gateway.log").read_text())
        time.sleep(0.1)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
