"""Throughput of the requirements analyzer (trellis.requirements.analysis) on one core.

    .venv/bin/python bench/requirements_analysis.py [--count 10000] [--runs 3] [--seed 7] [--json]

Generates `--count` varied requirements deterministically (templates x vocabulary, 20-40 words, about half with
smells, a third with acceptance criteria, some dependencies, duplicates and conflicts), pins the process to one
CPU, warms up, then reports:
- requirements/second of `analyze_project` over all of them (median of `--runs`, plus the best run);
- p50/p99 latency of `analyze_requirement` per requirement.
The API bulk-upsert half of the benchmark lives with the API benchmarks.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from trellis.requirements.analysis import RequirementInput, analyze_project, analyze_requirement

ACTORS = {
    "web": "web application|checkout service|admin portal|search API|storefront|account page|session service|CMS",
    "embedded": "motor controller|firmware|sensor node|bootloader|gateway|battery manager|HMI panel|pump controller",
    "finance": "payment service|ledger|trading engine|loan workflow|billing system|risk engine|card processor|FX desk",
    "health": "EHR|infusion pump|patient portal|lab system|triage module|pharmacy service|ward dashboard|PACS viewer",
    "devops": "CI pipeline|deployment service|monitoring system|backup job|scheduler|log shipper|secrets vault|CDN",
}


def _options(text: str) -> list[str]:
    return [option.strip() for option in text.split("|")]


VERBS = _options(
    "display|export|import|archive|validate|encrypt|compress|record|calculate|reconcile|flag|notify|sample|rotate|"
    "publish|index|summarise|retain|forward|replicate|schedule|approve|reject|mask|audit|render|cache|persist"
)
OBJECTS = _options(
    "the order history|the monthly sales report|every diagnostic trouble code|settled card transactions|accrued "
    "interest|each administered dose|abnormal lab values|the integration test results|the service credentials|"
    "pending refunds|device telemetry|user consent records|shipment labels|price changes|failed login attempts|"
    "infusion rate changes|discharge summaries|alert acknowledgements|build artefacts|ledger snapshots"
)
QUALIFIERS = _options(
    "for the signed-in customer|for each tenant|per hospital ward|for every trading desk|in the EU region|for "
    "archived accounts|on the primary node|for premium subscribers|in the audit database|for the night shift"
)
TRIGGERS = [
    "When a user submits the form,",
    "If the upstream service does not answer,",
    "While the device is in maintenance mode,",
    "After a successful payment,",
    "Every night at 02:00 UTC,",
    "Upon receipt of a new order,",
    "",
    "",
    "",
    "",
]
CONSTRAINTS = [
    "within {n} ms at the 95th percentile",
    "for up to {n} concurrent users",
    "no later than {n} seconds after the event",
    "with an accuracy of 0.{n} percent",
    "in no more than {n} attempts",
    "",
    "",
    "",
]
SMELLS = [
    "quickly and reliably",
    "in a user-friendly way",
    "as appropriate",
    "where possible",
    "with several configurable options, etc.",
    "according to the company security policy",
    "in a timely manner",
    "and notify the operator",
    "better than the legacy system",
    "TBD",
    "if it is necessary",
    "using the most efficient algorithm",
]
CONTEXT = [
    "so that the {d} team can audit case {n} later",
    "including the reference number {n} and the owner of record",
    "as described in runbook section {n}",
    "unless the operator disables it for maintenance window {n}",
    "",
    "",
]
CRITERIA = [
    "Given a valid request for item {n}, when it is processed, then the result is stored within {m} seconds.",
    "Given an invalid {w}, when it is submitted, then an error message names the field.",
    "Given the database is unavailable, when the job runs, then it retries {m} times and raises an alert.",
    "Given an authorised operator, when they open the {w} screen, then the latest {n} entries are listed.",
    "Given {n} pending {w} records, when the batch starts, then all of them are processed in order.",
]


def generate(count: int, seed: int) -> list[RequirementInput]:
    rng = random.Random(seed)
    domains = sorted(ACTORS)
    requirements: list[RequirementInput] = []
    for index in range(count):
        domain = domains[index % len(domains)]
        actor = "the " + rng.choice(_options(ACTORS[domain]))
        trigger = rng.choice(TRIGGERS)
        modal = rng.choice(["shall", "shall", "shall", "must", "should", "may"])
        parts = [trigger, actor, modal, rng.choice(VERBS), rng.choice(OBJECTS), rng.choice(QUALIFIERS)]
        if rng.random() < 0.5:
            parts.append(rng.choice(SMELLS))
        parts.append(rng.choice(CONSTRAINTS).format(n=rng.randrange(2, 5000)))
        parts.append(rng.choice(CONTEXT).format(d=domain, n=rng.randrange(1, 10**6)))
        text = " ".join(part for part in parts if part) + "."
        text = text[0].upper() + text[1:]
        criteria: tuple[str, ...] = ()
        if rng.random() < 0.33:
            criteria = tuple(
                template.format(n=rng.randrange(1, 500), m=rng.randrange(1, 10), w=rng.choice(OBJECTS).split()[-1])
                for template in rng.sample(CRITERIA, rng.randint(1, 3))
            )
        dependencies: tuple[str, ...] = ()
        if index:
            dependencies = tuple(dict.fromkeys(f"REQ-{rng.randrange(index):05d}" for _ in range(rng.randint(0, 2))))
        requirements.append(RequirementInput(f"REQ-{index:05d}", text, criteria, dependencies))
    # real sets hold some copies: every 997th requirement reappears under another code
    for offset in range(0, count, 997):
        target = (offset + 13) % count
        requirements[target] = RequirementInput(requirements[target].code, requirements[offset].text)
    return requirements


def pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
        return f"pinned to CPU {sorted(os.sched_getaffinity(0))[0]}"
    return "not pinned (no sched_setaffinity on this platform)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="also print the results as JSON")
    parser.add_argument("--bulk-count", type=int, default=1000, help="requirements in the API bulk upsert")
    parser.add_argument("--skip-api", action="store_true", help="only the analyzer, not the API bulk upsert")
    args = parser.parse_args()

    pinned = pin_to_one_core()
    requirements = generate(args.count, args.seed)
    word_counts = [len(r.text.split()) for r in requirements]
    analyze_project(requirements[:1000])  # warm-up: imports, regex caches, branch predictors

    timings = []
    for _ in range(args.runs):
        started = time.perf_counter()
        analysis = analyze_project(requirements)
        timings.append(time.perf_counter() - started)
    median = statistics.median(timings)

    latencies = []
    for requirement in requirements:
        started_ns = time.perf_counter_ns()
        analyze_requirement(requirement)
        latencies.append(time.perf_counter_ns() - started_ns)
    latencies.sort()

    results = {
        "requirements": len(requirements),
        "words_per_requirement_mean": round(statistics.mean(word_counts), 1),
        "with_criteria": sum(1 for r in requirements if r.acceptance_criteria),
        "findings": sum(len(r.findings) for r in analysis.requirements),
        "project_findings": len(analysis.findings),
        "analyze_project_seconds_median": round(median, 3),
        "requirements_per_second_median": round(len(requirements) / median),
        "requirements_per_second_best": round(len(requirements) / min(timings)),
        "analyze_requirement_p50_us": round(latencies[len(latencies) // 2] / 1000, 1),
        "analyze_requirement_p99_us": round(latencies[int(len(latencies) * 0.99)] / 1000, 1),
        "python": platform.python_version(),
        "cpu": pinned,
    }
    print(f"requirements analysis benchmark ({pinned}, Python {results['python']})")
    print(
        f"  {results['requirements']} requirements, {results['words_per_requirement_mean']} words on average, "
        f"{results['with_criteria']} with acceptance criteria"
    )
    print(f"  {results['findings']} findings, {results['project_findings']} project findings")
    print(
        f"  analyze_project: {results['analyze_project_seconds_median']} s median of {args.runs} runs -> "
        f"{results['requirements_per_second_median']} requirements/s "
        f"(best run {results['requirements_per_second_best']})"
    )
    print(
        f"  analyze_requirement: p50 {results['analyze_requirement_p50_us']} µs, "
        f"p99 {results['analyze_requirement_p99_us']} µs"
    )
    if not args.skip_api:
        bulk = measure_bulk_upsert(args.bulk_count)
        results["bulk_upsert"] = bulk
        print(
            f"  API bulk upsert of {bulk['count']} requirements (embedded, in-process, validated, versioned, "
            f"audited): {bulk['median_s']:.2f} s median, {bulk['best_s']:.2f} s best of 3"
        )
    if args.json:
        print(json.dumps(results))


def measure_bulk_upsert(count: int = 1000, repeats: int = 3) -> dict[str, float]:
    """API time for one bulk upsert of `count` requirements, in-process against a fresh embedded Trellis."""
    import tempfile
    from pathlib import Path

    from fastapi.testclient import TestClient

    from trellis.core.config import Settings
    from trellis.main import create_app

    timings = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            _env_file=None,
            data_dir=Path(tmp),
            env="test",
            log_level="WARNING",  # type: ignore[call-arg]
            rate_limit_per_ip="0",
            rate_limit_per_user="0",
        )
        with TestClient(create_app(settings)) as client:
            password = "Quiet-Harbor-Lantern-42"
            tokens = client.post("/api/v1/auth/register", json={"email": "bench@example.com", "password": password})
            assert tokens.status_code == 201, tokens.text
            headers = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
            for attempt in range(repeats):
                project = client.post("/api/v1/projects", json={"name": f"bench {attempt}"}, headers=headers).json()
                items = [
                    {
                        "code": f"REQ-{i:05d}",
                        "text": f"When a user opens report {i}, the system shall render it within {100 + i % 900} ms.",
                        "acceptance_criteria": [f"Given report {i}, when opened, then it renders in time."],
                    }
                    for i in range(count)
                ]
                started = time.perf_counter()
                response = client.post(
                    f"/api/v1/projects/{project['id']}/requirements/bulk", json={"requirements": items}, headers=headers
                )
                timings.append(time.perf_counter() - started)
                assert response.status_code == 200, response.text
    return {"count": count, "best_s": min(timings), "median_s": sorted(timings)[len(timings) // 2]}


if __name__ == "__main__":
    main()
