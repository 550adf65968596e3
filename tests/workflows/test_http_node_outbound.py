"""HTTP request nodes may not call denied networks (cloud metadata by default), by address or by name."""

from __future__ import annotations

import re
import socket
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from tests.conftest import make_settings, sign_up
from tests.workflows.helpers import chain, create_workflow, http_target, node_runs, start, wait_status
from trellis.core.config import Settings
from trellis.main import create_app


def _call(url: str) -> dict[str, object]:
    return chain(
        {"id": "start", "type": "manual"},
        {"id": "call", "type": "http_request", "config": {"method": "POST", "url": url, "body": {"x": 1}}},
    )


def test_denied_networks_are_refused_by_address_and_by_name_and_nothing_is_sent(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path / "data", outbound_denied_networks="127.0.0.0/8,::1/128")
    with TestClient(create_app(settings)) as client, http_target() as target:
        alice = sign_up(client, "alice@example.com")
        port = target.url.split(":")[2].split("/")[0]
        for url in (target.url, f"http://localhost:{port}/hook"):
            workflow = create_workflow(client, alice, f"Call {url}", _call(url))
            execution_id = start(client, alice, workflow["id"])
            failed = wait_status(client, alice, execution_id, "failed", "completed")
            assert failed["status"] == "failed"
            call = next(r for r in node_runs(client, alice, execution_id) if r["node_id"] == "call")
            assert call["retry_count"] == 0  # permanent: not retried
            assert "in a network this server does not call (TRELLIS_OUTBOUND_DENIED_NETWORKS)" in call["error_message"]
        assert target.received == []


def test_a_name_that_rebinds_after_the_check_cannot_reach_a_denied_address(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """DNS rebinding: the first answer is harmless, every later one points at the denied target. The connection
    must go to the address that was checked, so the target hears nothing. (The resolver stands in for a DNS
    server that changes its answer; getaddrinfo is the standard library's, not ours.)"""
    real_getaddrinfo = socket.getaddrinfo
    answers: list[str] = []

    def rebinding(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "rebind.test":
            return real_getaddrinfo(host, port, *args, **kwargs)
        answers.append("127.0.0.3" if not answers else "127.0.0.1")  # nothing listens on 127.0.0.3
        return real_getaddrinfo(answers[-1], port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    settings = make_settings(tmp_path / "data", outbound_denied_networks="127.0.0.1/32")
    with TestClient(create_app(settings)) as client, http_target() as target:
        alice = sign_up(client, "alice@example.com")
        port = target.url.split(":")[2].split("/")[0]
        graph = _call(f"http://rebind.test:{port}/hook")
        graph["nodes"][1]["retry"] = {"max_retries": 0}
        workflow = create_workflow(client, alice, "Rebinding", graph)
        failed = wait_status(client, alice, start(client, alice, workflow["id"]), "failed", "completed")
        assert failed["status"] == "failed"
        assert "rebind.test" in failed["error_message"] and "ConnectError" in failed["error_message"]
        assert answers == ["127.0.0.3"]  # resolved once, and that answer was used
        assert target.received == []


def test_by_default_only_link_local_is_denied(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with TestClient(create_app(make_settings(tmp_path / "data"))) as client, http_target() as target:
        alice = sign_up(client, "alice@example.com")
        metadata = create_workflow(client, alice, "Metadata", _call("http://169.254.169.254/latest/meta-data/"))
        refused = wait_status(client, alice, start(client, alice, metadata["id"]), "failed", "completed")
        assert refused["status"] == "failed"
        assert "169.254.169.254 resolves to 169.254.169.254" in refused["error_message"]
        local = create_workflow(client, alice, "Local", _call(target.url))
        assert wait_status(client, alice, start(client, alice, local["id"]), "failed", "completed")["status"] == (
            "completed"
        )
        assert len(target.received) == 1


def test_a_bad_network_setting_names_the_value() -> None:
    with pytest.raises(ValidationError, match=re.escape("'10.0.0.0/33' is not a CIDR network")):
        Settings(_env_file=None, outbound_denied_networks="10.0.0.0/33")  # type: ignore[call-arg]
