"""Traceability kept as data: for each requirement version, the Q&A answers that produced it, its unresolved
findings, the code evidence of the latest validation run, the plan's tasks for it with their status and
verification, and the prompts written for those tasks; and the reverse, from a file or a task.

Read-only: gathers from the requirements, refinement, validation and prompts domains through their services, and
from this domain's plan and task tables. `matrix_csv` flattens the matrix to one row per requirement version.
"""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

from sqlalchemy.orm import Session

from trellis.planning import service
from trellis.planning.types import Plan

EVIDENCE_FILES = 5


def _qa_by_answer(db: Session, project_id: uuid.UUID) -> dict[str, dict[str, Any]]:
    from trellis.refinement import service as refinement_service

    questions = {q.id: q for _, qs in refinement_service.list_sessions(db, project_id=project_id) for q in qs}
    answers = refinement_service.answers_for(db, question_ids=list(questions))
    changes = {}
    for question_id, answer in answers.items():
        question = questions[question_id]
        changes[str(answer.id)] = {
            "question_id": str(question.id),
            "category": question.category,
            "finding": question.finding.get("text"),
            "question": question.question,
            "option_id": answer.option_id,
            "answer": answer.answer,
            "answered_at": answer.created_at.isoformat(),
        }
    return changes


def _prompts(db: Session, project_id: uuid.UUID) -> tuple[dict[str, list[dict[str, Any]]], str | None]:
    """Prompts per task id, and a note when there are none to show (module absent or nothing generated)."""
    try:
        from trellis.prompts import service as prompts_service
    except ImportError:
        return {}, "Prompt generation is not installed in this build: prompts are left empty."
    try:
        _, rows = prompts_service.latest_prompts(db, project_id=project_id)
    except prompts_service.PromptsNotGenerated as exc:
        return {}, exc.message
    by_task: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_task.setdefault(row.task_id, []).append(
            {"task_id": row.task_id, "category": row.category, "template_version": row.template_version,
             "token_count": row.token_count, "plan_version": row.plan_version}
        )  # fmt: skip
    return by_task, None


def _evidence(result: dict[str, Any]) -> dict[str, Any]:
    def files(links: list[dict[str, Any]]) -> list[dict[str, Any]]:
        shown = []
        for link in [item for item in links if item.get("linked")][:EVIDENCE_FILES]:
            why = [
                {"why": e["why"], **({"lines": e["lines"]} if "lines" in e else {})}
                for e in link.get("evidence", [])
                if e.get("kind") != "field"
            ]
            shown.append({"path": link["path"], "score": link["score"], "evidence": why[:3]})
        return shown

    return {
        "status": result["status"],
        "coverage": result.get("coverage"),
        "missing_terms": result.get("missing_terms", []),
        "files": files(result.get("links", [])),
        "tests": [t["path"] for t in result.get("tests", []) if t.get("linked")],
    }


def build_matrix(db: Session, project_id: uuid.UUID) -> dict[str, Any]:
    from trellis.requirements import service as requirements_service
    from trellis.validation import service as validation_service

    rows = requirements_service.list_requirements(db, project_id=project_id)
    analysis = {r.code: r for r in requirements_service.analyze_requirements(rows).requirements}
    qa = _qa_by_answer(db, project_id)
    run = validation_service.latest_completed_run(db, project_id=project_id)
    validated = {item["code"]: item for item in (run.requirements if run else [])}
    results = {item["code"]: item for item in ((run.report or {}).get("requirements", []) if run else [])}
    found = service.current_plan(db, project_id)
    plan: Plan | None = found[1] if found else None
    views = {v.task.id: v for v in service.list_tasks(db, project_id)} if found else {}
    prompts, prompts_note = _prompts(db, project_id)
    entries = []
    for requirement in rows:
        versions = []
        validated_version = None
        for version in requirements_service.list_versions(db, project_id=project_id, code=requirement.code):
            data = version.data
            matches = validated.get(requirement.code)
            if (
                matches
                and matches.get("text") == data.get("text")
                and list(matches.get("acceptance_criteria", [])) == list(data.get("acceptance_criteria") or [])
            ):
                validated_version = version.version
            versions.append(
                {
                    "version": version.version,
                    "source": version.source,
                    "created_at": version.created_at.isoformat(),
                    "text": data.get("text", ""),
                    "acceptance_criteria": list(data.get("acceptance_criteria") or []),
                    "changed_by_qa": [qa[version.source_ref]] if version.source_ref in qa else [],
                }
            )
        result = results.get(requirement.code)
        tasks: list[dict[str, Any]] = []
        for task in plan.tasks if plan else ():
            for ref in task.requirements:
                if ref.code == requirement.code:
                    view = views.get(task.id)
                    verification = view.verification if view else None
                    tasks.append(
                        {
                            "id": task.id,
                            "title": task.title,
                            "category": task.category,
                            "kind": task.kind,
                            "planned_from_version": ref.version,
                            "status": view.status if view else "pending",
                            "verification": None
                            if verification is None
                            else {k: verification.get(k) for k in ("accepted", "reasons", "commit_sha")},
                            "files": [{"path": f.path, "action": f.action} for f in task.files],
                        }
                    )
        entries.append(
            {
                "code": requirement.code,
                "title": requirement.data.get("title"),
                "current_version": requirement.version,
                "versions": versions,
                "findings": [
                    {"category": f.category, "severity": f.severity, "text": f.text, "message": f.message}
                    for f in (analysis[requirement.code].findings if requirement.code in analysis else ())
                ],
                "code_evidence": None
                if result is None or run is None
                else {
                    "validation_run_id": str(run.id),
                    "commit_sha": run.commit_sha,
                    "validated_version": validated_version,
                    **_evidence(result),
                },
                "tasks": tasks,
                "prompts": [p for t in tasks for p in prompts.get(t["id"], [])],
            }
        )
    return {
        "project_id": str(project_id),
        "plan_version": found[0].version if found else None,
        "validation_run_id": str(run.id) if run else None,
        "prompts_note": prompts_note,
        "requirements": entries,
    }


def for_file(matrix: dict[str, Any], path: str) -> dict[str, Any]:
    """Which requirements' evidence and which tasks name `path`."""
    path = path.strip().removeprefix("./")
    requirements: list[dict[str, Any]] = []
    tasks: dict[str, dict[str, Any]] = {}
    for entry in matrix["requirements"]:
        evidence = entry["code_evidence"] or {}
        linked = [f for f in evidence.get("files", []) if f["path"] == path]
        if linked or path in evidence.get("tests", []):
            requirements.append(
                {"code": entry["code"], "status": evidence.get("status"), "as_test": path in evidence.get("tests", []),
                 "evidence": linked[0]["evidence"] if linked else []}
            )  # fmt: skip
        for task in entry["tasks"]:
            actions = [f["action"] for f in task["files"] if f["path"] == path]
            if actions:
                tasks.setdefault(task["id"], {**{k: task[k] for k in ("id", "title", "status")}, "action": actions[0]})
    return {"file": path, "requirements": requirements, "tasks": sorted(tasks.values(), key=lambda t: t["id"])}


def for_task(matrix: dict[str, Any], task_id: str) -> dict[str, Any] | None:
    """The requirement versions a task serves, their evidence, the task's status, verification and prompts."""
    entries = [e for e in matrix["requirements"] if any(t["id"] == task_id for t in e["tasks"])]
    if not entries:
        return None
    task = next(t for t in entries[0]["tasks"] if t["id"] == task_id)
    return {
        "task": task,
        "requirements": [
            {
                "code": e["code"],
                "planned_from_version": next(t["planned_from_version"] for t in e["tasks"] if t["id"] == task_id),
                "current_version": e["current_version"],
                "code_evidence": e["code_evidence"],
                "findings": e["findings"],
            }
            for e in entries
        ],
        "prompts": [p for p in entries[0]["prompts"] if p["task_id"] == task_id],
        "prompts_note": matrix["prompts_note"],
    }


CSV_COLUMNS = (
    "requirement", "version", "current", "source", "changed_by_qa", "findings", "validation_status",
    "code_files", "tests", "tasks", "task_status", "verification", "prompts",
)  # fmt: skip


def matrix_csv(matrix: dict[str, Any]) -> str:
    """One row per requirement version; code evidence on the validated version, tasks on the planned one."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry in matrix["requirements"]:
        evidence = entry["code_evidence"] or {}
        for version in entry["versions"]:
            number = version["version"]
            tasks = [t for t in entry["tasks"] if t["planned_from_version"] == number]
            has_evidence = evidence and evidence.get("validated_version") == number
            writer.writerow(
                [
                    entry["code"],
                    number,
                    "yes" if number == entry["current_version"] else "no",
                    version["source"],
                    "; ".join(
                        f"{c['category']}: {c['question']} -> {c['answer'] or c['option_id']}"
                        for c in version["changed_by_qa"]
                    ),
                    "; ".join(f"{f['category']} '{f['text']}'" for f in entry["findings"])
                    if number == entry["current_version"]
                    else "",
                    evidence.get("status", "") if has_evidence else "",
                    "; ".join(f["path"] for f in evidence.get("files", [])) if has_evidence else "",
                    "; ".join(evidence.get("tests", [])) if has_evidence else "",
                    "; ".join(t["id"] for t in tasks),
                    "; ".join(f"{t['id']}={t['status']}" for t in tasks),
                    "; ".join(
                        f"{t['id']}={'accepted' if t['verification']['accepted'] else 'refused'}"
                        for t in tasks
                        if t["verification"]
                    ),
                    "; ".join(
                        f"{p['task_id']}/{p['category']}"
                        for p in entry["prompts"]
                        if any(p["task_id"] == t["id"] for t in tasks)
                    ),
                ]
            )
    return out.getvalue()
