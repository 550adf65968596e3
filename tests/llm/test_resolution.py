"""Choosing provider, endpoint, key and model: per agent from workspace credentials, else instance settings."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import SignedInUser, make_settings
from tests.llm.provider_server import ProviderServer, running_provider_server
from tests.llm.wires import AnthropicWire, OllamaWire
from trellis.core.config import Settings
from trellis.core.errors import InvalidInput, NotFound
from trellis.core.runtime import Runtime
from trellis.llm.anthropic import AnthropicProvider
from trellis.llm.http import HttpProvider
from trellis.llm.ollama import OllamaProvider
from trellis.llm.openai_compatible import OpenAICompatibleProvider
from trellis.llm.resolution import resolve_model, resolve_provider
from trellis.llm.types import ChatMessage, LLMNotConfigured, LLMProvider

KEY = "sk-ant-api03-credential-value-0123456789"


@pytest.fixture
def server() -> Iterator[ProviderServer]:
    with running_provider_server() as running:
        yield running


def store_credential(client: TestClient, user: SignedInUser, **body: Any) -> str:
    response = client.post(
        f"/api/v1/workspaces/{user.workspace_id}/credentials",
        json={"name": "llm", "kind": "llm_api_key", "value": KEY, **body},
        headers=user.headers,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def resolve(runtime: Runtime, settings: Settings, user: SignedInUser, **kwargs: Any) -> LLMProvider:
    arguments: dict[str, Any] = {"provider": None, "credential_id": None, "base_url": None, **kwargs}
    with runtime.database.session_factory() as session:
        provider = resolve_provider(session, workspace_id=uuid.UUID(user.workspace_id), settings=settings, **arguments)
        session.commit()
    return provider


def test_nothing_configured_says_how_to_configure(
    client: TestClient, runtime: Runtime, settings: Settings, signed_in: Callable[..., SignedInUser]
) -> None:
    alice = signed_in("alice@example.com")
    with pytest.raises(LLMNotConfigured) as caught:
        resolve(runtime, settings, alice)
    message = caught.value.message
    assert caught.value.status_code == 422 and caught.value.code == "llm_not_configured"
    for hint in ("TRELLIS_LLM_PROVIDER", "TRELLIS_LLM_MODEL", "TRELLIS_LLM_API_KEY", "credential_id", "llm_api_key"):
        assert hint in message
    with pytest.raises(LLMNotConfigured, match="TRELLIS_LLM_MODEL is unset"):
        resolve_model(None, settings=settings)


def test_a_workspace_credential_supplies_the_key_and_its_provider(
    client: TestClient,
    runtime: Runtime,
    settings: Settings,
    signed_in: Callable[..., SignedInUser],
    server: ProviderServer,
) -> None:
    alice = signed_in("alice@example.com")
    credential_id = store_credential(client, alice, provider="anthropic")

    provider = resolve(runtime, settings, alice, credential_id=credential_id, base_url=server.url)

    assert isinstance(provider, AnthropicProvider)
    server.push(AnthropicWire().text("hi", model="claude-3-5-haiku-latest", usage=(1_000_000, 0)))
    completion = asyncio.run(provider.complete([ChatMessage.user("hi")], model="claude-3-5-haiku-latest"))
    assert server.requests[0].headers["x-api-key"] == KEY
    assert completion.cost_usd == pytest.approx(0.80)  # built-in price for claude-3-5-haiku input
    used = client.get(f"/api/v1/workspaces/{alice.workspace_id}/credentials/{credential_id}", headers=alice.headers)
    assert used.json()["last_used_at"] is not None


def test_instance_settings_are_the_fallback_and_their_key_goes_only_to_their_provider(
    tmp_path: Path, client: TestClient, runtime: Runtime, signed_in: Callable[..., SignedInUser], server: ProviderServer
) -> None:
    alice = signed_in("alice@example.com")
    settings = make_settings(
        tmp_path / "other",
        llm_provider="ollama",
        llm_base_url=server.url + "/",
        llm_api_key="instance-key-0123456789",
        llm_model="llama3.2",
        llm_prices='{"llama3.2": {"input_per_mtok": 0, "output_per_mtok": 0}}',
    )

    provider = resolve(runtime, settings, alice)
    assert isinstance(provider, OllamaProvider)
    assert provider.base_url == server.url
    assert resolve_model(None, settings=settings) == "llama3.2"
    assert resolve_model("qwen2.5", settings=settings) == "qwen2.5"
    server.push(OllamaWire().text("local", model="llama3.2", usage=(5, 5)))
    completion = asyncio.run(provider.complete([ChatMessage.user("hi")], model="llama3.2"))
    assert completion.cost_usd == 0.0
    assert server.requests[0].headers["authorization"] == "Bearer instance-key-0123456789"

    # An agent naming another provider gets neither the instance URL nor its key.
    other = resolve(runtime, settings, alice, provider="openai", base_url="http://127.0.0.1:9/v1")
    assert isinstance(other, OpenAICompatibleProvider) and isinstance(other, HttpProvider)
    assert other._api_key is None
    with pytest.raises(LLMNotConfigured, match="needs an API key"):
        resolve(runtime, settings, alice, provider="anthropic")


def test_wrong_kind_unknown_provider_and_foreign_credentials_are_refused(
    client: TestClient, runtime: Runtime, settings: Settings, signed_in: Callable[..., SignedInUser]
) -> None:
    alice, bob = signed_in("alice@example.com"), signed_in("bob@example.com")
    git_token = store_credential(client, alice, kind="git_token", provider="github")
    with pytest.raises(InvalidInput, match="git_token credential"):
        resolve(runtime, settings, alice, credential_id=git_token)
    with pytest.raises(InvalidInput, match="Unknown LLM provider 'gemini'"):
        resolve(runtime, settings, alice, provider="gemini")
    bobs = store_credential(client, bob)
    with pytest.raises(NotFound):
        resolve(runtime, settings, alice, credential_id=bobs)


def test_price_settings_are_validated(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="exactly input_per_mtok and output_per_mtok"):
        make_settings(tmp_path, llm_prices='{"m": {"input": 1}}')
    with pytest.raises(ValueError, match="http:// or https://"):
        make_settings(tmp_path, llm_base_url="localhost:11434")
