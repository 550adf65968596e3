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


def test_askpass_answers_for_the_repository_origin_only() -> None:
    """A redirect to another host (or another port) gets no token from the helper."""
    import subprocess

    from trellis.repos.git import GitSession

    credentials = GitCredentials("x-access-token", "ghp_OnlyForGithub0123456789")
    with GitSession(
        credentials=credentials, allow_http=False, allow_file=False, url="https://github.com/a/b.git"
    ) as git:
        env = git.env()

        def ask(prompt: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([env["GIT_ASKPASS"], prompt], env=env, capture_output=True, text=True)

        assert ask("Username for 'https://github.com': ").stdout == "x-access-token\n"
        assert ask("Password for 'https://x-access-token@github.com': ").stdout == "ghp_OnlyForGithub0123456789\n"
        for foreign in (
            "Username for 'https://evil.example': ",
            "Password for 'https://x-access-token@evil.example': ",
            "Password for 'https://x-access-token@github.com.evil.example': ",
            "Password for 'http://x-access-token@github.com': ",
        ):
            answer = ask(foreign)
            assert answer.returncode != 0 and answer.stdout == ""
        command = git.command("ls-remote", "--", "https://github.com/a/b.git")
        assert "ghp_OnlyForGithub0123456789" not in " ".join(command) and "credential.helper=" in command
    with GitSession(credentials=None, allow_http=False, allow_file=False, url="https://github.com/a/b.git") as git:
        env = git.env()
        assert "TRELLIS_GIT_PASSWORD" not in env and env["GIT_ALLOW_PROTOCOL"] == "https"
        assert env["GIT_TERMINAL_PROMPT"] == "0" and env["GIT_CONFIG_NOSYSTEM"] == "1"
