"""`trellis validate`: trace a requirements file to a repository on disk. Offline: no server, no database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, NoReturn

import typer

OUTPUT_FORMATS = ("json", "md")


def _fail(message: str) -> NoReturn:
    typer.secho(f"trellis: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


def validate_command(
    repo: Annotated[Path, typer.Option("--repo", help="The repository (a directory) to check.")],
    requirements: Annotated[
        Path, typer.Option("--requirements", help="Requirements file: Markdown, text, CSV, JSON or YAML.")
    ],
    output_format: Annotated[str, typer.Option("--format", help="json or md.", case_sensitive=False)] = "json",
    input_format: Annotated[
        str | None, typer.Option(help="Parse the requirements as markdown, text, csv, json or yaml (default: detect).")
    ] = None,
    max_links: Annotated[
        int | None, typer.Option(min=1, help="Keep only the N best files per requirement (default: every candidate).")
    ] = None,
) -> None:
    """Trace each requirement to the code that implements it and score the repository (seed 000's four dimensions)."""
    from trellis.requirements.formats import RequirementsFormatError, parse_requirements
    from trellis.validation.engine import validate_repository
    from trellis.validation.report import render_markdown

    output_format = output_format.lower()
    if output_format not in OUTPUT_FORMATS:
        _fail(f"--format must be one of {', '.join(OUTPUT_FORMATS)}")
    if not repo.is_dir():
        _fail(f"--repo {repo}: not a directory")
    try:
        content = requirements.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read {requirements}: {getattr(exc, 'strerror', None) or exc}")
    try:
        parsed = parse_requirements(content, format=input_format, filename=requirements.name)
    except RequirementsFormatError as exc:
        _fail(f"{requirements}: {exc}")
    if not parsed:
        _fail(f"{requirements}: no requirements found")
    report = validate_repository(repo, parsed).as_dict(max_links=max_links)
    if output_format == "json":
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        typer.echo(render_markdown(report), nl=False)
