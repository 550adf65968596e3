"""Requirements in and out of files: Markdown, plain text, CSV, JSON and YAML. Pure: strings in, strings out.

`parse_requirements(export_requirements(x, f), format=f) == x` for json, yaml, csv and markdown, as long as
texts and criteria are single-line (Markdown joins wrapped lines) and tags contain no commas.

A requirement's title is kept apart from its text: the heading of a Markdown section that has a body
("## RET-7: Circuit breaker" over "The library shall ..."), or a `title` field or column. Plain text, Markdown
lists and a heading without a body have none (the heading is then the text).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

import yaml

from trellis.requirements.analysis import CODE_PATTERN, RequirementInput

FORMATS = ("markdown", "text", "csv", "json", "yaml")
_EXTENSIONS = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
    ".csv": "csv",
    ".json": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
}
CSV_COLUMNS = ("code", "title", "text", "acceptance_criteria", "priority", "dependencies", "tags")

# "REQ-001", "US-12", "FR1": a code written in front of a requirement must contain a digit, so "Note: ..." is text.
_CODE_LIKE = r"[A-Za-z][A-Za-z0-9_.-]*\d[A-Za-z0-9_.-]*"
_BRACKETED = re.compile(r"^\[(?P<code>[^\]\s]*(?:\s[^\]]*)?)\]\s*(?P<rest>.*)$")
_PREFIXED = re.compile(rf"^(?P<code>{_CODE_LIKE})\s*[:—–-]\s+(?P<rest>.+)$")  # noqa: RUF001 (dashes as separators)
_HEADING = re.compile(r"^(?P<level>#{1,6})\s+(?P<title>.*?)\s*#*\s*$")
_HEADING_CODE = re.compile(rf"^\[?(?P<code>{_CODE_LIKE})\]?(?:\s*[:—–-]\s*(?P<rest>.*)|\s+(?P<after>.*)|)$")  # noqa: RUF001
_LIST_ITEM = re.compile(r"^(?P<indent>\s*)(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?(?P<body>.*)$")
_META = re.compile(
    r"^\**(?P<key>depends on|dependencies|priority|tags|acceptance criteria|acceptance(?=\**\s*:))"
    r"\**\s*:?\**\s*:?\s*(?P<value>.*)$",
    re.IGNORECASE,
)
_INLINE_DEPENDS = re.compile(r"\s*\(?\bdepends on:\s*(?P<codes>[A-Za-z0-9 ,;|-]+?)\)?\s*\.?\s*$", re.IGNORECASE)


class RequirementsFormatError(Exception):
    """Input that cannot be read as requirements; `line` is 1-based when known."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.message = message
        self.line = line


def detect_format(content: str, filename: str | None = None) -> str:
    if filename:
        lowered = filename.lower()
        for extension, name in _EXTENSIONS.items():
            if lowered.endswith(extension):
                return name
    stripped = content.lstrip("\ufeff \t\r\n")
    if stripped[:1] in ("{", "["):
        return "json"
    first_line = stripped.split("\n", 1)[0].strip().lower()
    if "," in first_line and "text" in [cell.strip().strip('"') for cell in first_line.split(",")]:
        return "csv"
    if re.match(r"(requirements:[ \t]*(\n|$)|- code:|code:)", stripped, re.IGNORECASE):
        return "yaml"
    if re.search(r"^(#{1,6}\s|\s*(?:[-*+]|\d+[.)])\s)", stripped, re.MULTILINE):
        return "markdown"
    return "text"


def parse_requirements(
    content: str, *, format: str | None = None, filename: str | None = None
) -> list[RequirementInput]:
    """Requirements from a file's text. `format` is one of FORMATS; detected from `filename` or content if omitted."""
    content = content.lstrip("\ufeff")
    chosen = (format or detect_format(content, filename)).lower()
    chosen = {"md": "markdown", "txt": "text", "yml": "yaml"}.get(chosen, chosen)
    if chosen not in FORMATS:
        raise RequirementsFormatError(f"unknown format {chosen!r}; use one of {', '.join(FORMATS)}")
    parser = {
        "markdown": _parse_markdown,
        "text": _parse_text,
        "csv": _parse_csv,
        "json": _parse_json,
        "yaml": _parse_yaml,
    }
    drafts = parser[chosen](content)
    return _finish(drafts)


# --- shared


class _Draft:
    """A requirement being assembled, with the line it started on for error messages."""

    def __init__(self, line: int, code: str | None, text: str = "") -> None:
        self.line = line
        self.code = code
        self.text = text
        self.title: str | None = None
        self.criteria: list[str] = []
        self.dependencies: list[str] = []
        self.priority: str | None = None
        self.tags: list[str] = []


def _check_code(code: str, line: int | None) -> str:
    if not CODE_PATTERN.match(code):
        raise RequirementsFormatError(
            f"invalid requirement code {code!r}: 1-50 letters, digits and dashes, starting with a letter or digit",
            line=line,
        )
    return code


# "Depends on: none" and its spellings mean no dependency, not a requirement called "none".
_NO_CODES = {"none", "n/a", "na", "-", "—", "nothing", "no"}


def _split_codes(value: str) -> list[str]:
    codes = [code.strip("`*_.") for code in re.split(r"[\s,;|]+", value.strip())]
    return [code for code in codes if code and code.lower() not in _NO_CODES]


def _split_list(value: str) -> list[str]:
    """Criteria and tags in one cell: one per line, else separated by "|", else by ";"."""
    for separator in ("\n", "|", ";"):
        if separator in value:
            return [item.strip() for item in value.split(separator) if item.strip()]
    return [value.strip()] if value.strip() else []


def _finish(drafts: list[_Draft]) -> list[RequirementInput]:
    taken = {draft.code for draft in drafts if draft.code}
    seen: dict[str, int] = {}
    counter = 0
    result = []
    for draft in drafts:
        if draft.code is None:
            while True:
                counter += 1
                candidate = f"REQ-{counter:03d}"
                if candidate not in taken:
                    break
            draft.code = candidate
            taken.add(candidate)
        code = _check_code(draft.code, draft.line)
        if code in seen:
            raise RequirementsFormatError(
                f"duplicate requirement code {code} (first on line {seen[code]})", line=draft.line
            )
        seen[code] = draft.line
        text = draft.text.strip()
        if not text:
            raise RequirementsFormatError(f"requirement {code} has no text", line=draft.line)
        for dependency in draft.dependencies:
            _check_code(dependency, draft.line)
        result.append(
            RequirementInput(
                code=code,
                text=text,
                acceptance_criteria=tuple(c.strip() for c in draft.criteria if c.strip()),
                dependencies=tuple(dict.fromkeys(draft.dependencies)),
                priority=(draft.priority or "").strip() or None,
                tags=tuple(t.strip() for t in draft.tags if t.strip()),
                title=_title(draft.title, text),
            )
        )
    return result


def _title(title: str | None, text: str) -> str | None:
    """One line, without Markdown emphasis; none when it only repeats the text."""
    cleaned = " ".join((title or "").split()).strip("*_ ")
    return cleaned if cleaned and cleaned != " ".join(text.split()) else None


def _code_and_text(body: str, line: int) -> tuple[str | None, str]:
    """ "[REQ-7] text" or "REQ-7: text" -> ("REQ-7", "text"); anything else has no code."""
    bracketed = _BRACKETED.match(body)
    if bracketed:
        return _check_code(bracketed.group("code"), line), bracketed.group("rest")
    prefixed = _PREFIXED.match(body)
    if prefixed:
        return _check_code(prefixed.group("code"), line), prefixed.group("rest")
    return None, body


def _take_inline_dependencies(draft: _Draft) -> None:
    match = _INLINE_DEPENDS.search(draft.text)
    if match:
        draft.dependencies.extend(_split_codes(match.group("codes")))
        draft.text = draft.text[: match.start()].rstrip()


# --- text


def _parse_text(content: str) -> list[_Draft]:
    drafts = []
    for number, raw in enumerate(content.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        code, text = _code_and_text(line, number)
        draft = _Draft(number, code, text)
        _take_inline_dependencies(draft)
        drafts.append(draft)
    return drafts


# --- markdown


def _parse_markdown(content: str) -> list[_Draft]:
    lines = content.splitlines()
    if any(_heading_code(line, number) for number, line in enumerate(lines, start=1)):
        return _parse_markdown_sections(lines)
    return _parse_markdown_list(lines)


def _heading_code(line: str, number: int) -> tuple[str, str] | None:
    heading = _HEADING.match(line)
    if not heading:
        return None
    match = _HEADING_CODE.match(heading.group("title"))
    if not match:
        return None
    code = match.group("code")
    return _check_code(code, number), (match.group("rest") or match.group("after") or "").strip()


def _parse_markdown_sections(lines: list[str]) -> list[_Draft]:
    """ "## REQ-001: Title" sections with body paragraphs, metadata lines and an "Acceptance criteria" list."""
    drafts: list[_Draft] = []
    current: _Draft | None = None
    title = ""
    paragraphs: list[list[str]] = []
    in_criteria = False

    def close() -> None:
        if current is not None:
            body = "\n\n".join(" ".join(paragraph) for paragraph in paragraphs if paragraph)
            current.text = body or title
            current.title = title if body else None  # without a body the heading is the requirement itself
            _take_inline_dependencies(current)

    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        found = _heading_code(raw, number)
        if found:
            close()
            current = _Draft(number, found[0])
            title, paragraphs, in_criteria = found[1], [[]], False
            drafts.append(current)
            continue
        if current is None:
            continue
        if _HEADING.match(raw):
            in_criteria = "acceptance" in line.lower()
            continue
        meta = _META.match(line)
        if meta:
            in_criteria = _apply_meta(current, meta) or in_criteria
            continue
        item = _LIST_ITEM.match(raw)
        item_meta = _META.match(item.group("body").strip()) if item and ":" in item.group("body") else None
        if item_meta:  # "- Depends on: REQ-001" written as a list item
            in_criteria = _apply_meta(current, item_meta) or in_criteria
        elif item and in_criteria:
            current.criteria.append(item.group("body").strip())
        elif not line:
            if paragraphs[-1]:
                paragraphs.append([])
        elif in_criteria and current.criteria and raw[:1].isspace():
            current.criteria[-1] += " " + line  # a wrapped criterion
        else:
            in_criteria = False
            paragraphs[-1].append(line)
    close()
    return drafts


def _apply_meta(draft: _Draft, meta: re.Match[str]) -> bool:
    """ "Depends on: ...", "Priority: ...", "Tags: ...", "Acceptance criteria: ...". True when criteria follow."""
    key, value = meta.group("key").lower(), meta.group("value").strip().strip("*").strip()
    if key.startswith("acceptance"):
        if value:
            draft.criteria.append(value)
        return True
    if key in ("depends on", "dependencies"):
        draft.dependencies.extend(_split_codes(value))
    elif key == "priority":
        draft.priority = value or None
    else:
        draft.tags.extend(tag.strip() for tag in value.split(",") if tag.strip())
    return False


def _parse_markdown_list(lines: list[str]) -> list[_Draft]:
    """One requirement per top-level list item; indented items under it are its acceptance criteria."""
    drafts: list[_Draft] = []
    top_indent: int | None = None
    for number, raw in enumerate(lines, start=1):
        item = _LIST_ITEM.match(raw)
        if not item:
            stripped = raw.strip()
            if stripped and drafts and raw[:1].isspace() and not _HEADING.match(raw):
                drafts[-1].text += " " + stripped  # a wrapped item
            continue
        indent = len(item.group("indent").expandtabs(4))
        if top_indent is None:
            top_indent = indent
        body = item.group("body").strip()
        if indent > top_indent and drafts:
            meta = _META.match(body)
            if meta:
                _apply_meta(drafts[-1], meta)
            else:
                drafts[-1].criteria.append(body)
            continue
        code, text = _code_and_text(body, number)
        drafts.append(_Draft(number, code, text))
    for draft in drafts:
        _take_inline_dependencies(draft)
    return drafts


# --- csv


def _parse_csv(content: str) -> list[_Draft]:
    reader = csv.reader(io.StringIO(content))
    try:
        header = next(reader)
    except StopIteration:
        return []
    except csv.Error as exc:
        raise RequirementsFormatError(f"not valid CSV: {exc}", line=1) from None
    columns = [name.strip().lower().replace(" ", "_") for name in header]
    if "text" not in columns:
        raise RequirementsFormatError(f"the CSV header needs a text column (columns: {', '.join(CSV_COLUMNS)})", line=1)
    drafts = []
    try:
        for row in reader:
            number = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            values = dict(zip(columns, row, strict=False))
            code = values.get("code", "").strip() or None
            draft = _Draft(number, code, values.get("text", ""))
            draft.title = values.get("title") or None
            draft.criteria = _split_list(values.get("acceptance_criteria", ""))
            draft.dependencies = _split_codes(values.get("dependencies", ""))
            draft.priority = values.get("priority", "").strip() or None
            draft.tags = _split_list(values.get("tags", ""))
            drafts.append(draft)
    except csv.Error as exc:
        raise RequirementsFormatError(f"not valid CSV: {exc}", line=reader.line_num) from None
    return drafts


# --- json / yaml


def _line_of(content: str, needle: str) -> int | None:
    position = content.find(needle)
    return content.count("\n", 0, position) + 1 if position >= 0 else None


def _as_list(value: Any, what: str, line: int | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return _split_list(value) if what != "dependencies" else _split_codes(value)
    if isinstance(value, list) and all(isinstance(item, str | int | float) for item in value):
        return [str(item) for item in value]
    raise RequirementsFormatError(f"{what} must be a list of strings", line=line)


def _drafts_from_data(data: Any, content: str) -> list[_Draft]:
    if isinstance(data, dict) and "requirements" in data:
        data = data["requirements"]
    if data is None:
        return []
    if not isinstance(data, list):
        raise RequirementsFormatError('expected a list of requirements or {"requirements": [...]}', line=1)
    drafts = []
    for position, item in enumerate(data):
        if isinstance(item, str):
            drafts.append(_Draft(_line_of(content, item) or 0, None, item))
            continue
        if not isinstance(item, dict):
            raise RequirementsFormatError(f"requirement #{position + 1} must be an object or a string")
        raw_code = item.get("code")
        code = None if raw_code in (None, "") else str(raw_code)
        line = (_line_of(content, f'"{code}"') or _line_of(content, code)) if code else None
        text = item.get("text", item.get("description", item.get("title")))
        if not isinstance(text, str):
            raise RequirementsFormatError(f"requirement #{position + 1} ({code or 'no code'}) needs a text", line=line)
        title = item.get("title")
        if title is not None and not isinstance(title, str | int | float):
            raise RequirementsFormatError(
                f"requirement #{position + 1} ({code or 'no code'}): title must be text", line=line
            )
        draft = _Draft(line or 0, code, text)
        draft.title = None if title is None else str(title)
        draft.criteria = _as_list(item.get("acceptance_criteria"), "acceptance_criteria", line)
        draft.dependencies = _as_list(item.get("dependencies"), "dependencies", line)
        priority = item.get("priority")
        draft.priority = None if priority is None else str(priority)
        draft.tags = _as_list(item.get("tags"), "tags", line)
        drafts.append(draft)
    return drafts


def _parse_json(content: str) -> list[_Draft]:
    try:
        data = json.loads(content)
    except json.JSONDecodeError as exc:
        raise RequirementsFormatError(f"not valid JSON: {exc.msg}", line=exc.lineno) from None
    return _drafts_from_data(data, content)


def _parse_yaml(content: str) -> list[_Draft]:
    try:
        data = yaml.safe_load(content)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        if line is not None and line > len(content.splitlines()):
            # the problem surfaced at the end of the file: point at where the unfinished construct began
            context = getattr(exc, "context_mark", None)
            line = context.line + 1 if context else line
        raise RequirementsFormatError("not valid YAML", line=line) from None
    return _drafts_from_data(data, content)


# --- export


def _as_dict(requirement: RequirementInput) -> dict[str, Any]:
    return {
        "code": requirement.code,
        **({"title": requirement.title} if requirement.title else {}),
        "text": requirement.text,
        "acceptance_criteria": list(requirement.acceptance_criteria),
        "dependencies": list(requirement.dependencies),
        "priority": requirement.priority,
        "tags": list(requirement.tags),
    }


def export_requirements(reqs: Sequence[RequirementInput], format: str) -> str:
    chosen = {"md": "markdown", "txt": "text", "yml": "yaml"}.get(format.lower(), format.lower())
    if chosen == "json":
        return json.dumps({"requirements": [_as_dict(r) for r in reqs]}, indent=2, ensure_ascii=False) + "\n"
    if chosen == "yaml":
        return str(yaml.safe_dump({"requirements": [_as_dict(r) for r in reqs]}, sort_keys=False, allow_unicode=True))
    if chosen == "csv":
        return _export_csv(reqs)
    if chosen == "markdown":
        return "\n".join(_markdown_section(r) for r in reqs) if reqs else ""
    if chosen == "text":
        return "".join(f"{r.code}: {' '.join(r.text.split())}\n" for r in reqs)
    raise RequirementsFormatError(f"unknown format {format!r}; use one of {', '.join(FORMATS)}")


def _export_csv(reqs: Iterable[RequirementInput]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in reqs:
        # one criterion per line inside the quoted cell: sentences may contain "|" or ";"
        writer.writerow(
            [
                r.code,
                r.title or "",
                r.text,
                _cell(r.acceptance_criteria),
                r.priority or "",
                ";".join(r.dependencies),
                _cell(r.tags),
            ]
        )
    return buffer.getvalue()


def _cell(items: Sequence[str]) -> str:
    """One item per line; a lone item containing "|" or ";" gets a trailing newline so it is not split on reading."""
    value = "\n".join(items)
    if len(items) == 1 and ("|" in value or ";" in value):
        value += "\n"
    return value


def _markdown_section(r: RequirementInput) -> str:
    lines = [f"## {r.code}: {r.title}" if r.title else f"## {r.code}", "", r.text, ""]
    if r.acceptance_criteria:
        lines += ["Acceptance criteria:", "", *(f"- {criterion}" for criterion in r.acceptance_criteria), ""]
    meta = []
    if r.dependencies:
        meta.append(f"Depends on: {', '.join(r.dependencies)}")
    if r.priority:
        meta.append(f"Priority: {r.priority}")
    if r.tags:
        meta.append(f"Tags: {', '.join(r.tags)}")
    if meta:
        lines += [*meta, ""]
    return "\n".join(lines)
