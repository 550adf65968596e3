"""Reading the code a prompt quotes: lines of a file in a repository working tree, never outside it."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from trellis.repos.sandbox import PathEscape, read_file

MAX_FILE_BYTES = 2 * 1024 * 1024


class RepositoryLines:
    """`reader(path, first, last)`: those lines of `path` in the tree at `root` (1-based, inclusive), or None
    when the file is missing, binary, outside the tree, or has no such lines."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lines = lru_cache(maxsize=512)(self._read)

    def _read(self, path: str) -> tuple[str, ...] | None:
        try:
            data = read_file(self.root, path, max_bytes=MAX_FILE_BYTES)
        except (OSError, PathEscape, ValueError):
            return None
        if b"\0" in data[:8192]:
            return None
        return tuple(data.decode("utf-8", errors="replace").splitlines())

    def __call__(self, path: str, first: int, last: int) -> str | None:
        lines = self._lines(path)
        if lines is None or first < 1 or first > len(lines):
            return None
        return "\n".join(lines[first - 1 : min(last, len(lines))])
