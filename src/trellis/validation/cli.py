"""`trellis validate`: trace a requirements file to a repository on disk. Offline: no server, no database."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

OUTPUT_FORMATS = ("json", "md", "csv")
# --format csv: one row per candidate file, best first per requirement (what trace-link evaluations read).
LINK_COLUMNS = ("requirement", "rank", "path", "score", "linked", "role")


def _fail(message: str) -> NoReturn:
    typer.secho(f"trellis: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


def validate_command(
    repo: Annotated[Path, typer.Option("--repo", help="The repository (a directory) to check.")],
    requirements: Annotated[
        Path,
        typer.Option(
            "--requirements",
            help="Requirements file (Markdown, text, CSV, JSON or YAML), or a folder with one requirement per text "
            "file (code = file name).",
        ),
    ],
    output_format: Annotated[
        str,
        typer.Option(
            "--format", help="json (the whole report), md, or csv (the ranked trace links).", case_sensitive=False
        ),
    ] = "json",
    input_format: Annotated[
        str | None, typer.Option(help="Parse the requirements as markdown, text, csv, json or yaml (default: detect).")
    ] = None,
    max_links: Annotated[
        int | None, typer.Option(min=1, help="Keep only the N best files per requirement (default: every candidate).")
    ] = None,
) -> None:
    """Trace each requirement to the code that implements it and score the repository (seed 000's four dimensions)."""
    from trellis.requirements.files import RequirementsLoadError, load_requirements
    from trellis.validation.engine import validate_repository
    from trellis.validation.report import render_markdown

    output_format = output_format.lower()
    if output_format not in OUTPUT_FORMATS:
        _fail(f"--format must be one of {', '.join(OUTPUT_FORMATS)}")
    if not repo.is_dir():
        _fail(f"--repo {repo}: not a directory")
    try:
        parsed = load_requirements(requirements, input_format=input_format)
    except RequirementsLoadError as exc:
        _fail(str(exc))
    if not parsed:
        _fail(f"{requirements}: no requirements found")
    report = validate_repository(repo, parsed).as_dict(max_links=max_links)
    if output_format == "json":
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
    elif output_format == "csv":
        typer.echo(_links_csv(report), nl=False)
    else:
        typer.echo(render_markdown(report), nl=False)


def _links_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(LINK_COLUMNS)
    for requirement in report["requirements"]:
        ranked = sorted(requirement["links"] + requirement["tests"], key=lambda link: (-link["score"], link["path"]))
        for rank, link in enumerate(ranked, start=1):
            writer.writerow(
                (requirement["code"], rank, link["path"], link["score"], str(link["linked"]).lower(), link["role"])
            )
    return out.getvalue()
