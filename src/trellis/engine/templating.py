"""Jinja2 templates over a run's data, in Jinja's immutable sandbox (no attribute tricks, no mutation).

A string that is exactly one `{{ expression }}` evaluates to the expression's native value
(a number, list or dict), so `"{{ input.items }}"` passes a list on rather than its text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment


class _DataFirstEnvironment(ImmutableSandboxedEnvironment):
    """`input.items` means the key "items" of the data, not the dict method: run data is JSON, keys come first."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Mapping) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


_ENV = _DataFirstEnvironment(undefined=StrictUndefined, autoescape=False)
_SINGLE_EXPRESSION = re.compile(r"^\s*\{\{(?P<expr>(?:(?!\}\}).)*)\}\}\s*$", re.DOTALL)
_MAX_RENDERED_CHARS = 1_000_000


class TemplateError(ValueError):
    """A template that does not parse, refers to missing data, or breaks the sandbox."""


@lru_cache(maxsize=4096)
def _compiled_expression(source: str) -> Any:
    return _ENV.compile_expression(source, undefined_to_none=False)


@lru_cache(maxsize=4096)
def _compiled_template(source: str) -> Any:
    return _ENV.from_string(source)


def check_syntax(value: Any) -> list[str]:
    """Every template in `value` (nested dicts/lists of strings) that does not parse, with the reason."""
    problems: list[str] = []
    for text in _strings(value):
        try:
            match = _SINGLE_EXPRESSION.match(text)
            if match:
                _compiled_expression(match.group("expr"))
            elif "{{" in text or "{%" in text:
                _compiled_template(text)
        except TemplateSyntaxError as exc:
            problems.append(f"template {text[:60]!r}: {exc.message}")
    return problems


def evaluate(expression: str, data: dict[str, Any]) -> Any:
    """A bare Jinja expression (`input.count > 3`), evaluated to its native value."""
    try:
        return _compiled_expression(expression)(**data)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"expression {expression[:80]!r} does not parse: {exc.message}") from exc
    except (UndefinedError, SecurityError, TypeError, ValueError, ArithmeticError) as exc:
        raise TemplateError(f"expression {expression[:80]!r} failed: {exc}") from exc


def render(value: Any, data: dict[str, Any]) -> Any:
    """Render every template string inside `value`; other values pass through unchanged."""
    if isinstance(value, str):
        return _render_string(value, data)
    if isinstance(value, dict):
        return {key: render(item, data) for key, item in value.items()}
    if isinstance(value, list):
        return [render(item, data) for item in value]
    return value


def _render_string(text: str, data: dict[str, Any]) -> Any:
    if "{{" not in text and "{%" not in text:
        return text
    match = _SINGLE_EXPRESSION.match(text)
    if match:
        return evaluate(match.group("expr"), data)
    try:
        rendered = _compiled_template(text).render(**data)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"template {text[:80]!r} does not parse: {exc.message}") from exc
    except (UndefinedError, SecurityError, TypeError, ValueError, ArithmeticError) as exc:
        raise TemplateError(f"template {text[:80]!r} failed: {exc}") from exc
    if len(rendered) > _MAX_RENDERED_CHARS:
        raise TemplateError(f"template {text[:80]!r} rendered more than {_MAX_RENDERED_CHARS} characters")
    return rendered


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []
