"""HTTP latency and throughput of Trellis against a bare FastAPI app (bench/bare_app.py).

    .venv/bin/python bench/api_latency.py --duration 10 [--connections 32] [--generator wrk|python] [--json]

Starts both servers on free 127.0.0.1 ports (or uses `--url` for Trellis), loads each endpoint with
wrk when it is on PATH (else a small asyncio generator), and prints requests/s, p50/p95/p99 and errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

BENCH_DIR = Path(__file__).resolve().parent

# wrk's own summary prints only 50/75/90/99; this hook reports the percentiles we want, in microseconds.
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH {"requests": %d, "duration_us": %d, "errors": %d, '
    .. '"p50_us": %d, "p95_us": %d, "p99_us": %d}\\n', summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


class BenchError(Exception):
    pass


class StartupError(BenchError):
    """A server did not come up; its log (in the temporary directory) is kept for reading."""


@dataclass
class Result:
    server: str
    endpoint: str
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def startup_failure(reason: str, log: Path) -> StartupError:
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
    return StartupError(f"{reason}; server log: {log}\n--- last lines ---\n{tail}")


@contextmanager
def server(name: str, argv: list[str], env: dict[str, str], ready_url: str, log: Path) -> Iterator[None]:
    """Run one server process until the block ends (normally, on error or on Ctrl-C)."""
    with log.open("wb") as out:
        # Own session: a terminal Ctrl-C reaches only us, and we stop the servers in order below.
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise startup_failure(f"{name} exited with code {proc.returncode} during start-up", log)
            with suppress(httpx.HTTPError):
                if httpx.get(ready_url, timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise startup_failure(f"{name} did not answer 200 at {ready_url} within 60 s", log)
            time.sleep(0.2)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_wrk(
    url: str, seconds: float, connections: int, script: Path, headers: dict[str, str]
) -> tuple[int, float, int, list[float]]:
    argv = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{max(1, round(seconds))}s"]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    argv += ["-s", str(script), url]
    done = subprocess.run(argv, capture_output=True, text=True)
    line = next((line for line in done.stdout.splitlines() if line.startswith("BENCH ")), None)
    if done.returncode != 0 or line is None:
        raise BenchError(f"wrk failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")
    data = json.loads(line.removeprefix("BENCH "))
    percentiles = [data[key] / 1000 for key in ("p50_us", "p95_us", "p99_us")]
    return data["requests"], data["duration_us"] / 1e6, data["errors"], percentiles


async def _python_load(
    url: str, seconds: float, connections: int, warmup: float, headers: dict[str, str]
) -> tuple[int, float, int, list[float]]:
    """Keep-alive GETs over raw asyncio streams, one connection per worker.

    Not httpx: on this class of machine its AsyncClient tops out at a few hundred requests/s (below
    either server), so its figures would measure the client. This loop is ~10x lighter.
    """
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname is None:
        raise BenchError(f"the python generator speaks plain http:// only, not {url}")
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    request = f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n{extra}\r\n".encode()
    latencies: list[float] = []
    errors = 0
    began = time.perf_counter()
    measure_from, deadline = began + warmup, began + warmup + seconds

    async def worker() -> None:
        nonlocal errors
        reader: asyncio.StreamReader | None = None
        writer: asyncio.StreamWriter | None = None
        while (started := time.perf_counter()) < deadline:
            try:
                if reader is None or writer is None:
                    reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (int(h[15:]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length:")),
                    None,
                )
                if length is None:  # both servers send JSON with a length; chunked bodies are not expected
                    raise BenchError(f"{url} answered without Content-Length")
                await reader.readexactly(length)
                ok = head[9:10] == b"2"  # "HTTP/1.1 2xx"
            except (OSError, EOFError, ValueError, asyncio.LimitOverrunError):
                ok = False
                if writer is not None:
                    writer.close()
                reader = writer = None
            if started >= measure_from:  # warm-up requests are sent but not counted
                latencies.append(time.perf_counter() - started)
                errors += not ok
        if writer is not None:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - measure_from
    if not latencies:
        raise BenchError(f"no request to {url} completed")
    latencies.sort()
    pick = [latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 for q in (0.50, 0.95, 0.99)]
    return len(latencies), elapsed, errors, pick


def measure(
    server_name: str, endpoint: str, url: str, args: argparse.Namespace, script: Path, headers: dict[str, str]
) -> Result:
    if args.generator == "wrk":
        if args.warmup > 0:  # a separate wrk run whose figures are thrown away
            run_wrk(url, args.warmup, args.connections, script, headers)
        count, elapsed, errors, (p50, p95, p99) = run_wrk(url, args.duration, args.connections, script, headers)
    else:
        count, elapsed, errors, (p50, p95, p99) = asyncio.run(
            _python_load(url, args.duration, args.connections, args.warmup, headers)
        )
    return Result(server_name, endpoint, count / elapsed, p50, p95, p99, errors)


def create_job(env: dict[str, str], base_url: str) -> tuple[str, str]:
    """Insert one job row and an administrator's API token through Trellis's own code, in this process.

    Job reads are for administrators, so the measured read is authenticated like a real one:
    token lookup, per-request authorization, then the job row.
    """
    os.environ.update(env)  # same TRELLIS_* settings as the server we started
    from trellis.auth import service as auth_service
    from trellis.core.config import load_settings
    from trellis.core.runtime import build_runtime

    runtime = build_runtime(load_settings())
    try:
        with runtime.database.session_factory() as session:
            user = auth_service.create_user(
                session, email=f"bench-{uuid.uuid4().hex[:8]}@example.com", password=None, is_admin=True
            )
            _, token = auth_service.create_api_token(
                session, user_id=user.id, name="bench", scope="read", expires_in_days=1
            )
            session.commit()
        # No handler exists, so the server's worker fails it at once; it stays readable. This process
        # never calls start_processing(): it only writes the row and sends the id to the transport.
        job_id = str(runtime.jobs.enqueue("bench.noop", {"n": 1}))
    finally:
        runtime.close()
    headers = {"Authorization": f"Bearer {token}"}
    # Wait for the worker to settle the row, so no writes happen during the measured reads.
    for _ in range(50):
        status = httpx.get(f"{base_url}/api/v1/jobs/{job_id}", headers=headers).json().get("status")
        if status in ("failed", "completed"):
            break
        time.sleep(0.2)
    else:
        print(f"note: job {job_id} is not finished (no worker running?); reading it anyway")
    return job_id, token


def uvicorn_defaults() -> str:
    import importlib.util

    import uvicorn

    # uvicorn's "auto" picks uvloop and httptools when importable; both servers use this interpreter.
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return f"uvicorn {uvicorn.__version__}, loop={loop}, http={http} (defaults, same for both servers)"


def print_report(results: list[Result], meta: dict[str, object], as_json: bool) -> None:
    for key, value in meta.items():
        print(f"{key + ':':<14}{value}")
    print(f"\n{'server':<9}{'endpoint':<10}{'req/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for r in results:
        print(
            f"{r.server:<9}{r.endpoint:<10}{r.rps:>10.1f}{r.p50_ms:>9.2f}{r.p95_ms:>9.2f}{r.p99_ms:>9.2f}{r.errors:>8}"
        )
    by_key = {(r.server, r.endpoint): r for r in results}
    print()
    for endpoint in dict.fromkeys(r.endpoint for r in results):
        trellis, bare = by_key.get(("trellis", endpoint)), by_key.get(("bare", endpoint))
        if trellis and bare:
            print(
                f"{endpoint}: Trellis/bare throughput ratio {trellis.rps / bare.rps:.2f}, "
                f"p50 latency ratio {trellis.p50_ms / bare.p50_ms:.2f}"
            )
    if as_json:
        rows = [{k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(r).items()} for r in results]
        print(json.dumps({"meta": meta, "results": rows}, indent=2))


def run(args: argparse.Namespace, tmp: Path) -> None:
    script = tmp / "report.lua"
    script.write_text(WRK_SCRIPT)
    env = {
        **os.environ,
        "TRELLIS_DATA_DIR": str(tmp / "data"),
        # Per-request log lines would measure the log sink (here a file) more than the API.
        "TRELLIS_LOG_LEVEL": os.environ.get("TRELLIS_LOG_LEVEL", "WARNING"),
        # One client address and one user send everything: the limits would measure themselves.
        "TRELLIS_RATE_LIMIT_PER_IP": "0",
        "TRELLIS_RATE_LIMIT_PER_USER": "0",
    }
    bare_port = free_port()
    bare_argv = [sys.executable, "-m", "uvicorn", "bare_app:app", "--app-dir", str(BENCH_DIR)]
    bare_argv += ["--host", "127.0.0.1", "--port", str(bare_port)]
    bare_argv += ["--no-access-log", "--log-level", "warning"]  # quiet, like Trellis at WARNING
    bare_url = f"http://127.0.0.1:{bare_port}"
    with server("bare app", bare_argv, env, f"{bare_url}/api/v1/health", tmp / "bare.log"):
        if args.url:
            base_url, job_id = args.url.rstrip("/"), args.job_id
            trellis_ctx: AbstractContextManager[object] = nullcontext()
        else:
            port = free_port()
            base_url = f"http://127.0.0.1:{port}"
            trellis_argv = [sys.executable, "-c", "from trellis.cli import main; main()", "serve"]
            trellis_argv += ["--host", "127.0.0.1", "--port", str(port)]
            print(
                f"starting Trellis with TRELLIS_LOG_LEVEL={env['TRELLIS_LOG_LEVEL']} "
                f"(per-request access log off), data dir {env['TRELLIS_DATA_DIR']}"
            )
            trellis_ctx = server("Trellis", trellis_argv, env, f"{base_url}/ready", tmp / "trellis.log")
        with trellis_ctx:
            try:
                mode = httpx.get(f"{base_url}/api/v1/health", timeout=5).raise_for_status().json()["mode"]
            except (httpx.HTTPError, ValueError, KeyError) as exc:
                raise BenchError(f"no Trellis health JSON at {base_url}/api/v1/health: {exc}") from None
            token = args.token
            if not args.url:
                job_id, token = create_job(env, base_url)
            elif job_id is None or token is None:
                job_id = None
                print("no --job-id/--token given: skipping the database-backed endpoint GET /api/v1/jobs/<id>")
            endpoints = {"health": "/api/v1/health"}
            if job_id:
                endpoints["job"] = f"/api/v1/jobs/{job_id}"
            results = []
            for endpoint, path in endpoints.items():
                for name, url in (("trellis", base_url), ("bare", bare_url)):
                    print(
                        f"  {name} {path}: {args.warmup:g} s warm-up, {args.duration:g} s measured ...",
                        flush=True,
                    )
                    # Both servers get the same header; the bare app ignores it.
                    auth = {"Authorization": f"Bearer {token}"} if token and endpoint == "job" else {}
                    results.append(measure(name, endpoint, url + path, args, script, auth))
    meta: dict[str, object] = {
        "trellis": base_url + ("" if args.url else " (started here)"),
        "mode": mode,
        "generator": f"{args.generator}, {args.connections} connections",
        "per run": f"{args.warmup:g} s warm-up (not counted) + {args.duration:g} s measured",
        "server": uvicorn_defaults(),
        "cpus": os.cpu_count(),
        "python": f"{platform.python_version()} ({platform.python_implementation()})",
    }
    print()
    print_report(results, meta, args.json)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per run (default 10)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections (default 32)")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before each run (default 2)")
    parser.add_argument("--url", help="benchmark this running Trellis instead of starting one")
    parser.add_argument("--job-id", help="with --url: an existing job id for the database-backed endpoint")
    parser.add_argument("--token", help="with --url: an administrator's API token to read that job")
    parser.add_argument("--generator", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--json", action="store_true", help="also print the results as JSON")
    args = parser.parse_args()
    if args.generator == "auto":
        args.generator = "wrk" if shutil.which("wrk") else "python"
    note = "" if args.generator == "wrk" else " (asyncio; it shares the CPUs with the servers, wrk is lighter)"
    print(f"load generator: {args.generator}{note}")
    # SIGTERM normally kills Python without running `finally`; turn it into an exit so servers are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    tmp = Path(tempfile.mkdtemp(prefix="trellis-bench-"))
    keep = False
    try:
        run(args, tmp)
    except BenchError as exc:
        keep = isinstance(exc, StartupError)
        sys.exit(f"error: {exc}" + (f"\n(temporary files kept in {tmp})" if keep else ""))
    except KeyboardInterrupt:
        print("\ninterrupted; servers stopped", file=sys.stderr)
        sys.exit(130)
    finally:
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
