"""Running git safely: credentials through GIT_ASKPASS and the environment, never on a command line.

Every git process gets an empty HOME, no system or global config, no credential helpers, hooks
disabled, no submodule recursion, terminal prompts off and a protocol allow-list (https, plus http
or file only when allowed). Its stderr is masked (the token, and every credential shape) before it
is logged, stored or returned. The URL handed to git never holds credentials, so neither does
`ps`: git asks the askpass helper, which prints the user name or token from its environment.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from urllib.parse import quote, urlsplit

from trellis.core.masking import REDACTED, mask_text

ASKPASS_SCRIPT = """#!/bin/sh
# Trellis askpass helper: git runs it with the prompt as $1 ("Username for 'https://host': ",
# "Password for 'https://user@host': "). It answers for the repository's own origin only, so a
# redirect to another host never receives the token.
case "$1" in
  "Username for '$TRELLIS_GIT_ORIGIN'"*) printf '%s\\n' "$TRELLIS_GIT_USERNAME" ;;
  "Password for '$TRELLIS_GIT_AUTH_ORIGIN'"*) printf '%s\\n' "$TRELLIS_GIT_PASSWORD" ;;
  *) exit 1 ;;
esac
"""


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL, as git names it in credential prompts."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# `-c` options for every git command (no secret among them: they are visible in `ps`).
SAFE_CONFIG = (
    "core.hooksPath=/dev/null",
    "credential.helper=",
    "protocol.ext.allow=never",
    "submodule.recurse=false",
    "fetch.recurseSubmodules=false",
    "core.fsmonitor=false",
    "transfer.unpackLimit=1",
    "gc.auto=0",
    "maintenance.auto=false",
    "advice.detachedHead=false",
    "init.defaultBranch=main",
    "http.lowSpeedLimit=1000",
    "http.lowSpeedTime=30",
)


@dataclass(frozen=True)
class GitCredentials:
    username: str
    token: str = field(repr=False)

    def secrets(self) -> list[str]:
        """The token as git or a server might echo it: raw, URL-encoded, and inside a Basic header."""
        import base64

        basic = base64.b64encode(f"{self.username}:{self.token}".encode()).decode()
        return [s for s in {self.token, quote(self.token, safe=""), basic} if len(s) >= 4]


class FailureKind(StrEnum):
    AUTH = "auth"
    NOT_FOUND = "not_found"
    NETWORK = "network"
    TIMEOUT = "timeout"
    DISK = "disk"
    TOO_LARGE = "too_large"
    OTHER = "other"

    @property
    def transient(self) -> bool:
        return self in (FailureKind.NETWORK, FailureKind.TIMEOUT)


@dataclass(frozen=True)
class GitFailure:
    kind: FailureKind
    message: str  # masked


_PATTERNS: list[tuple[FailureKind, re.Pattern[str]]] = [
    (FailureKind.DISK, re.compile(r"No space left on device|Disk quota exceeded", re.I)),
    (
        FailureKind.AUTH,
        re.compile(
            r"Authentication failed|could not read (Username|Password)|terminal prompts disabled|"
            r"returned error: 40[13]|Invalid username or password|HTTP Basic: Access denied",
            re.I,
        ),
    ),
    (
        FailureKind.NOT_FOUND,
        re.compile(
            r"Repository not found|returned error: 404|not found|does not appear to be a git repository|"
            r"does not exist|Couldn't find remote ref|not a git repository",
            re.I,
        ),
    ),
    (
        FailureKind.NETWORK,
        re.compile(
            r"Could not resolve host|Failed to connect|Connection refused|Connection reset|timed out|"
            r"returned error: 5\d\d|RPC failed|early EOF|unexpected disconnect|remote end hung up|"
            r"Empty reply|SSL|gnutls|TLS|Operation too slow|transfer closed",
            re.I,
        ),
    ),
]


def classify_failure(stderr: str) -> FailureKind:
    for kind, pattern in _PATTERNS:
        if pattern.search(stderr):
            return kind
    return FailureKind.OTHER


def mask_output(text: str, credentials: GitCredentials | None) -> str:
    if credentials is not None:
        for secret in sorted(credentials.secrets(), key=len, reverse=True):
            text = text.replace(secret, REDACTED)
    return mask_text(text)


def summarize_stderr(stderr: str, credentials: GitCredentials | None, *, limit: int = 600) -> str:
    """The meaningful lines of git's stderr (no progress meters), masked and bounded."""
    lines = [line.strip() for line in re.split(r"[\r\n]+", stderr) if line.strip()]
    meaningful = [
        line
        for line in lines
        if not re.match(r"(remote: )?(Enumerating|Counting|Compressing|Receiving|Resolving|Total|Cloning)", line)
    ]
    text = mask_output(" | ".join(meaningful or lines[-3:]), credentials)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class GitSession:
    """One private askpass helper + empty HOME for a series of git commands; use as a context manager."""

    def __init__(
        self, *, credentials: GitCredentials | None, allow_http: bool, allow_file: bool, url: str = ""
    ) -> None:
        """`url`: the repository the credentials belong to; the askpass helper answers for its origin only."""
        self.credentials = credentials
        self._origin = origin_of(url) if url else ""
        protocols = ["https"] + (["http"] if allow_http else []) + (["file"] if allow_file else [])
        self._protocols = ":".join(protocols)
        self._home: Path | None = None

    def __enter__(self) -> GitSession:
        self._home = Path(tempfile.mkdtemp(prefix="trellis-git-"))
        askpass = self._home / "askpass.sh"
        askpass.write_text(ASKPASS_SCRIPT)
        askpass.chmod(0o700)
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._home is not None:
            shutil.rmtree(self._home, ignore_errors=True)
            self._home = None

    def env(self) -> dict[str, str]:
        assert self._home is not None, "GitSession used outside its `with` block"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self._home),
            "LC_ALL": "C",
            "LANG": "C",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_ALLOW_PROTOCOL": self._protocols,
            "GIT_PROTOCOL_FROM_USER": "0",
            "GIT_ASKPASS": str(self._home / "askpass.sh"),
            "SSH_ASKPASS": str(self._home / "askpass.sh"),
            "GIT_SSH_COMMAND": "false",
        }
        for name in ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"):
            if name in os.environ:
                env[name] = os.environ[name]
        if self.credentials is not None and self._origin:
            scheme, _, netloc = self._origin.partition("://")
            env["TRELLIS_GIT_ORIGIN"] = self._origin
            env["TRELLIS_GIT_AUTH_ORIGIN"] = f"{scheme}://{self.credentials.username}@{netloc}"
            env["TRELLIS_GIT_USERNAME"] = self.credentials.username
            env["TRELLIS_GIT_PASSWORD"] = self.credentials.token
        # Without credentials the helper answers nothing: an auth challenge fails (401) instead of hanging.
        return env

    def command(self, *args: str) -> list[str]:
        config: list[str] = []
        for option in SAFE_CONFIG:
            config += ["-c", option]
        return ["git", *config, *args]

    def run(self, *args: str, timeout: float, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        """Run a short git command; raises GitError (masked) on failure or timeout."""
        try:
            done = subprocess.run(  # noqa: S603 - fixed executable, arguments never come from a shell
                self.command(*args),
                env=self.env(),
                cwd=cwd,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=timeout,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        except subprocess.TimeoutExpired:
            raise GitError(GitFailure(FailureKind.TIMEOUT, f"git {args[0]} timed out after {timeout:.0f} s")) from None
        if done.returncode != 0:
            raise GitError(GitFailure(classify_failure(done.stderr), summarize_stderr(done.stderr, self.credentials)))
        return done


class GitError(Exception):
    def __init__(self, failure: GitFailure) -> None:
        super().__init__(failure.message)
        self.failure = failure


# ---------------------------------------------------------------- remote head


@dataclass(frozen=True)
class RemoteHead:
    branch: str
    sha: str


def remote_head(session: GitSession, url: str, *, branch: str | None, timeout: float) -> RemoteHead:
    """`git ls-remote`: checks access (401/404/network) and finds the branch to clone and its commit."""
    if branch:
        out = session.run("ls-remote", "--", url, f"refs/heads/{branch}", timeout=timeout).stdout
        for line in out.splitlines():
            sha, _, ref = line.partition("\t")
            if ref == f"refs/heads/{branch}":
                return RemoteHead(branch, sha)
        raise GitError(GitFailure(FailureKind.NOT_FOUND, f"The repository has no branch named {branch!r}."))
    out = session.run("ls-remote", "--symref", "--", url, "HEAD", timeout=timeout).stdout
    head_branch, head_sha = None, None
    for line in out.splitlines():
        if line.startswith("ref: ") and line.endswith("\tHEAD"):
            head_branch = line[len("ref: ") : -len("\tHEAD")].removeprefix("refs/heads/")
        elif line.endswith("\tHEAD"):
            head_sha = line.split("\t", 1)[0]
    if head_branch is None or head_sha is None:
        raise GitError(GitFailure(FailureKind.NOT_FOUND, "The repository is empty (it has no default branch)."))
    return RemoteHead(head_branch, head_sha)


# ---------------------------------------------------------------- guarded fetch

_RECEIVING = re.compile(r"Receiving objects:\s+(\d+)% \((\d+)/(\d+)\)(?:,\s+([\d.]+)\s+(bytes|KiB|MiB|GiB))?")
_UNITS = {"bytes": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3}


@dataclass
class FetchProgress:
    objects_received: int = 0
    objects_total: int = 0
    bytes_received: int = 0  # as git reports it (rounded to its display unit)
    bytes_on_disk: int = 0  # peak size of the object directory while fetching

    def observe(self, line: str) -> bool:
        match = _RECEIVING.search(line)
        if not match:
            return False
        self.objects_received, self.objects_total = int(match.group(2)), int(match.group(3))
        if match.group(4):
            self.bytes_received = max(self.bytes_received, int(float(match.group(4)) * _UNITS[match.group(5)]))
        return True

    @property
    def downloaded(self) -> int:
        return max(self.bytes_received, self.bytes_on_disk)

    def estimated_total(self) -> int:
        """Bytes received so far, extrapolated by the share of objects received (equal-size objects assumed)."""
        if self.objects_total and self.objects_received:
            share = self.objects_received / self.objects_total
            if share >= 0.02:
                return max(self.downloaded, int(self.downloaded / share))
        return self.downloaded


@dataclass(frozen=True)
class FetchResult:
    over_limit: bool
    progress: FetchProgress
    seconds: float


def directory_size(path: Path) -> int:
    """Bytes of regular files under `path`, not following symlinks (files may vanish meanwhile)."""
    total = 0
    stack = [path]
    while stack:
        current = stack.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False):
                    total += entry.stat(follow_symlinks=False).st_size
            except OSError:
                continue
    return total


def guarded_fetch(
    session: GitSession,
    *,
    git_dir: Path,
    url: str,
    branch: str,
    limit_bytes: int,
    timeout: float,
    depth: int | None = None,
    on_progress: Callable[[FetchProgress], None] | None = None,
    poll_seconds: float = 0.05,
) -> FetchResult:
    """Fetch `branch` into `git_dir` (a bare repository), killing git as soon as the object directory or
    the bytes git reports receiving pass `limit_bytes`. At most about one poll interval of transfer
    (50 ms) is written beyond the limit. Raises GitError on failures other than the limit."""
    args = ["--git-dir", str(git_dir), "fetch", "--progress", "--no-tags", "--no-write-fetch-head"]
    if depth is not None:
        args.append(f"--depth={depth}")
    args += ["--", url, f"+refs/heads/{branch}:refs/heads/{branch}"]
    progress = FetchProgress(bytes_on_disk=0)
    objects_dir = git_dir / "objects"
    baseline = directory_size(objects_dir)
    process = subprocess.Popen(  # noqa: S603 - fixed executable, no shell
        session.command(*args),
        env=session.env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    assert process.stderr is not None
    captured: list[str] = []
    lock = threading.Lock()

    def read_stderr() -> None:
        assert process.stderr is not None
        pending = b""
        while chunk := process.stderr.read1(4096):  # type: ignore[attr-defined]
            pending += chunk
            *lines, pending = re.split(rb"[\r\n]", pending)
            with lock:
                for raw in lines:
                    line = raw.decode("utf-8", "replace")
                    if not progress.observe(line):
                        captured.append(line)
        if pending:
            with lock:
                captured.append(pending.decode("utf-8", "replace"))

    reader = threading.Thread(target=read_stderr, name="git-fetch-stderr", daemon=True)
    reader.start()
    started = time.monotonic()
    over_limit = timed_out = False
    while process.poll() is None:
        time.sleep(poll_seconds)
        grown = directory_size(objects_dir) - baseline
        with lock:
            progress.bytes_on_disk = max(progress.bytes_on_disk, grown)
            total_now = baseline + progress.downloaded
        if on_progress is not None:
            on_progress(progress)
        if total_now > limit_bytes:
            over_limit = True
            _kill(process)
            break
        if time.monotonic() - started > timeout:
            timed_out = True
            _kill(process)
            break
    process.wait()
    reader.join(timeout=5)
    seconds = time.monotonic() - started
    if over_limit:
        return FetchResult(True, progress, seconds)
    if timed_out:
        raise GitError(GitFailure(FailureKind.TIMEOUT, f"git fetch timed out after {timeout:.0f} s"))
    if process.returncode != 0:
        stderr = "\n".join(captured)
        raise GitError(GitFailure(classify_failure(stderr), summarize_stderr(stderr, session.credentials)))
    # The final size on disk: what the clone really occupies (the poll may have missed the last bytes).
    progress.bytes_on_disk = max(progress.bytes_on_disk, directory_size(objects_dir) - baseline)
    return FetchResult(baseline + progress.downloaded > limit_bytes, progress, seconds)


def _kill(process: subprocess.Popen[bytes]) -> None:
    # git runs git-remote-https and index-pack as children: end the whole process group.
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


# ---------------------------------------------------------------- tree inspection


@dataclass(frozen=True)
class TreeSummary:
    files: int
    bytes: int
    symlinks: int


def summarize_tree(session: GitSession, *, git_dir: Path, commit: str, timeout: float) -> TreeSummary:
    """Files, total bytes and symlinks a checkout of `commit` would write, read from the object store."""
    out = session.run(
        "--git-dir", str(git_dir), "ls-tree", "-r", "-l", "-z", "--full-tree", commit, timeout=timeout
    ).stdout
    files = size = links = 0
    for entry in out.split("\0"):
        if not entry:
            continue
        meta, _, _path = entry.partition("\t")
        mode, kind, _sha, object_size = meta.split(maxsplit=3)
        if kind != "blob":
            continue  # submodules (commit entries) are never fetched
        files += 1
        if mode == "120000":
            links += 1
        size += int(object_size) if object_size.strip().isdigit() else 0
    return TreeSummary(files, size, links)
