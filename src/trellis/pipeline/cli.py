"""`trellis pipeline run`: the whole project pipeline on files, offline (no server, no database, no network)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

pipeline_app = typer.Typer(help="The project pipeline in one command, offline.", no_args_is_help=True)


def _fail(message: str) -> NoReturn:
    typer.secho(f"trellis: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


@pipeline_app.command("run")
def pipeline_run(
    requirements: Annotated[
        Path,
        typer.Option(
            "--requirements",
            help="Requirements file (Markdown, text, CSV, JSON or YAML), or a folder with one requirement per text "
            "file (code = file name).",
        ),
    ],
    repo: Annotated[Path, typer.Option("--repo", help="The repository (a directory) the work is for.")],
    out: Annotated[Path, typer.Option("--out", help="Directory to write report.md, plan.json, tasks.md, prompts/.")],
    title: Annotated[
        str | None, typer.Option(help="Name used in the report and prompts (default: the repo's).")
    ] = None,
    budget: Annotated[int, typer.Option(min=200, max=200_000, help="Token budget per prompt.")] = 4000,
    seed: Annotated[int, typer.Option(help="Monte Carlo seed for the estimates (same seed, same numbers).")] = 0,
    input_format: Annotated[
        str | None, typer.Option(help="Parse the requirements as markdown, text, csv, json or yaml (default: detect).")
    ] = None,
) -> None:
    """Analyse the requirements, validate the repository against them, plan the work and write the prompts."""
    from trellis.core.errors import TrellisError
    from trellis.pipeline.run import counter_name, run_pipeline, write_outputs
    from trellis.requirements.files import RequirementsLoadError, load_requirements

    if not repo.is_dir():
        _fail(f"--repo {repo}: not a directory")
    if out.exists() and not out.is_dir():
        _fail(f"--out {out}: exists and is not a directory")
    try:
        parsed = load_requirements(requirements, input_format=input_format)
    except RequirementsLoadError as exc:
        _fail(str(exc))
    if not parsed:
        _fail(f"{requirements}: no requirements found")
    name = title or repo.resolve().name
    try:
        result = run_pipeline(parsed, repo, title=name, budget=budget, seed=seed)
    except TrellisError as exc:  # e.g. a dependency cycle the planner refuses
        _fail(f"{requirements}: {exc.message}")
    written = write_outputs(result, out, title=name, budget=budget)
    stages = ", ".join(f"{stage} {value:.1f}s" for stage, value in result.seconds.items())
    typer.echo(
        f"{len(parsed)} requirements, {len(result.questions)} open questions, compliance "
        f"{result.validation['scores']['compliance_score']:.0%}, {len(result.plan.tasks)} tasks, "
        f"{len(result.prompts)} prompts (tokens counted with {counter_name()}); "
        f"{len(written)} files in {out} ({stages})"
    )
