"""Requirements on disk, for the offline CLIs: one file in any supported format, or a folder of them.

A folder is read the way requirement sets are often kept (a use-case folder such as `UC1.txt`, `UC2.txt`, ...):
each plain-text file is one requirement whose code is the file name without its extension and whose text is the
file's content; Markdown, CSV, JSON and YAML files in the folder are parsed as requirement lists. Files may be in
any of the encodings such documents come in (UTF-8, with or without a BOM, or the Windows-1252/ISO-8859-1 of older
tools), so a benchmark or legacy document set is read as it is.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from trellis.requirements.analysis import RequirementInput
from trellis.requirements.formats import RequirementsFormatError, parse_requirements

# Extensions parsed as lists of requirements; every other text file in a folder is one requirement.
_LIST_SUFFIXES = frozenset({".md", ".markdown", ".csv", ".json", ".yaml", ".yml"})
_NATURAL_PART = re.compile(r"(\d+)")


class RequirementsLoadError(Exception):
    """The path cannot be read as requirements; the message names the file and why."""


def read_text(path: Path) -> str:
    """A text file's content (see `decode_text`); raises `RequirementsLoadError` naming the file when it cannot be
    read or is not text."""
    text = _read(path)
    if text is None:
        raise RequirementsLoadError(f"cannot read {path}: not a text file")
    return text


def _read(path: Path) -> str | None:
    try:
        return decode_text(path.read_bytes())
    except OSError as exc:
        raise RequirementsLoadError(f"cannot read {path}: {exc.strerror or exc}") from None


def decode_text(raw: bytes) -> str | None:
    """UTF-8 (a BOM is dropped), UTF-16 with a BOM (Notepad's "Unicode"), else Windows-1252, else ISO-8859-1 (which
    takes any byte); None for binary content (a NUL byte in UTF-8 or a single-byte encoding)."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            return None
    if b"\0" in raw[:8192]:
        return None
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def load_requirements(path: Path, *, input_format: str | None = None) -> list[RequirementInput]:
    """Parse a requirements file, or every file of a folder (see the module docstring); raises
    `RequirementsLoadError` for an unreadable path, a file that does not parse, or a code given twice."""
    if path.is_dir():
        return _load_folder(path, input_format)
    return _parse_file(path, input_format)


def _parse_file(path: Path, input_format: str | None) -> list[RequirementInput]:
    content = read_text(path)
    try:
        return parse_requirements(content, format=input_format, filename=path.name)
    except RequirementsFormatError as exc:
        raise RequirementsLoadError(f"{path}: {exc}") from None


def _natural_key(path: Path) -> list[object]:
    """UC2 before UC10."""
    return [int(part) if part.isdigit() else part.lower() for part in _NATURAL_PART.split(path.as_posix())]


def _load_folder(folder: Path, input_format: str | None) -> list[RequirementInput]:
    files = [
        path
        for path in folder.rglob("*")
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    ]
    requirements: list[RequirementInput] = []
    source_of: dict[str, Path] = {}
    for path in sorted(files, key=lambda p: _natural_key(p.relative_to(folder))):
        found = _parse_file(path, input_format) if path.suffix.lower() in _LIST_SUFFIXES else _one_requirement(path)
        for requirement in found:
            if requirement.code in source_of:
                raise RequirementsLoadError(
                    f"{path}: requirement {requirement.code} is also given by {source_of[requirement.code]}"
                )
            source_of[requirement.code] = path
            requirements.append(requirement)
    return requirements


def _one_requirement(path: Path) -> list[RequirementInput]:
    decoded = _read(path)
    if decoded is None:  # an image or archive kept next to the use cases
        return []
    text = " ".join(decoded.split())
    return [RequirementInput(code=path.stem, text=text)] if text else []
