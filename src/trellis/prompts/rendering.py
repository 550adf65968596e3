"""Prompt templates: the versions shipped with Trellis, compiling and rendering in a sandbox. Pure.

Templates are Jinja2 run in `SandboxedEnvironment` (no attribute access to internals, no unsafe calls) with
`StrictUndefined`, so a misspelt variable is an error naming its line instead of an empty string in a prompt.
A template may `{% import "_context.md.j2" as ctx with context %}` to reuse the shipped blocks.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from trellis.planning.types import PROMPT_CATEGORIES

TEMPLATES_DIR = Path(__file__).parent / "templates"
USER_TEMPLATE_NAME = "<template>"
MAX_TEMPLATE_CHARS = 100_000


class TemplateProblem(Exception):
    """A template that does not compile or render; `line` is 1-based in the template's own text when known."""

    def __init__(self, message: str, *, line: int | None, stage: str) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.message = message
        self.line = line
        self.stage = stage  # "compile" or "render"


@dataclass(frozen=True)
class TemplateSource:
    category: str
    text: str
    version: str  # "builtin:<sha12>" for shipped templates, "workspace:<n>" for an override


@lru_cache(maxsize=1)
def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # Markdown for coding agents, not HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def content_version(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


@lru_cache(maxsize=len(PROMPT_CATEGORIES))
def builtin_template(category: str) -> TemplateSource:
    """The template shipped for `category`; its version is its content hash, so any edit is a new version."""
    if category not in PROMPT_CATEGORIES:
        raise KeyError(category)
    # Shared blocks are part of every category's version: changing them changes every prompt.
    text = (TEMPLATES_DIR / f"{category}.md.j2").read_text(encoding="utf-8")
    shared = (TEMPLATES_DIR / "_context.md.j2").read_text(encoding="utf-8")
    return TemplateSource(category, text, f"builtin:{content_version(shared + text)}")


def builtin_templates() -> dict[str, TemplateSource]:
    return {category: builtin_template(category) for category in PROMPT_CATEGORIES}


def _template_line(tb: Any) -> int | None:
    """The deepest line of the user's template in a traceback Jinja rewrote to template lines."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == USER_TEMPLATE_NAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


@lru_cache(maxsize=256)
def compile_template(text: str) -> jinja2.Template:
    """Compile once per distinct text; TemplateProblem(stage="compile") with the line on a syntax error."""
    if len(text) > MAX_TEMPLATE_CHARS:
        raise TemplateProblem(
            f"the template is longer than {MAX_TEMPLATE_CHARS} characters", line=None, stage="compile"
        )
    environment = _environment()
    try:
        return environment.from_string(text)
    except jinja2.TemplateSyntaxError as exc:
        message = exc.message or "syntax error"
        if exc.name in (None, USER_TEMPLATE_NAME):
            raise TemplateProblem(message, line=exc.lineno, stage="compile") from None
        raise TemplateProblem(f"{message} (in {exc.name}, line {exc.lineno})", line=None, stage="compile") from None


def render_template(template: jinja2.Template, context: dict[str, Any]) -> str:
    """Render; TemplateProblem(stage="render") naming the template line for undefined names, sandbox refusals, ..."""
    try:
        return template.render(**context)
    except jinja2.TemplateSyntaxError as exc:  # an imported template that does not compile
        raise TemplateProblem(f"{exc.message} (in {exc.name}, line {exc.lineno})", line=None, stage="render") from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateProblem(
            f"no template named {exc.name!r} to import", line=_template_line(sys.exc_info()[2]), stage="render"
        ) from None
    except (jinja2.TemplateError, TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as exc:
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        raise TemplateProblem(message, line=_template_line(sys.exc_info()[2]), stage="render") from None
