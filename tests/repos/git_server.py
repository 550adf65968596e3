"""A real Git server over HTTP for tests and bench/size_check.py: `git http-backend` (CGI) behind a small
threaded HTTP server that demands Basic auth, plus a stand-in for the GitHub REST API's repository endpoint.

    server = GitHttpServer(root, tokens={"x-access-token": "ghp_..."})
    with server:
        url = f"{server.url}/acme/app.git"

Repositories are bare repositories under `root` (`root/acme/app.git`). `bytes_sent` counts every body byte
written to clients (what a client downloaded, or at least had sent to it).
"""

from __future__ import annotations

import base64
import json
import os
import random
import shutil
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

GIT_HTTP_BACKEND = (
    Path(subprocess.run(["git", "--exec-path"], capture_output=True, text=True, check=True).stdout.strip())
    / "git-http-backend"
)

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def git(*args: str, cwd: Path | None = None) -> str:
    env = {**os.environ, **GIT_ENV}
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr}")
    return done.stdout


class RepoBuilder:
    """A working repository that pushes to a bare one served by the server."""

    def __init__(self, work: Path, bare: Path) -> None:
        self.work, self.bare = work, bare

    @classmethod
    def create(cls, root: Path, name: str, files: dict[str, str | bytes], *, scratch: Path) -> RepoBuilder:
        work = scratch / name.replace("/", "__")
        work.mkdir(parents=True)
        git("init", "-q", "-b", "main", str(work))
        builder = cls(work, root / f"{name}.git")
        builder.commit(files, "initial")
        builder.bare.parent.mkdir(parents=True, exist_ok=True)
        git("clone", "-q", "--bare", str(work), str(builder.bare))
        git("--git-dir", str(builder.bare), "config", "http.receivepack", "false")
        return builder

    def commit(self, files: dict[str, str | bytes], message: str, *, symlinks: dict[str, str] | None = None) -> str:
        for relative, content in files.items():
            path = self.work / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content.encode() if isinstance(content, str) else content)
        for relative, target in (symlinks or {}).items():
            (self.work / relative).symlink_to(target)
        git("add", "-A", cwd=self.work)
        git("commit", "-q", "-m", message, cwd=self.work)
        return git("rev-parse", "HEAD", cwd=self.work).strip()

    def push(self) -> str:
        git("push", "-q", str(self.bare), "main", cwd=self.work)
        return git("--git-dir", str(self.bare), "rev-parse", "main").strip()


def random_blobs(count: int, size: int, *, seed: int = 7) -> dict[str, bytes]:
    """Incompressible files: git cannot shrink them, so the pack is as big as their sum."""
    rng = random.Random(seed)
    return {f"data/blob_{i:03d}.bin": rng.randbytes(size) for i in range(count)}


class GitHttpServer:
    def __init__(
        self,
        root: Path,
        *,
        tokens: dict[str, str] | None = None,
        api_sizes_kib: dict[str, int] | None = None,
    ) -> None:
        """`tokens`: accepted user name -> password; the user name "*" accepts any user with that password.
        `api_sizes_kib`: "owner/name" -> size for GET /api/repos/owner/name (GitHub's `size`, in KiB)."""
        self.root = root
        self.tokens = tokens or {}
        self.api_sizes_kib = api_sizes_kib or {}
        self.bytes_sent = 0
        self.requests: list[dict[str, Any]] = []
        self.fail_next = 0  # answer this many upcoming git requests with 503 (transient failures)
        self.delay_seconds = 0.0  # wait before answering each git request (to watch git while it runs)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def netloc(self) -> str:
        return self.url.removeprefix("http://")

    def __enter__(self) -> GitHttpServer:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="git-http", daemon=True).start()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def reset_counters(self) -> None:
        with self._lock:
            self.bytes_sent = 0
            self.requests.clear()

    def count(self, sent: int) -> None:
        with self._lock:
            self.bytes_sent += sent

    def authorized(self, header: str | None) -> str | None:
        if not header or not header.startswith("Basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return None
        expected = self.tokens.get(user, self.tokens.get("*"))
        return user if expected is not None and expected == password else None


def _handler_for(server: GitHttpServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            self._dispatch()

        def do_POST(self) -> None:
            self._dispatch()

        def _dispatch(self) -> None:
            path, _, query = self.path.partition("?")
            record = {"method": self.command, "path": path, "authorization": self.headers.get("Authorization")}
            server.requests.append(record)
            if path.startswith("/api/"):
                return self._api(path)
            if server.fail_next > 0:
                server.fail_next -= 1
                return self._reply(503, b"temporarily unavailable\n")
            if server.tokens:
                user = server.authorized(self.headers.get("Authorization"))
                if user is None:
                    return self._reply(401, b"Authentication required\n", {"WWW-Authenticate": 'Basic realm="git"'})
                record["user"] = user
            self._cgi(path, query)

        def _api(self, path: str) -> None:
            # GitHub REST stand-in: GET /api/repos/{owner}/{repo}; Bearer token like api.github.com accepts.
            name = path.removeprefix("/api/repos/")
            auth = self.headers.get("Authorization", "")
            if server.tokens and auth.removeprefix("Bearer ") not in server.tokens.values():
                return self._reply(401, json.dumps({"message": "Bad credentials"}).encode())
            if name not in server.api_sizes_kib:
                return self._reply(404, json.dumps({"message": "Not Found"}).encode())
            body = json.dumps({"full_name": name, "size": server.api_sizes_kib[name], "private": True})
            self._reply(200, body.encode(), {"Content-Type": "application/json"})

        def _reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _request_body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.rfile.readline().strip().split(b";")[0], 16)
                    if size == 0:
                        self.rfile.readline()
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _cgi(self, path: str, query: str) -> None:
            body = self._request_body() if self.command == "POST" else b""
            if server.delay_seconds:
                time.sleep(server.delay_seconds)
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "GIT_PROJECT_ROOT": str(server.root),
                "GIT_HTTP_EXPORT_ALL": "1",
                "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_CONFIG_GLOBAL": os.devnull,
                "REQUEST_METHOD": self.command,
                "PATH_INFO": path,
                "QUERY_STRING": query,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(len(body)),
                "REMOTE_USER": "test",
                "REMOTE_ADDR": "127.0.0.1",
            }
            for header in ("Content-Encoding", "Git-Protocol"):
                if self.headers.get(header):
                    env["HTTP_" + header.upper().replace("-", "_")] = self.headers[header]
            process = subprocess.Popen(
                [str(GIT_HTTP_BACKEND)],
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            assert process.stdin is not None and process.stdout is not None
            threading.Thread(target=_feed, args=(process.stdin, body), daemon=True).start()
            status, headers = 200, []
            while True:
                line = process.stdout.readline().decode("latin-1").rstrip("\r\n")
                if not line:
                    break
                key, _, value = line.partition(":")
                if key.lower() == "status":
                    status = int(value.strip().split()[0])
                else:
                    headers.append((key, value.strip()))
            try:
                self.send_response(status)
                for key, value in headers:
                    self.send_header(key, value)
                self.send_header("Connection", "close")
                self.end_headers()
                while chunk := process.stdout.read1(65536):  # type: ignore[attr-defined]
                    self.wfile.write(chunk)
                    server.count(len(chunk))
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client went away (e.g. killed for passing the size limit)
            finally:
                process.kill()
                process.wait()
                self.close_connection = True

    return Handler


def _feed(stdin: Any, body: bytes) -> None:
    try:
        stdin.write(body)
        stdin.close()
    except (BrokenPipeError, OSError):
        pass


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
