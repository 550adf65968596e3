"""Pure helpers around git: failure classification, masking of stderr, progress parsing."""

from __future__ import annotations

import pytest

from trellis.repos.git import FailureKind, FetchProgress, GitCredentials, classify_failure, summarize_stderr


@pytest.mark.parametrize(
    ("stderr", "kind"),
    [
        ("fatal: Authentication failed for 'https://github.com/a/b.git/'", FailureKind.AUTH),
        ("fatal: could not read Username for 'https://x': terminal prompts disabled", FailureKind.AUTH),
        (
            "remote: Repository not found.\nfatal: repository 'https://github.com/a/b.git/' not found",
            FailureKind.NOT_FOUND,
        ),
        ("fatal: unable to access 'https://x/': Could not resolve host: x", FailureKind.NETWORK),
        ("error: RPC failed; HTTP 502 curl 22 The requested URL returned error: 502", FailureKind.NETWORK),
        ("fatal: write error: No space left on device", FailureKind.DISK),
        ("fatal: bad object HEAD", FailureKind.OTHER),
    ],
)
def test_classification(stderr: str, kind: FailureKind) -> None:
    assert classify_failure(stderr) is kind
    assert kind.transient == (kind in (FailureKind.NETWORK, FailureKind.TIMEOUT))


def test_stderr_is_masked_in_every_form_the_token_can_take() -> None:
    credentials = GitCredentials("oauth2", "glpat-SuperSecretValue12345")
    stderr = (
        "Receiving objects:  50% (1/2)\r"
        "fatal: unable to access 'https://oauth2:glpat-SuperSecretValue12345@gitlab.com/a/b.git/': "
        "header Authorization: Basic b2F1dGgyOmdscGF0LVN1cGVyU2VjcmV0VmFsdWUxMjM0NQ== glpat-SuperSecretValue12345"
    )
    masked = summarize_stderr(stderr, credentials)
    assert "SuperSecret" not in masked and "b2F1dGgy" not in masked and "Receiving" not in masked
    assert masked.startswith("fatal: unable to access 'https://[REDACTED]@gitlab.com/a/b.git/'")


def test_progress_lines_give_bytes_and_an_extrapolated_total() -> None:
    progress = FetchProgress()
    assert progress.observe("Receiving objects:  25% (250/1000), 24.00 MiB | 12.00 MiB/s")
    assert not progress.observe("remote: Counting objects: 100% (1000/1000), done.")
    assert progress.bytes_received == 24 * 1024 * 1024
    assert progress.estimated_total() == 96 * 1024 * 1024
    progress.bytes_on_disk = 30 * 1024 * 1024
    assert progress.downloaded == 30 * 1024 * 1024 and progress.estimated_total() == 120 * 1024 * 1024
