"""Seed 001's repository metrics, in the process-wide Prometheus registry served at `/metrics`.

`encryption_operations_total` (seed 001 as well) is counted by trellis.core.crypto for every seal/open.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

REPO_CONNECTIONS = Counter(
    "repo_connections_total",
    "Repository connection attempts, by outcome (connected, too_large, auth_failed, ...) and project.",
    ["status", "project_id"],
)
REPO_CLONE_DURATION = Histogram(
    "repo_clone_duration_seconds",
    "Wall time of clone and sync jobs, by outcome and size category (small < 10 MB, medium < 50 MB, large).",
    ["status", "size_category"],
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)
GIT_SIZE_CHECK_DURATION = Histogram(
    "git_size_check_duration_seconds",
    "Time of the size pre-check of POST /code/connect, by outcome.",
    ["outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
SANDBOX_DISK_USAGE = Gauge(
    "sandbox_disk_usage_bytes", "Bytes under SANDBOX_BASE_PATH, measured after each clone and cleanup.", ["worker_id"]
)
PROJECTS_WITH_REPOS = Gauge("projects_with_repos_total", "Projects with at least one connected repository.")
OVERSIZED_REPO_REJECTIONS = Counter(
    "oversized_repo_rejections_total", "Repositories refused for size, at connect or during the clone."
)


def size_category(size_mb: float | None) -> str:
    if size_mb is None:
        return "unknown"
    return "small" if size_mb < 10 else "medium" if size_mb < 50 else "large"
