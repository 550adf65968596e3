"""The repository's documentation as the planner sees it - its README, its changelog and the pages under docs/,
with their headings - and which of those files a documentation task should change or create.

Code validation indexes code only, so the documentation is read here: `read_doc_files` reads a working tree (never
leaving it, headings only); `documentation_files` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from trellis.planning.profile import Profile, file_name, slug_words
from trellis.planning.types import FileRef
from trellis.repos.sandbox import PathEscape, read_file, safe_walk
from trellis.validation.text import stem

DOC_DIRS = ("docs", "doc", "documentation")
DOC_EXTENSIONS = frozenset({".md", ".markdown", ".mdx", ".rst"})
MAX_DOC_FILES = 300  # pages read per repository; a documentation task names a handful
MAX_DOC_BYTES = 64 * 1024  # headings past this are not read
MAX_DOC_REFS = 8
_README = re.compile(r"^readme(\.(md|markdown|mdx|rst|txt))?$", re.IGNORECASE)
_CHANGELOG = re.compile(r"^(changelog|changes|history|news)(\.(md|markdown|rst|txt))?$", re.IGNORECASE)
# Folders of built or third-party pages inside docs/: not what a maintainer edits.
_NOT_SOURCE = frozenset({"node_modules", "build", "site", "dist", "vendor"})
_MD_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_RST_UNDERLINE = re.compile(r"^([=\-~^\"'`*#+])\1{2,}\s*$")


# Words a heading or path shares with almost any requirement: they say nothing about where it belongs.
def _word_set(block: str) -> frozenset[str]:
    return frozenset(block.split())


_GENERIC = _word_set(
    """
    the a an and or of to in for with on how what your you it is are by from as at be this that using use usage
    guide overview introduction intro readme doc docs documentation index about get getting started example examples
    note notes faq content contents table license contributing install installation public new user users library
    feature features support system data
    """
)
# A requirement's documentation words ("settings", "cli") name the kind of page it belongs in.
_DOC_TRIGGERS = _word_set(
    "api endpoint endpoints cli command commands configuration setting settings option options flag flags"
)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
# Kinds of page written in other words: a requirement's "settings" belong under a "Configuration" heading.
_SAME_KIND = {"set": "configur", "config": "configur", "option": "configur", "prefer": "configur", "flag": "configur",
              "command": "cli", "endpoint": "api"}  # fmt: skip


@dataclass(frozen=True)
class DocFile:
    path: str  # relative to the repository root, "/"-separated
    headings: tuple[tuple[int, int, str], ...] = ()  # (first line, last line, heading text), in file order

    @property
    def kind(self) -> str:
        """readme, changelog (both at the root) or page (under a docs folder)."""
        if "/" not in self.path:
            return "changelog" if _CHANGELOG.match(self.path) else "readme"
        return "page"


def _terms(text: str) -> frozenset[str]:
    words = (word.lower() for word in _WORD.findall(re.sub(r"([a-z])([A-Z])", r"\1 \2", text)))
    stems = (stem(word) for word in words if len(word) > 1 and word not in _GENERIC)
    return frozenset(_SAME_KIND.get(term, term) for term in stems)


def _headings(text: str, markdown: bool) -> tuple[tuple[int, int, str], ...]:
    """Each heading with the lines of its section: up to the next heading of the same or a higher level."""
    lines = text.splitlines()
    starts: list[tuple[int, int, str]] = []  # (line, level, title)
    fenced = False
    underlines: list[str] = []  # reStructuredText levels go by the order underline characters first appear in
    for index, line in enumerate(lines):
        if markdown:
            if _FENCE.match(line):
                fenced = not fenced
            match = None if fenced else _MD_HEADING.match(line)
            if match:
                starts.append((index + 1, len(line) - len(line.lstrip("#")), match.group(1).strip("*_` ")))
        elif (
            index
            and _RST_UNDERLINE.match(line)
            and lines[index - 1].strip()
            and not _RST_UNDERLINE.match(lines[index - 1])
        ):
            if line[0] not in underlines:
                underlines.append(line[0])
            starts.append((index, underlines.index(line[0]), lines[index - 1].strip()))
    found = []
    for position, (start, level, title) in enumerate(starts):
        end = next((other - 1 for other, depth, _ in starts[position + 1 :] if depth <= level), len(lines))
        if title:
            found.append((start, max(start, end), title))
    return tuple(found)


def read_doc_files(root: Path) -> list[DocFile]:
    """README and changelog files at the root of the working tree at `root`, and the pages of its docs folder(s)."""
    base = root.resolve()
    paths = sorted(entry.name for entry in base.iterdir() if entry.is_file() and not entry.is_symlink()
                   and (_README.match(entry.name) or _CHANGELOG.match(entry.name)))  # fmt: skip
    for folder in DOC_DIRS:
        directory = base / folder
        if directory.is_symlink() or not directory.is_dir():
            continue  # a linked docs folder could lead out of the repository
        for relative in safe_walk(directory):
            parts = relative.parts
            if relative.suffix.lower() in DOC_EXTENSIONS and not any(
                part.startswith((".", "_")) or part in _NOT_SOURCE for part in parts[:-1]
            ):
                paths.append(f"{folder}/{relative.as_posix()}")
            if len(paths) >= MAX_DOC_FILES:
                break
    found = []
    for path in paths[:MAX_DOC_FILES]:
        try:
            data = read_file(base, path, max_bytes=MAX_DOC_BYTES)
        except (OSError, PathEscape):
            continue
        text = data.decode("utf-8", errors="replace")
        found.append(DocFile(path, _headings(text, not path.lower().endswith((".rst", ".txt")))))
    return found


def _profile_terms(profile: Profile) -> frozenset[str]:
    words = slug_words(profile.title, 4) + slug_words(profile.text, 3) + [w for w in profile.docs if w in _DOC_TRIGGERS]
    return _terms(" ".join(words))


def _best_section(doc: DocFile, wanted: frozenset[str]) -> tuple[int, tuple[int, int, str] | None]:
    """How well `doc` fits a requirement with these terms (its path counts double) and the section that fits best."""
    on_path = 2 * len(wanted & _terms(PurePosixPath(doc.path).stem.replace("-", " ").replace("_", " ")))
    best, section, size = 0, None, 0
    for heading in doc.headings:
        terms = _terms(heading[2])
        shared = len(wanted & terms)
        if shared > best or (shared and shared == best and len(terms) < size):  # a tie: the narrower heading
            best, section, size = shared, heading, len(terms)
    if section is None and on_path and doc.headings:
        section = doc.headings[0]
    return on_path + best, section


def _new_page(profile: Profile, pages: Sequence[DocFile]) -> str:
    folders = [str(PurePosixPath(page.path).parent) for page in pages]
    folder = max(sorted(set(folders)), key=lambda f: (folders.count(f), -len(f)))
    extensions = [PurePosixPath(page.path).suffix for page in pages]
    extension = max(sorted(set(extensions)), key=extensions.count)
    return f"{folder}/{file_name(profile.title, extension)}"


def documentation_files(profiles: Sequence[Profile], docs: Sequence[DocFile]) -> list[FileRef]:
    """The files a documentation task for `profiles` changes: for each requirement the page or README section that
    covers its subject (modify), else a new page beside the others in docs/ (create), else the README; and the
    changelog when the repository keeps one."""
    pages = [doc for doc in docs if doc.kind == "page"]
    readmes = sorted((doc for doc in docs if doc.kind == "readme"), key=lambda d: (not d.path.endswith(".md"), d.path))
    readme = readmes[0] if readmes else None
    changelog = next((doc for doc in docs if doc.kind == "changelog"), None)
    candidates = pages + ([readme] if readme else [])
    reasons: dict[str, list[str]] = {}
    refs: dict[str, FileRef] = {}

    def add(path: str, action: str, reason: str, lines: tuple[int, int] | None = None) -> None:
        reasons.setdefault(path, []).append(reason)
        if path not in refs or (refs[path].lines is None and lines):  # the first section named is the one quoted
            refs[path] = FileRef(path, action, "", lines)  # type: ignore[arg-type]

    for profile in profiles:
        named = f"{profile.code} ({profile.title})"
        wanted = _profile_terms(profile)
        scored = [(*_best_section(doc, wanted), doc) for doc in candidates]
        # The best fit; on a tie a docs page before the README, then the shorter path.
        score, section, doc = max(scored, key=lambda s: (s[0], s[2].kind == "page", -len(s[2].path)),
                                  default=(0, None, None))  # fmt: skip
        if doc is not None and score > 0:
            where = f"section '{section[2]}'" if section else "the page"
            add(doc.path, "modify", f"{where} covers {named}", section[:2] if section else None)
        elif pages:
            add(_new_page(profile, pages), "create", f"no page in the docs covers {named} yet")
        elif readme:
            add(readme.path, "modify", f"the README is the repository's documentation: describe {named} there")
        else:
            add("README.md", "create", f"the repository has no README or docs folder yet: start one with {named}")
    files = [FileRef(path, ref.action, "; ".join(reasons[path]), ref.lines) for path, ref in refs.items()]
    files = sorted(files, key=lambda f: f.action != "modify")[: MAX_DOC_REFS - (changelog is not None)]
    if changelog is not None:
        files.append(FileRef(changelog.path, "modify", "the repository keeps a changelog: one entry per change here"))
    return files
