"""Mail through a real SMTP server, per-user limits, the CLI, and secrets kept out of logs and storage."""

from __future__ import annotations

import os
import re
import socket
from email import message_from_bytes
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import DEFAULT_PASSWORD, make_settings, sign_up
from trellis.cli import app as cli
from trellis.main import create_app


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server():  # type: ignore[no-untyped-def]
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def test_sign_in_codes_are_mailed_through_smtp(smtp_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    inbox, port = smtp_server
    settings = make_settings(
        tmp_path, smtp_host="127.0.0.1", smtp_port=port, smtp_security="none", smtp_from="Trellis <trellis@example.com>"
    )
    with TestClient(create_app(settings)) as client:
        assert client.post("/api/v1/auth/request-otp", json={"email": "sam@example.com"}).status_code == 200
        assert len(inbox.messages) == 1
        mail_from, recipients, raw = inbox.messages[0]
        assert mail_from == "trellis@example.com" and recipients == ["sam@example.com"]
        message = message_from_bytes(raw)
        code = re.search(r"\b(\d{6})\b", message.get_payload()).group(1)  # type: ignore[union-attr, arg-type]
        assert message["Subject"] == f"Your Trellis sign-in code: {code}"
        signed = client.post("/api/v1/auth/verify-otp", json={"email": "sam@example.com", "code": code})
        assert signed.status_code == 200
        # With SMTP configured there is no dev outbox.
        assert client.get("/api/v1/dev/outbox").status_code == 404


def test_unreachable_smtp_is_a_502_without_the_code(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, smtp_host="127.0.0.1", smtp_port=1, smtp_security="none")
    with TestClient(create_app(settings)) as client:
        response = client.post("/api/v1/auth/request-otp", json={"email": "tom@example.com"})
    assert response.status_code == 502
    assert response.json()["detail"]["error"] == "mail_delivery_failed"
    assert not re.search(r"\b\d{6}\b", response.text)


def test_each_user_has_a_request_budget(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path, rate_limit_per_user="3/hour"))) as client:
        user = sign_up(client, "uma@example.com")  # signing up used one (the workspace list)
        statuses = [client.get("/api/v1/auth/me", headers=user.headers).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        other = client.post("/api/v1/auth/login", json={"email": "uma@example.com", "password": DEFAULT_PASSWORD})
        assert other.status_code == 200  # sign-in is not behind the user's budget; the budget is per user, not token
        again = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {other.json()['access_token']}"})
        assert again.status_code == 429 and int(again.headers["retry-after"]) > 0


def test_cli_creates_an_admin_and_a_token_the_api_accepts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("TRELLIS_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    created = runner.invoke(
        cli,
        ["user", "create", "--email", "root@example.com", "--password-stdin", "--admin"],
        input=f"{DEFAULT_PASSWORD}\n",
    )
    assert created.exit_code == 0, created.output
    assert created.stdout.startswith("created administrator root@example.com")
    weak = runner.invoke(cli, ["user", "create", "--email", "x@example.com", "--password-stdin"], input="short\n")
    assert weak.exit_code == 2 and "shorter than 10 characters" in weak.output
    token = runner.invoke(cli, ["token", "create", "--email", "root@example.com", "--name", "ci", "--scope", "read"])
    assert token.exit_code == 0
    secret = token.stdout.strip()
    assert secret.startswith("trl_")
    unknown = runner.invoke(cli, ["token", "create", "--email", "ghost@example.com", "--name", "x"])
    assert unknown.exit_code == 2 and "no account for ghost@example.com" in unknown.output
    with TestClient(create_app(make_settings(tmp_path / ".trellis"))) as client:
        me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {secret}"}).json()
        assert me["email"] == "root@example.com" and me["is_admin"] is True


def test_secrets_stay_out_of_logs_storage_and_responses(tmp_path: Path, capfd) -> None:  # type: ignore[no-untyped-def]
    """Every secret a user hands over or receives, grepped for in logs, the database file and responses."""
    settings = make_settings(tmp_path / "data")
    seen: list[str] = []
    bodies: list[str] = []
    with TestClient(create_app(settings)) as client:

        def call(method: str, path: str, **kwargs):  # type: ignore[no-untyped-def]
            response = client.request(method, path, **kwargs)
            bodies.append(response.text)
            return response

        password = "Unique-Pass-Phrase-4417"
        registered = call("POST", "/api/v1/auth/register", json={"email": "vic@example.com", "password": password})
        tokens = registered.json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        call("POST", "/api/v1/auth/login", json={"email": "vic@example.com", "password": "Wrong-Pass-Phrase-99"})
        call("POST", "/api/v1/auth/request-otp", json={"email": "vic@example.com"})
        code = re.search(r"\b(\d{6})\b", client.get("/api/v1/dev/outbox").json()["items"][0]["body"]).group(1)  # type: ignore[union-attr]
        otp_tokens = call("POST", "/api/v1/auth/verify-otp", json={"email": "vic@example.com", "code": code}).json()
        api_token = call("POST", "/api/v1/auth/tokens", json={"name": "x"}, headers=headers).json()["token"]
        refreshed = call("POST", "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).json()
        workspace_id = call("GET", "/api/v1/workspaces", headers=headers).json()["items"][0]["id"]
        invitation = call(
            "POST", f"/api/v1/workspaces/{workspace_id}/invite", json={"email": "w@example.com"}, headers=headers
        ).json()["token"]
        call("GET", "/api/v1/auth/me", headers={"Authorization": f"Bearer {api_token}"})
        invitee = sign_up(client, "w@example.com")
        assert call("POST", f"/api/v1/invitations/{invitation}/accept", headers=invitee.headers).status_code == 200
        # A retried sign-in replays its stored response: the stored copy must not hold the tokens in clear.
        login = {"email": "vic@example.com", "password": password}
        first = call("POST", "/api/v1/auth/login", json=login, headers={"Idempotency-Key": "login-once"})
        replay = client.post("/api/v1/auth/login", json=login, headers={"Idempotency-Key": "login-once"})
        assert replay.headers["idempotent-replayed"] == "true" and replay.json() == first.json()
        seen = [
            password,
            "Wrong-Pass-Phrase-99",
            code,
            tokens["access_token"],
            tokens["refresh_token"],
            otp_tokens["access_token"],
            otp_tokens["refresh_token"],
            refreshed["refresh_token"],
            api_token,
            invitation,
            first.json()["access_token"],
            first.json()["refresh_token"],
        ]
    logs = capfd.readouterr()
    stored = b"".join(path.read_bytes() for path in (tmp_path / "data").rglob("*") if path.is_file())
    for secret in seen:
        assert secret not in logs.err and secret not in logs.out, "secret in logs"
        assert secret.encode() not in stored, "secret in the data directory"
    # Each secret appears only in the one response that hands it to its owner.
    for secret in (password, "Wrong-Pass-Phrase-99", code):
        assert not any(secret in body for body in bodies)
    for secret in (tokens["access_token"], api_token, invitation):
        assert sum(secret in body for body in bodies) == 1
