"""`trellis serve` as a new user runs it: zero configuration, a real process, a real port."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path

import httpx

from tests.conftest import wait_for

SECRETS = {
    "bearer": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJlLXZhbHVlLWhlcmU",
    "github": "ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
    "password": "correct-horse-battery-staple-77",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_with_zero_configuration(tmp_path: Path) -> None:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("TRELLIS_")}
    log_path = tmp_path / "server.log"
    with log_path.open("w") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-c", "from trellis.cli import main; main()", "serve", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:

        def ready() -> bool:
            try:
                return httpx.get(f"{base}/ready", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(ready, timeout=30, interval=0.2, what="/ready to answer 200")
        data_dir = tmp_path / ".trellis"
        assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
        assert stat.S_IMODE((data_dir / "secrets.json").stat().st_mode) == 0o600
        assert stat.S_IMODE((data_dir / "trellis.db").stat().st_mode) == 0o600
        assert httpx.get(f"{base}/api/v1/health").json()["mode"] == "embedded"

        # Requests carrying secrets in every place a client might put them.
        httpx.get(
            f"{base}/api/v1/jobs",
            params={"access_token": SECRETS["github"]},
            headers={"Authorization": f"Bearer {SECRETS['bearer']}"},
        )
        registered = httpx.post(
            f"{base}/api/v1/auth/register", json={"email": "new@example.com", "password": SECRETS["password"]}
        )
        assert registered.status_code == 201
        issued = registered.json()
        secrets_seen = [*SECRETS.values(), issued["access_token"], issued["refresh_token"]]
        me = httpx.get(f"{base}/api/v1/auth/me", headers={"Authorization": f"Bearer {issued['access_token']}"})
        assert me.json()["email"] == "new@example.com"
        bad = httpx.post(f"{base}/api/v1/auth/login", json={"email": "nope", "password": SECRETS["password"]})
        assert bad.status_code == 422
        assert SECRETS["password"] not in bad.text
        malformed = httpx.post(
            f"{base}/api/v1/auth/login",
            content=f'{{"password": "{SECRETS["password"]}"',
            headers={"content-type": "application/json"},
        )
        assert malformed.status_code == 400
        assert SECRETS["password"] not in malformed.text
        # Without SMTP, a development server prints sign-in codes on its console, labelled as such.
        assert httpx.post(f"{base}/api/v1/auth/request-otp", json={"email": "new@example.com"}).status_code == 200
        code = httpx.get(f"{base}/api/v1/dev/outbox").json()["items"][0]["subject"][-6:]
    finally:
        server.send_signal(signal.SIGTERM)
        exit_code = server.wait(timeout=20)
    # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status says why it stopped.
    assert exit_code in (0, -signal.SIGTERM)
    output = log_path.read_text()
    assert "open http://localhost:" in output  # where to open it
    records = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert any(r["event"] == "http_request" and r["route"] == "/api/v1/auth/register" for r in records)
    assert any(r["event"] == "trellis_started" for r in records)
    assert records[-1]["event"] == f"Finished server process [{server.pid}]"
    assert any(r["event"] == "trellis_stopped" for r in records)
    for secret in secrets_seen:
        assert secret not in output
    assert "[trellis dev outbox - no SMTP configured]" in output and code in output
