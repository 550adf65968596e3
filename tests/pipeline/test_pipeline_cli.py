"""`trellis pipeline run` as a user runs it: a real process on a small real git repository, offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from trellis.planning.types import PROMPT_CATEGORIES, Plan

SOURCE = '''"""Orders: create and cancel."""

from dataclasses import dataclass


@dataclass
class Order:
    id: int
    customer: str
    total_cents: int
    status: str = "open"


def create_order(orders, customer, total_cents):
    """Create an order; the total must be positive."""
    if total_cents <= 0:
        raise ValueError("total must be positive")
    order = Order(len(orders) + 1, customer, total_cents)
    orders.append(order)
    return order


def cancel_order(order):
    """Cancel an open order."""
    if order.status != "open":
        raise ValueError("only open orders can be cancelled")
    order.status = "cancelled"
'''
TESTS = """from shop.orders import cancel_order, create_order


def test_cancel_an_open_order():
    order = create_order([], "ann", 100)
    cancel_order(order)
    assert order.status == "cancelled"
"""
REQUIREMENTS = """# Shop

- REQ-1: A customer creates an order with a positive total.
  - Acceptance criteria: Given a total of 0, when the customer creates an order, then it is rejected with an error.
- REQ-2: A customer cancels an open order.
  - Acceptance criteria: Given an open order, when the customer cancels it, then its status is cancelled.
- REQ-3: Customers export their orders as CSV with the columns id, customer and total. (depends on: REQ-1)
  - Acceptance criteria: Given two orders, when the customer exports them, then the CSV has a header and two rows.
- REQ-4: Orders older than 30 days are archived to storage TBD.
"""


def make_repository(root: Path) -> Path:
    repo = root / "shop-repo"
    (repo / "shop").mkdir(parents=True)
    (repo / "tests").mkdir()
    (repo / "shop" / "__init__.py").write_text("")
    (repo / "shop" / "orders.py").write_text(SOURCE)
    (repo / "tests" / "test_orders.py").write_text(TESTS)
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@e",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@e",
    }
    for command in (["git", "init", "-q"], ["git", "add", "."], ["git", "commit", "-qm", "shop"]):
        subprocess.run(command, cwd=repo, check=True, env=env)
    return repo


def run(*args: str) -> subprocess.CompletedProcess[str]:
    # No network is needed: the environment points every proxy at a closed port to prove it.
    env = {**os.environ, "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
    return subprocess.run(
        [str(Path(sys.executable).parent / "trellis"), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def planned(tmp_path: Path, repo: Path, requirements_text: str) -> tuple[Path, dict[str, Any]]:
    """`trellis pipeline run` on these requirements: the output folder and the plan's tasks by key."""
    requirements = tmp_path / "requirements.md"
    requirements.write_text(requirements_text)
    out = tmp_path / "out"
    result = run("pipeline", "run", "--requirements", str(requirements), "--repo", str(repo), "--out", str(out))
    assert result.returncode == 0, result.stderr
    plan = Plan.from_dict(json.loads((out / "plan.json").read_text()))
    return out, {t.key: t for t in plan.tasks}


def test_pipeline_writes_report_plan_tasks_and_prompts(tmp_path: Path) -> None:
    repo = make_repository(tmp_path)
    requirements = tmp_path / "requirements.md"
    requirements.write_text(REQUIREMENTS)
    out = tmp_path / "out"
    result = run(
        "pipeline",
        "run",
        "--requirements",
        str(requirements),
        "--repo",
        str(repo),
        "--out",
        str(out),
        "--title",
        "Shop",
    )
    assert result.returncode == 0, result.stderr
    assert "4 requirements" in result.stdout and "prompts (tokens counted with cl100k_base)" in result.stdout

    plan = Plan.from_dict(json.loads((out / "plan.json").read_text()))
    by_key = {t.key: t for t in plan.tasks}
    # Implemented requirements give verification tasks; missing ones build tasks; REQ-3 comes after REQ-1's task.
    assert by_key["verify:REQ-2"].kind == "verify" and by_key["build:REQ-3"].kind == "build"
    assert any(f.path == "shop/orders.py" for f in by_key["verify:REQ-2"].files)

    report = (out / "report.md").read_text()
    assert report.startswith("# Trellis pipeline report: Shop")
    # The TBD is an open question, listed and not answered.
    assert "## Open questions" in report and "What should replace “TBD” in REQ-4?" in report
    assert "## Code validation" in report and "| REQ-2 | implemented |" in report
    assert "## Plan" in report and "## Findings" in report

    tasks = (out / "tasks.md").read_text()
    for task in plan.tasks:
        assert f"**{task.id}** {task.title}" in tasks
        for category in PROMPT_CATEGORIES:
            prompt = (out / "prompts" / task.id / f"{category}.md").read_text()
            assert task.id in prompt and "## Definition of Done" in prompt
    cancel = (out / "prompts" / by_key["verify:REQ-2"].id / "review.md").read_text()
    assert (
        "REQ-2 criterion met: Given an open order, when the customer cancels it, then its status is cancelled."
        in cancel
    )
    assert '    if order.status != "open":' in cancel  # the code as it is in the repository

    # A prompt left by an earlier run for a task this plan does not have is removed; other files are not touched.
    (out / "prompts" / "T-999").mkdir()
    (out / "prompts" / "T-999" / "testing.md").write_text("stale")
    (out / "notes.txt").write_text("mine")
    rerun = run("pipeline", "run", "--requirements", str(requirements), "--repo", str(repo), "--out", str(out))
    assert rerun.returncode == 0 and not (out / "prompts" / "T-999").exists() and (out / "notes.txt").exists()

    # Same inputs, same seed: the same plan.
    again = run(
        "pipeline",
        "run",
        "--requirements",
        str(requirements),
        "--repo",
        str(repo),
        "--out",
        str(tmp_path / "again"),
        "--title",
        "Shop",
    )
    assert again.returncode == 0 and (tmp_path / "again" / "plan.json").read_text() == (out / "plan.json").read_text()


def test_pipeline_refuses_bad_input_clearly(tmp_path: Path) -> None:
    repo = make_repository(tmp_path)
    missing = run(
        "pipeline",
        "run",
        "--requirements",
        str(tmp_path / "nope.md"),
        "--repo",
        str(repo),
        "--out",
        str(tmp_path / "o"),
    )
    assert missing.returncode == 2 and "cannot read" in missing.stderr and not (tmp_path / "o").exists()
    cyclic = tmp_path / "cyclic.md"
    cyclic.write_text("- A-1: Users log in. (depends on: A-2)\n- A-2: Users log out. (depends on: A-1)\n")
    refused = run("pipeline", "run", "--requirements", str(cyclic), "--repo", str(repo), "--out", str(tmp_path / "o"))
    assert refused.returncode == 2 and "cycle" in refused.stderr.lower() and not (tmp_path / "o").exists()


LIMITER = '''"""A fixed-window rate limiter: at most `calls` permits per `period` seconds."""

import time


class RateLimited(Exception):
    """Raised when a call exceeds the limit; `retry_after` says how long to wait."""

    def __init__(self, retry_after):
        super().__init__(f"rate limited, retry after {retry_after:.2f}s")
        self.retry_after = retry_after


class Limiter:
    """Allow at most `calls` permits in each window of `period` seconds."""

    def __init__(self, calls, period):
        self.calls, self.period = calls, period
        self.window_start, self.used = time.monotonic(), 0

    def acquire(self):
        """Take one permit or raise RateLimited with the time left in the window."""
        now = time.monotonic()
        if now - self.window_start >= self.period:
            self.window_start, self.used = now, 0
        if self.used >= self.calls:
            raise RateLimited(self.period - (now - self.window_start))
        self.used += 1
'''
LIMITER_REQUIREMENTS = """# ratekit

## RK-1: Fixed window
The limiter shall allow at most the configured number of calls per period and raise RateLimited for the next call.
- Priority: must
- Acceptance: Given a limiter of 2 calls per 60 seconds, when a third call is made, then RateLimited is raised.

## RK-2: Fast acquire
Acquiring a permit from the limiter shall take less than 2 microseconds when permits are available.
- Priority: should
- Depends on: RK-1
- Acceptance: Given a limiter of 1000000 calls per second, when acquire() is called 100000 times,
  then the median time per call is below 2 microseconds.

## RK-3: Friendlier errors
Rate limit errors should be more helpful and intuitive.
- Priority: could
"""


def test_a_performance_target_is_measured_and_a_vague_requirement_is_researched_first(tmp_path: Path) -> None:
    repo = tmp_path / "ratekit-repo"
    (repo / "ratekit").mkdir(parents=True)
    (repo / "ratekit" / "__init__.py").write_text("from ratekit.limiter import Limiter, RateLimited\n")
    (repo / "ratekit" / "limiter.py").write_text(LIMITER)
    out, by_key = planned(tmp_path, repo, LIMITER_REQUIREMENTS)

    # The performance requirement: a benchmark named after its title, the existing code only read, no module
    # named after the requirement's words, and a DoD Trellis can check without pretending to read speed from code.
    measure = by_key["build:RK-2"]
    assert measure.quality == "performance" and measure.title.startswith("Measure and meet RK-2:")
    assert (measure.files[0].path, measure.files[0].action) == ("benchmarks/bench_acquire.py", "create")
    assert all(f.action == "reference" and (repo / f.path).is_file() for f in measure.files[1:])
    checks = [d.check for d in measure.dod if d.checkable]
    assert "file_exists:benchmarks/bench_acquire.py" in checks and "implemented:RK-2" not in checks
    prompt = (out / "prompts" / measure.id / "implementation.md").read_text()
    assert prompt.count("Acquiring a permit from the limiter shall take less than 2 microseconds") == 1
    assert "Run it before changing any code" in prompt and "`benchmarks/bench_acquire.py`" in prompt
    assert "Record what task" in (out / "prompts" / measure.id / "documentation.md").read_text()

    # The vague requirement: its questions are answered first, it is not groundwork, no file is named after it.
    research, build = by_key["research:RK-3"], by_key["build:RK-3"]
    assert build.depends_on == (research.id,) and build.phase != "foundation"
    assert not [f for f in build.files if f.action == "create" and not f.path.startswith("tests/")]
    assert "Read the answers " + research.id in (out / "prompts" / build.id / "implementation.md").read_text()

    report = (out / "report.md").read_text()
    assert "Given the system is running" not in report and "described situation" not in report
    assert "How will RK-3 be tested? As written it cannot be: “more”, “helpful”, “intuitive” have no measure." in report


RETRY_SOURCE = '''"""Retry a call."""


def retry(call, attempts=3):
    """Call `call` up to `attempts` times; re-raise the last error."""
    for attempt in range(attempts):
        try:
            return call()
        except Exception:
            if attempt == attempts - 1:
                raise
'''
RETRY_REQUIREMENTS = """# retrykit

## RET-7: Circuit breaker
The library shall provide a circuit breaker that opens after 5 consecutive failures and rejects calls for 30 seconds.
- Acceptance: Given 5 failed calls, when a sixth call is made, then CircuitOpen is raised.

## RET-9: Command line retries
The CLI shall offer a --retries option.
- Acceptance: Given `retrykit --retries 2 cmd`, when cmd fails, then it runs 3 times.

## RET-10
The library shall provide a timeout for each attempt.
- Acceptance: Given a timeout of 1 second, when an attempt takes 2 seconds, then it is cancelled.
"""


def test_heading_titles_name_the_tasks_and_the_documentation_task_names_the_repository_docs(tmp_path: Path) -> None:
    repo = tmp_path / "retrykit-repo"
    (repo / "retrykit").mkdir(parents=True)
    (repo / "retrykit" / "retry.py").write_text(RETRY_SOURCE)
    (repo / "README.md").write_text("# retrykit\n\nRetry helpers.\n\n## Command line\n\nRun `retrykit cmd`.\n")
    (repo / "CHANGELOG.md").write_text("# Changelog\n")
    (repo / "docs").mkdir()
    (repo / "docs" / "timeouts.md").write_text("# Timeouts\n\nHow long a call may take.\n")
    out, by_key = planned(tmp_path, repo, RETRY_REQUIREMENTS)

    # The heading's title names the task, not the first words of its body; an untitled one gets a short title.
    breaker = by_key["build:RET-7"]
    assert breaker.title == "Implement RET-7: Circuit breaker"
    assert by_key["build:RET-10"].title == "Implement RET-10: The library shall provide a timeout for each attempt"
    assert breaker.requirements[0].text.startswith("The library shall provide a circuit breaker")
    tasks = (out / "tasks.md").read_text()
    assert f"**{breaker.id}** Implement RET-7: Circuit breaker (" in tasks and "RET-7 v1 (Circuit breaker)" in tasks
    report = (out / "report.md").read_text()
    assert "| RET-7: Circuit breaker | missing |" in report
    assert f"- {breaker.id} Implement RET-7: Circuit breaker (implementation, RET-7)" in report
    prompt = (out / "prompts" / breaker.id / "implementation.md").read_text()
    assert "### RET-7: Circuit breaker (version 1)\nThe library shall provide a circuit breaker" in prompt

    # The documentation task changes the README section and docs page that cover its requirements, creates a page
    # for the one nothing covers, and adds a changelog entry.
    docs = by_key["docs"]
    assert [(f.path, f.action) for f in docs.files] == [
        ("README.md", "modify"),
        ("docs/timeouts.md", "modify"),
        ("docs/circuit_breaker.md", "create"),
        ("CHANGELOG.md", "modify"),
    ]
    prompt = (out / "prompts" / docs.id / "documentation.md").read_text()
    assert "Write it in the files listed under Files" in prompt
    assert "- `docs/circuit_breaker.md` (create): no page in the docs covers RET-7 (Circuit breaker) yet" in prompt
    assert "- `README.md` (modify, lines 5-7): section 'Command line' covers RET-9 (Command line retries)" in prompt
