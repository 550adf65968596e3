"""How fast and how early a too-large repository is refused (R2).

    .venv/bin/python bench/size_check.py [--size-mb 150] [--limit-mb 100] [--json]

Builds a repository of incompressible random blobs (150 MB by default), packs it, and serves it from
a local `git http-backend` behind an HTTP server with token auth (tests/repos/git_server.py). Then, with
the default 100 MB limit, it runs:

1. the connect pre-check for a generic host (ls-remote + guarded shallow fetch): time to the 413,
   bytes the server sent, bytes written to disk, and the size estimate in the 413 body;
2. the clone job's guarded full fetch of the same repository: same figures;
3. the pre-check for a GitHub-style host whose API reports the size: nothing is downloaded.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.repos.git_server import GitHttpServer, RepoBuilder, git, random_blobs  # noqa: E402

from trellis.core.config import Settings  # noqa: E402
from trellis.repos.errors import RepositoryTooLarge  # noqa: E402
from trellis.repos.git import GitCredentials, GitSession, guarded_fetch  # noqa: E402
from trellis.repos.precheck import MB, run_precheck  # noqa: E402
from trellis.repos.urls import check_git_url, detect_provider  # noqa: E402

TOKEN = "ghp_BenchToken0123456789abcdef"


def build_repository(root: Path, scratch: Path, size_mb: int) -> Path:
    started = time.monotonic()
    # Random data does not compress: skip zlib work while building (the pack is as big either way).
    os.environ["GIT_CONFIG_PARAMETERS"] = "'core.compression=0' 'pack.compression=0'"
    builder = RepoBuilder.create(root, "bench/big", random_blobs(size_mb, MB), scratch=scratch)
    # A served repository is packed; the server then streams the pack as is instead of compressing on the fly.
    git("--git-dir", str(builder.bare), "repack", "-a", "-d", "-q")
    del os.environ["GIT_CONFIG_PARAMETERS"]
    packed = sum(p.stat().st_size for p in (builder.bare / "objects" / "pack").glob("*.pack"))
    print(f"built {size_mb} MB of random blobs, pack {packed / MB:.1f} MB, in {time.monotonic() - started:.1f} s")
    return builder.bare


def settings_for(base: Path, server: GitHttpServer, limit_mb: int, *, github: bool) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=base / "data",
        sandbox_base_path=base / "sandboxes",
        max_repo_size_mb=limit_mb,
        repo_allow_http=True,
        github_hosts=[server.netloc] if github else ["github.com"],
        github_api_url=f"{server.url}/api",
        repo_precheck_timeout_seconds=300,
    )


def precheck(server: GitHttpServer, settings: Settings) -> dict[str, Any]:
    url = check_git_url(f"{server.url}/bench/big.git", allow_http=True)
    location = detect_provider(
        url, github_hosts=settings.github_hosts, gitlab_hosts=settings.gitlab_hosts, bitbucket_hosts=[]
    )
    credentials = GitCredentials("x-access-token" if location.provider.value == "github" else "git", TOKEN)
    server.reset_counters()
    started = time.monotonic()
    try:
        result = run_precheck(location, credentials, settings=settings, branch=None)
        outcome: dict[str, Any] = {"refused": False, "estimated_size_mb": result.estimated_size_mb}
    except RepositoryTooLarge as exc:
        outcome = {"refused": True, **exc.extra}
    outcome.update(seconds=round(time.monotonic() - started, 2), server_sent_mb=round(server.bytes_sent / MB, 1))
    return outcome


def full_fetch(server: GitHttpServer, base: Path, limit_mb: int) -> dict[str, Any]:
    git_dir = base / "full.git"
    server.reset_counters()
    url = f"{server.url}/bench/big.git"
    with GitSession(credentials=GitCredentials("git", TOKEN), allow_http=True, allow_file=False, url=url) as session:
        session.run("init", "-q", "--bare", str(git_dir), timeout=30)
        result = guarded_fetch(
            session, git_dir=git_dir, url=url, branch="main", limit_bytes=limit_mb * MB,
            timeout=300,
        )  # fmt: skip
    shutil.rmtree(git_dir, ignore_errors=True)
    return {
        "refused": result.over_limit,
        "seconds": round(result.seconds, 2),
        "server_sent_mb": round(server.bytes_sent / MB, 1),
        "written_mb": round(result.progress.bytes_on_disk / MB, 1),
        "estimated_size_mb": round(result.progress.estimated_total() / MB, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=150)
    parser.add_argument("--limit-mb", type=int, default=100)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="trellis-size-bench-"))
    try:
        served = base / "served"
        served.mkdir()
        build_repository(served, base / "scratch", args.size_mb)
        with GitHttpServer(served, tokens={"*": TOKEN}, api_sizes_kib={"bench/big": args.size_mb * 1024}) as server:
            figures = {
                "repository_mb": args.size_mb,
                "limit_mb": args.limit_mb,
                "precheck_generic_host": precheck(server, settings_for(base, server, args.limit_mb, github=False)),
                "clone_guarded_full_fetch": full_fetch(server, base, args.limit_mb),
                "precheck_github_api": precheck(server, settings_for(base, server, args.limit_mb, github=True)),
            }
    finally:
        shutil.rmtree(base, ignore_errors=True)
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"repository {args.size_mb} MB (random blobs), limit {args.limit_mb} MB")
    for name in ("precheck_generic_host", "clone_guarded_full_fetch", "precheck_github_api"):
        row = figures[name]
        assert isinstance(row, dict)
        extra = f", written to disk {row['written_mb']} MB" if "written_mb" in row else ""
        print(
            f"{name:26s} refused={row['refused']!s:5s} in {row['seconds']:6.2f} s, "
            f"server sent {row['server_sent_mb']:6.1f} MB{extra}, estimate {row.get('estimated_size_mb')} MB"
        )


if __name__ == "__main__":
    main()
