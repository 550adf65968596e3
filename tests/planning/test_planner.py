"""The pure planner: order, dependencies, phases, verification instead of building, critical path, seeded
estimates, cycle detection, no filler, and the plan's JSON round trip."""

from __future__ import annotations

from typing import Any

import pytest

from trellis.planning import estimation
from trellis.planning.diff import diff_plans
from trellis.planning.graph import DependencyCycle, critical_path, parallel_now, topological_order
from trellis.planning.planner import PlanInput, plan_project
from trellis.planning.profile import file_name
from trellis.planning.risks import FACTORS
from trellis.planning.types import Plan
from trellis.requirements.analysis import analyze_project


def link(path: str, *, linked: bool = True, lines: tuple[int, int] = (3, 9), why: str = "function f") -> dict[str, Any]:
    evidence = [{"kind": "symbol", "why": why, "terms": [], "lines": list(lines)}]
    return {"path": path, "score": 0.2, "relative": 1.0, "linked": linked, "role": "source", "evidence": evidence}


def result(code: str, status: str, links: list[dict[str, Any]], tests: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "code": code,
        "status": status,
        "coverage": {"implemented": 0.8, "partial": 0.4, "missing": 0.0}[status],
        "links": links,
        "tests": [link(t) for t in tests],
        "missing_terms": ["export"] if status == "partial" else [],
    }


ORDERS = PlanInput("ORD-1", "Customers place orders for products in the catalog.", ("Given a product, when ...",))
INVOICE = PlanInput("ORD-2", "Customers download an invoice for each order.", dependencies=("ORD-1",))
SYNC = PlanInput(
    "ORD-3",
    "Orders and invoices sync to the accounting system through its API.",
    dependencies=("ORD-1", "ORD-2"),
)


def test_order_dependencies_phases_and_critical_path() -> None:
    plan = plan_project([SYNC, INVOICE, ORDERS], None, None, seed=1)
    assert [(t.id, t.key, t.phase) for t in plan.tasks] == [
        ("T-001", "build:ORD-1", "foundation"),
        ("T-002", "build:ORD-2", "core_features"),
        ("T-003", "build:ORD-3", "integration"),
        ("T-004", "test:ORD-3", "quality_assurance"),
        ("T-005", "docs", "quality_assurance"),
    ]
    assert [t.depends_on for t in plan.tasks] == [(), ("T-001",), ("T-001", "T-002"), ("T-003",), ("T-003",)]
    assert plan.tasks[3].title == "End-to-end tests: ORD-3 with ORD-1, ORD-2" and plan.tasks[3].category == "testing"
    # The end-to-end task carries the criteria of what it ties together.
    assert [r.code for r in plan.tasks[3].requirements] == ["ORD-3", "ORD-1", "ORD-2"]
    assert plan.tasks[3].dod[0].text == "A test linked to ORD-3 exercises it together with ORD-1, ORD-2."
    assert plan.critical_path[:3] == ("T-001", "T-002", "T-003") and len(plan.critical_path) == 4
    longest = max(plan.tasks[3:], key=lambda t: t.estimate.p50_hours)
    assert plan.critical_path[3] == longest.id
    assert [t.on_critical_path for t in plan.tasks[:3]] == [True, True, True]
    assert [p.key for p in plan.phases] == ["foundation", "core_features", "integration", "quality_assurance"]
    assert plan.phases[2].task_ids == ("T-003",)
    sync = plan.tasks[2]
    assert [r.code for r in sync.requirements] == ["ORD-3"] and sync.requirements[0].version == 1
    assert "builds on ORD-1, ORD-2" in sync.complexity_reasons
    assert {r.factor for r in sync.risks} == {"dependency_complexity", "integration_points"}
    assert all(r.factor in FACTORS and r.score == round(r.probability * r.impact, 4) for r in sync.risks)
    assert plan.warnings == (
        "Planned without code validation: no files are named and every requirement is treated as not built yet.",
    )


def test_implemented_requirements_get_verification_tasks_and_files_come_from_validation() -> None:
    report = {
        "requirements": [
            result(
                "ORD-1", "implemented", [link("shop/orders.py", why="function place_order")], ("tests/test_orders.py",)
            ),
            result("ORD-2", "partial", [link("shop/invoices.py", lines=(10, 30))]),
            result("ORD-3", "missing", [link("shop/accounting_client.py", linked=False)]),
        ],
        "unrequested": [],
    }
    plan = plan_project([ORDERS, INVOICE, SYNC], None, report)
    by_key = {t.key: t for t in plan.tasks}
    assert "build:ORD-1" not in by_key
    verify = by_key["verify:ORD-1"]
    assert verify.kind == "verify" and verify.phase == "quality_assurance" and verify.category == "review"
    assert [(f.path, f.action, f.lines) for f in verify.files] == [
        ("shop/orders.py", "reference", (3, 9)),
        ("tests/test_orders.py", "reference", None),
    ]
    assert verify.files[0].why == "function place_order"
    # ORD-2 builds on ORD-1, which exists: no wait for its verification.
    complete = by_key["build:ORD-2"]
    assert complete.title.startswith("Complete ORD-2") and complete.depends_on == ()
    assert [(f.path, f.action) for f in complete.files] == [
        ("shop/invoices.py", "modify"),
        ("tests/test_download_invoice_order.py", "create"),
    ]
    assert "not found in the linked code: 'export'" in complete.description
    build = by_key["build:ORD-3"]
    assert build.title.startswith("Implement ORD-3") and build.depends_on == (complete.id,)
    assert [(f.path, f.action) for f in build.files][:2] == [
        ("shop/orders_invoices_sync.py", "create"),
        ("shop/accounting_client.py", "reference"),
    ]
    dod = [(d.check, d.checkable) for d in build.dod]
    assert ("implemented:ORD-3", True) in dod and ("test_linked:ORD-3", True) in dod
    assert ("dependencies_done", True) in dod


def test_a_small_change_is_a_small_plan() -> None:
    change = PlanInput(
        "FIX-1",
        "The order list shows the order date in ISO 8601 format.",
        ("Given an order placed on 2024-05-01, when the list is shown, then its date reads 2024-05-01.",),
    )
    plan = plan_project([change], analyze_project([change]), None)
    assert [(t.id, t.category) for t in plan.tasks] == [("T-001", "implementation")]
    assert plan.tasks[0].complexity <= 3 and plan.tasks[0].estimate.story_points <= 2
    assert [p.key for p in plan.phases] == ["core_features"]
    assert plan.tasks[0].parallel is True and plan.critical_path == ("T-001",)


def test_unclear_secure_and_user_facing_work_gets_research_review_and_documentation_only_where_needed() -> None:
    login = PlanInput("SEC-1", "Staff sign in with a password; the account locks after TBD failed attempts.")
    report_cli = PlanInput("CLI-1", "Managers export the monthly report from the command line.", ("Given ...",))
    plan = plan_project([login, report_cli], analyze_project([login, report_cli]), None)
    keys = [t.key for t in plan.tasks]
    assert keys == ["research:SEC-1", "build:SEC-1", "build:CLI-1", "review:SEC-1", "docs"]
    by_key = {t.key: t for t in plan.tasks}
    assert by_key["build:SEC-1"].depends_on == (by_key["research:SEC-1"].id,)
    assert by_key["review:SEC-1"].depends_on == (by_key["build:SEC-1"].id,)
    assert [r.code for r in by_key["docs"].requirements] == ["CLI-1"]
    assert "placeholder" in by_key["research:SEC-1"].description
    assert {r.factor for r in by_key["build:SEC-1"].risks} >= {"unclear_requirements", "review_requirements"}


def test_estimates_are_seeded_reproducible_and_stable_per_task() -> None:
    first = plan_project([ORDERS, INVOICE, SYNC], None, None, seed=7)
    again = plan_project([ORDERS, INVOICE, SYNC], None, None, seed=7)
    other = plan_project([ORDERS, INVOICE, SYNC], None, None, seed=8)
    assert first.as_dict() == again.as_dict()
    assert [t.estimate for t in first.tasks] != [t.estimate for t in other.tasks]
    for task in first.tasks:
        low = task.estimate.hours_likely * estimation.OPTIMISTIC
        assert low <= task.estimate.p50_hours <= task.estimate.p85_hours
    assert first.total_p50_hours < first.total_p85_hours
    assert first.total_p50_hours >= sum(t.estimate.hours_likely for t in first.tasks) * estimation.OPTIMISTIC
    # An unrelated requirement added to the plan leaves the other tasks' estimates as they were.
    extra = PlanInput("ORD-9", "Customers see their order history.")
    grown = plan_project([ORDERS, INVOICE, SYNC, extra], None, None, seed=7)
    grown_by_key = {t.key: t.estimate for t in grown.tasks}
    assert all(grown_by_key[t.key] == t.estimate for t in first.tasks if t.key != "docs")


def test_cycles_are_refused_with_the_cycle() -> None:
    a = PlanInput("A-1", "Alpha.", dependencies=("A-2",))
    b = PlanInput("A-2", "Beta.", dependencies=("A-1",))
    with pytest.raises(DependencyCycle) as refused:
        plan_project([a, b], None, None)
    assert set(refused.value.extra["cycle"]) == {"A-1", "A-2"} and refused.value.status_code == 422
    with pytest.raises(DependencyCycle):
        topological_order({"T-1": ["T-3"], "T-2": ["T-1"], "T-3": ["T-2"]})


def test_graph_helpers() -> None:
    order = topological_order({"c": ["a"], "b": ["a"], "a": []}, {"c": 0, "b": 1})
    assert order == ["a", "c", "b"]
    assert critical_path(["a", "b", "c"], {"b": ["a"], "c": ["a"]}, {"a": 1.0, "b": 5.0, "c": 2.0}) == ["a", "b"]
    assert parallel_now(["x", "y", "z"], {"x": ["f.py"], "y": ["f.py"], "z": ["g.py"]}) == {"z"}


def test_json_round_trip_and_diff() -> None:
    report = {"requirements": [result("ORD-1", "partial", [link("shop/orders.py")])], "unrequested": []}
    plan = plan_project([ORDERS, INVOICE], analyze_project([ORDERS, INVOICE]), report)
    assert Plan.from_dict(plan.as_dict()) == plan
    newer = plan_project(
        [ORDERS, PlanInput("ORD-2", INVOICE.text + " As PDF.", dependencies=("ORD-1",), version=2), SYNC],
        None,
        report,
    )
    diff = diff_plans(plan, newer)
    assert [a["key"] for a in diff["added"]] == ["build:ORD-3", "test:ORD-3", "docs"]
    assert diff["removed"] == []
    changed = {c["key"]: c["fields"] for c in diff["changed"]}
    assert changed["build:ORD-2"]["requirements"] == {"from": ["ORD-2 v1"], "to": ["ORD-2 v2"]}
    assert diff["totals"]["tasks"] == {"from": len(plan.tasks), "to": len(newer.tasks)}


def test_new_files_follow_the_language_convention() -> None:
    # Named after what is done (the actor and the modal left out), not the first four words.
    title = "Employees can split one expense across cost centres"
    assert file_name(title, ".java") == "SplitExpense.java"
    assert file_name(title, ".java", test=True) == "SplitExpenseTest.java"
    assert file_name(title, ".py", test=True, suffix="end_to_end") == "test_split_expense_end_to_end.py"
    assert file_name(title, ".ts", test=True) == "split-expense.test.ts"
    assert file_name(title, ".go", test=True) == "split_expense_test.go"
    overhead = "The retry decorator shall add less than 5 microseconds of overhead per call."
    assert file_name(overhead, ".py", bench=True, suffix="overhead") == "bench_retry_decorator_overhead.py"
    assert file_name(overhead, ".go", bench=True) == "retry_decorator_bench_test.go"
    assert file_name(overhead, ".java", bench=True) == "RetryDecoratorBenchmark.java"


def test_documentation_is_split_so_each_task_prompt_fits_its_budget() -> None:
    from trellis.prompts.generator import render_plan_prompts
    from trellis.prompts.rendering import builtin_templates

    commands = [
        PlanInput(
            f"CLI-{n}",
            f"The `shop report-{n}` command shall print the monthly totals of region {n} as a table.",
            tuple(
                f"Given {k} orders in region {n}, when the command runs, then the table has {k} rows." for k in (1, 2)
            ),
        )
        for n in range(1, 20)
    ]
    plan = plan_project(commands, None, None)
    docs = [t for t in plan.tasks if t.category == "documentation"]
    assert [t.key for t in docs] == ["docs", "docs:2", "docs:3"]
    assert [len(t.requirements) for t in docs] == [8, 8, 3]
    assert docs[0].title.startswith("Document the user-facing changes (part 1 of 3): CLI-1, CLI-2")
    prompts = render_plan_prompts(plan, builtin_templates(), project_name="Shop", budget=4000)
    assert not [p.task_id for p in prompts if p.over_budget]


def test_a_library_function_named_in_criteria_is_documented_and_a_token_bucket_is_not_security() -> None:
    getter = PlanInput(
        "CFG-1",
        "The library shall convert configuration values to integers on request.",
        ('Given PORT=8080, when get_int("PORT") is called, then 8080 is returned.',),
    )
    bucket = PlanInput("RL-1", "The limiter shall refill its token bucket at a fixed rate.", ("Given ...",))
    plan = plan_project([getter, bucket], None, None)
    keys = [t.key for t in plan.tasks]
    assert "review:RL-1" not in keys
    docs = next(t for t in plan.tasks if t.key == "docs")
    assert [r.code for r in docs.requirements] == ["CFG-1"] and "get_int()" in docs.description


def test_vague_words_without_criteria_need_answers_and_do_not_make_groundwork() -> None:
    from trellis.planning.profile import blocking_categories

    text = "text"
    # Criteria settle vague wording and a missing outcome in the text, not a TBD or vague wording of their own.
    assert blocking_categories([("subjective_language", text), ("missing_outcome", text)], has_criteria=True) == []
    assert blocking_categories([("placeholder", text), ("comparative", text)], has_criteria=True) == ["placeholder"]
    assert blocking_categories([("superlative", "acceptance_criteria[0]")], has_criteria=True) == ["superlative"]
    assert blocking_categories(
        [("subjective_language", text), ("missing_acceptance_criteria", text)], has_criteria=False
    ) == ["subjective_language", "missing_acceptance_criteria"]
    assert blocking_categories([("missing_outcome", text)], has_criteria=False) == ["missing_outcome"]
    vague = PlanInput("LOG-1", "Logging of the sync job should be more user-friendly.", priority="could")
    settled = PlanInput(
        "LOG-2", "The sync job shall write its logging configuration to sync.toml.", ("Given ...",), priority="must"
    )
    report = {
        "requirements": [
            result("LOG-1", "missing", [link("sync/job.py", linked=False)]),
            result("LOG-2", "missing", [link("sync/job.py", linked=False)]),
        ],
        "unrequested": [],
    }
    plan = plan_project([vague, settled], analyze_project([vague, settled]), report)
    by_key = {t.key: t for t in plan.tasks}
    build = by_key["build:LOG-1"]
    assert build.depends_on == (by_key["research:LOG-1"].id,) and build.phase == "core_features"
    # The research task lists what is open, in the analysis' words.
    agenda = by_key["research:LOG-1"].description
    assert '- "user-friendly" depends on who judges it' in agenda and "- No acceptance criteria" in agenda
    # Nothing to create is named after vague words: the related code, and a test file under tests/.
    assert [(f.path, f.action) for f in build.files] == [
        ("sync/job.py", "reference"),
        ("tests/test_logging_sync_job.py", "create"),
    ]
    assert "The acceptance criteria its research task recorded for LOG-1 are met." in [d.text for d in build.dod]
    # A settled, wanted requirement that names groundwork ("configuration", "logging") comes first.
    assert by_key["build:LOG-2"].phase == "foundation"
    assert by_key["build:LOG-2"].files[0] == by_key["build:LOG-2"].files[0].__class__(
        "sync/sync_job.py",
        "create",
        "no code implements LOG-2 yet; placed beside sync/job.py, the closest related code",
    )


def test_a_performance_requirement_gets_a_benchmark_and_no_verification_by_reading_code() -> None:
    fast = PlanInput(
        "PERF-1",
        "The export endpoint shall return 1000 rows in less than 300 ms.",
        ("Given 1000 orders, when /export is called, then the median response time of 20 calls is below 300 ms.",),
    )
    report = {
        "requirements": [result("PERF-1", "implemented", [link("api/export.py", why="function export_rows")])],
        "unrequested": [{"path": "bench/bench_search.py"}, {"path": "tests/test_export.py"}],
    }
    plan = plan_project([fast], analyze_project([fast]), report)
    [task] = plan.tasks
    assert task.key == "build:PERF-1" and task.kind == "build" and task.quality == "performance"
    assert [(f.path, f.action) for f in task.files] == [
        ("bench/bench_export_endpoint.py", "create"),
        ("api/export.py", "reference"),
    ]
    assert task.files[1].why == "code the benchmark exercises: function export_rows"
    assert {r.factor for r in task.risks} == {"testing_complexity"}
    assert [d.check for d in task.dod if d.checkable] == ["file_exists:bench/bench_export_endpoint.py"]


def test_an_unclear_requirement_validation_finds_implemented_is_verified_against_the_answers() -> None:
    vague = PlanInput("ERR-1", "Invalid expressions should give better error messages.")
    report = {"requirements": [result("ERR-1", "implemented", [link("cron/parse.py")])], "unrequested": []}
    plan = plan_project([vague], analyze_project([vague]), report)
    research, verify = plan.tasks
    assert (research.key, verify.key) == ("research:ERR-1", "verify:ERR-1") and verify.depends_on == (research.id,)
    assert "against the criteria its research task records" in verify.description
    assert "The acceptance criteria its research task recorded for ERR-1 are met." in [d.text for d in verify.dod]
