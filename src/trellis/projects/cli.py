"""`trellis project ...`: drive a running Trellis over its API (TRELLIS_API_URL, TRELLIS_API_TOKEN)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from trellis.core import api_client

project_app = typer.Typer(help="Projects on a running Trellis (needs TRELLIS_API_TOKEN).", no_args_is_help=True)

# `trellis project` has always exited with 2 on errors; scripts may rely on it.
_EXIT_CODE = 2


def _fail(message: str) -> NoReturn:
    api_client.fail(message, _EXIT_CODE)


def _call(method: str, path: str, **kwargs: Any) -> Any:
    return api_client.call(method, path, exit_code=_EXIT_CODE, **kwargs)


@project_app.command("create")
def create(
    name: str,
    description: Annotated[str | None, typer.Option(help="What the project is.")] = None,
    workspace_id: Annotated[str | None, typer.Option(help="Default: your personal workspace.")] = None,
) -> None:
    """Create a project."""
    project = _call("POST", "/projects", json={"name": name, "description": description, "workspace_id": workspace_id})
    typer.echo(f"{project['id']}  {project['name']}  {project['status']}")


@project_app.command("import")
def import_file(
    project_id: str,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    input_format: Annotated[str | None, typer.Option(help="markdown, text, csv, json or yaml.")] = None,
) -> None:
    """Import requirements from a file (the format follows the extension unless given)."""
    from trellis.requirements.files import RequirementsLoadError, read_text

    try:
        content = read_text(file)  # UTF-8, UTF-16 with a BOM, or a legacy single-byte encoding
    except RequirementsLoadError as exc:
        _fail(str(exc))
    result = _call(
        "POST",
        f"/projects/{project_id}/requirements/import",
        json={"content": content, "format": input_format, "filename": file.name},
    )
    typer.echo(
        f"created {len(result['created'])}, updated {len(result['updated'])}, "
        f"unchanged {len(result['unchanged'])}; {result['total']} requirements"
    )


@project_app.command("status")
def status(project_id: str) -> None:
    """State, allowed actions, scores and findings."""
    data = _call("GET", f"/projects/{project_id}/status")
    typer.echo(f"state: {data['status']}   allowed: {', '.join(data['allowed_actions']) or '-'}")
    scores = data["scores"]
    passed = scores["passed"]
    for name in ("testability", "ambiguity", "dependencies", "completeness"):
        typer.echo(f"  {name:<13}{scores[name]:>8}  {'ok' if passed[name] else 'below threshold'}")
    typer.echo(
        f"requirements: {data['requirements']} ({data['requirements_meeting_thresholds']} meet the "
        f"thresholds); findings: {data['findings']}"
    )
    for category, count in sorted(data["findings_by_category"].items(), key=lambda item: -item[1]):
        typer.echo(f"  {count:>4}  {category}")
    if data["refinement"]:
        refinement = data["refinement"]
        typer.echo(
            f"refinement: {refinement['status']}, round {refinement['round']}, "
            f"{refinement['open_questions']} open question(s)"
        )


def _parse_answer(text: str) -> dict[str, str]:
    question, sep, value = text.partition("=")
    if not sep or not value:
        _fail(f"--answer takes QUESTION_ID=OPTION_ID or QUESTION_ID=free text, not {text!r}")
    if value.startswith("text:"):
        return {"question_id": question, "answer": value.removeprefix("text:")}
    return {"question_id": question, "option_id": value}


@project_app.command("refine")
def refine(
    project_id: str,
    answer: Annotated[
        list[str] | None, typer.Option(help="QUESTION_ID=OPTION_ID or QUESTION_ID=text:free answer.")
    ] = None,
    accept_recommended: Annotated[
        bool, typer.Option(help="Answer every open question with its recommendation.")
    ] = False,
) -> None:
    """Show this round's questions, or answer them and get the next round."""
    answers = [_parse_answer(item) for item in answer or []]
    if accept_recommended:
        current = _call("POST", f"/projects/{project_id}/refine", json={})
        answers += [
            {"question_id": q["id"], "option_id": q["recommended_option"]}
            for q in current["questions"]
            if q["recommended_option"]
        ]
    result = _call("POST", f"/projects/{project_id}/refine", json={"answers": answers})
    typer.echo(
        f"session {result['session']['status']}, round {result['session']['round']}; "
        f"{result['findings']} finding(s) left; thresholds {'met' if result['meets_thresholds'] else 'not met'}"
    )
    for question in result["questions"]:
        typer.echo(f"\n[{question['id']}] {question['requirement_code']} ({question['category']})")
        typer.echo(f"  {question['question']}")
        for option in question["options"]:
            mark = "*" if option["id"] == question["recommended_option"] else " "
            typer.echo(f"  {mark} {option['id']}: {option['label']}")
        if question["allows_free_answer"]:
            typer.echo("    or a free answer: --answer ID=text:...")
    typer.echo(f"\n{result['next_step']}")


@project_app.command("gateway")
def gateway(
    project_id: str, action: str, force: Annotated[bool, typer.Option(help="Accept open findings.")] = False
) -> None:
    """Apply a state transition (e.g. initialize_requirements, finalize_requirements / finalizar)."""
    result = _call("POST", f"/projects/{project_id}/gateway", json={"action": action, "force": force})
    typer.echo(f"{result['from_state']} -> {result['to_state']}; next: {', '.join(result['allowed_actions'])}")
