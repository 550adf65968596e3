from __future__ import annotations

import pytest

from trellis.core.masking import REDACTED, mask_mapping, mask_text

SECRETS = [
    "Authorization: Bearer abcDEF123456789.token-value",
    "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "cloned with ghp_1234567890abcdefghijABCDEFGHIJ123456",
    "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
    "glpat-abcdefghij1234567890",
    "key sk-proj-abcdefghijklmnop1234567890",
    "https://x-access-token:ghs_supersecretvalue1234@github.com/org/repo.git",
    "postgresql://trellis:dbpassw0rd@db:5432/trellis",
    "password=hunter2 and api_key: 'k3y-v4lue'",
    '{"client_secret": "s3cr3t-value"}',
]


@pytest.mark.parametrize("text", SECRETS)
def test_credential_shapes_are_masked(text: str) -> None:
    masked = mask_text(text)
    assert REDACTED in masked
    for secret in (
        "abcDEF123456789",
        "dozjgNryP4J3",
        "ghp_1234567890",
        "github_pat_11",
        "glpat-abc",
        "sk-proj",
        "ghs_supersecret",
        "dbpassw0rd",
        "hunter2",
        "k3y-v4lue",
        "s3cr3t-value",
    ):
        assert secret not in masked


def test_ordinary_text_is_left_alone() -> None:
    text = "Cloned https://github.com/org/repo.git at a1b2c3d in 2.5s; 14 files, tokens_used=120"
    assert mask_text(text) == text


def test_sensitive_keys_are_redacted_whole_and_recursively() -> None:
    event = {
        "event": "login",
        "password": "hunter2",
        "refresh_token": "opaque",
        "nested": {"api_key": "abc", "items": [{"client_secret": "x"}], "email": "a@b.c"},
        "max_tokens": 512,
        "token_type": "bearer",
        "footprint": "ok",
    }
    masked = mask_mapping(event)
    assert masked["password"] == REDACTED
    assert masked["refresh_token"] == REDACTED
    assert masked["nested"]["api_key"] == REDACTED
    assert masked["nested"]["items"][0]["client_secret"] == REDACTED
    assert masked["nested"]["email"] == "a@b.c"
    assert masked["max_tokens"] == 512
    assert masked["token_type"] == "bearer"
    assert masked["footprint"] == "ok"
