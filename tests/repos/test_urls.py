"""URL checks and provider detection (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from trellis.repos.urls import (
    INVALID_URL,
    LocalPathRefused,
    Provider,
    UrlProblem,
    check_git_url,
    detect_provider,
    local_location,
)

HOSTS = {"github_hosts": ["github.com"], "gitlab_hosts": ["gitlab.com"], "bitbucket_hosts": ["bitbucket.org"]}


@pytest.mark.parametrize(
    ("url", "provider", "repo_path"),
    [
        ("https://github.com/user/repo.git", Provider.GITHUB, "user/repo"),
        ("https://GitHub.com/user/repo", Provider.GITHUB, "user/repo"),
        ("https://gitlab.com/group/sub/repo.git", Provider.GITLAB, "group/sub/repo"),
        ("https://bitbucket.org/team/repo.git", Provider.BITBUCKET, "team/repo"),
        ("https://custom.git/repo.git", Provider.GENERIC, "repo"),
        ("https://github.com/user/repo/extra.git", Provider.GENERIC, "user/repo/extra"),
        ("https://git.example.com:8443/scm/team/repo.git", Provider.GENERIC, "scm/team/repo"),
    ],
)
def test_providers_from_the_seed_matrix(url: str, provider: Provider, repo_path: str) -> None:
    location = detect_provider(check_git_url(url), **HOSTS)
    assert (location.provider, location.repo_path) == (provider, repo_path)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("not-a-valid-url", "expected https://"),
        ("ext::sh -c id", "whitespace"),
        ("ext::sh", "ext::"),
        ("fd::17", "ext::"),
        ("--upload-pack=id", "start with '-'"),
        ("ssh://git@github.com/a/b.git", "SSH"),
        ("git@github.com:a/b.git", "SSH"),
        ("git://example.com/a/b.git", "expected https://"),
        ("http://example.com/a/b.git", "expected https://"),
        ("https://user:secret@example.com/a/b.git", "must not contain a user name"),
        ("https://tok@example.com/a/b.git", "must not contain a user name"),
        ("https://example.com/a/b.git?x=1", "query strings"),
        ("https://example.com/a/b.git#frag", "query strings"),
        ("https://example.com/a/../../b.git", "'..'"),
        ("https://example.com/a/%2e%2e/b.git", "'..'"),
        ("https://example.com", "repository path"),
        ("https://exa_mple.com/a.git", "host name"),
        ("https://example.com:99999/a.git", "malformed"),
        ("file://relative/path", "absolute"),
        ("https://example.com/a\nb.git", "whitespace"),
    ],
)
def test_refused_urls_say_why_without_echoing_them(url: str, why: str) -> None:
    with pytest.raises(UrlProblem) as refused:
        check_git_url(url)
    assert str(refused.value).startswith(INVALID_URL) and why in str(refused.value)
    assert "secret" not in str(refused.value) and url not in str(refused.value)


def test_plain_http_only_when_allowed() -> None:
    assert check_git_url(" http://127.0.0.1:8080/a/b.git ", allow_http=True) == "http://127.0.0.1:8080/a/b.git"


def test_local_paths_need_an_allowed_root(tmp_path: Path) -> None:
    allowed = tmp_path / "allowed"
    (allowed / "repo").mkdir(parents=True)
    with pytest.raises(LocalPathRefused, match="disabled"):
        local_location(str(allowed / "repo"), allowed_roots=[])
    location = local_location(f"file://{allowed}/repo", allowed_roots=[str(allowed)])
    assert location.provider is Provider.LOCAL and location.url == (allowed / "repo").resolve().as_uri()
    for sneaky in (f"{allowed}/../elsewhere", str(tmp_path), "/etc"):
        with pytest.raises(LocalPathRefused, match="outside"):
            local_location(sneaky, allowed_roots=[str(allowed)])
    (allowed / "link").symlink_to("/etc")
    with pytest.raises(LocalPathRefused):
        local_location(str(allowed / "link"), allowed_roots=[str(allowed)])
