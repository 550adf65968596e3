"""Per-repository sandboxes on disk, and safe reading inside a clone.

Layout: `<SANDBOX_BASE_PATH>/<project_id>/<repo_id>/` holding `git/` (the object store, bare) and
`worktree/` (the checkout validation reads). After a clone both are made read-only (owner read-only:
files 0400, directories 0500). Symlinks that point outside the working tree are deleted right after checkout,
and `safe_walk` / `read_file` never follow a link out of the tree, so nothing outside the sandbox is
read through a repository, whoever walks it.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

GIT_DIR = "git"
WORKTREE_DIR = "worktree"
SKIPPED_DIRS = frozenset({".git"})


class PathEscape(ValueError):
    """A path (or a symlink on it) leads outside the repository."""


@dataclass(frozen=True)
class SandboxPaths:
    root: Path

    @property
    def git_dir(self) -> Path:
        return self.root / GIT_DIR

    @property
    def worktree(self) -> Path:
        return self.root / WORKTREE_DIR


def sandbox_for(base: Path, project_id: str, repo_id: str) -> SandboxPaths:
    """The sandbox of one repository; ids are UUID strings, so nothing can climb out of `base`."""
    root = (base / project_id / repo_id).resolve()
    if not root.is_relative_to(base.resolve()):
        raise PathEscape("sandbox path escapes the sandbox base")
    return SandboxPaths(root)


def make_writable(path: Path) -> None:
    """Undo `make_read_only` (before a sync or a removal), keeping executable bits. Symlinks are never touched."""
    if not path.exists():
        return
    for directory, dirnames, filenames in os.walk(path):
        os.chmod(directory, 0o700)
        for name in dirnames + filenames:
            child = os.path.join(directory, name)
            if os.path.islink(child):
                continue
            if os.path.isdir(child):
                os.chmod(child, 0o700)
            else:
                os.chmod(child, stat.S_IMODE(os.stat(child).st_mode) | stat.S_IRUSR | stat.S_IWUSR)


def make_read_only(path: Path) -> None:
    for directory, _dirnames, filenames in os.walk(path, topdown=False):
        for name in filenames:
            child = os.path.join(directory, name)
            if not os.path.islink(child):
                mode = os.stat(child).st_mode
                os.chmod(child, 0o500 if mode & stat.S_IXUSR else 0o400)
        os.chmod(directory, 0o500)


def remove_tree(path: Path) -> None:
    """Delete a sandbox (read-only or not); a missing one is fine."""
    if not path.exists() and not path.is_symlink():
        return
    make_writable(path)
    shutil.rmtree(path)


def remove_escaping_symlinks(worktree: Path) -> list[str]:
    """Delete every symlink whose target resolves outside `worktree`; returns their relative paths."""
    root = worktree.resolve()
    removed: list[str] = []
    for directory, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            child = Path(directory) / name
            if child.is_symlink() and not _inside(child, root):
                child.unlink()
                removed.append(child.relative_to(root).as_posix())
    return sorted(removed)


def _inside(path: Path, root: Path) -> bool:
    try:
        return path.resolve(strict=False).is_relative_to(root)
    except (OSError, RuntimeError):  # symlink loops
        return False


def resolve_inside(root: Path, relative: str | Path) -> Path:
    """`root/relative` with every symlink resolved, or PathEscape if that leaves `root`."""
    base = root.resolve()
    candidate = Path(relative)
    if candidate.is_absolute():
        raise PathEscape(f"{relative}: absolute paths are not allowed")
    target = base / candidate
    if not _inside(target, base):
        raise PathEscape(f"{relative}: leads outside the repository")
    return target.resolve()


def read_file(root: Path, relative: str | Path, *, max_bytes: int = 5 * 1024 * 1024) -> bytes:
    """Read a file of the repository at `root`; PathEscape for `..`, absolute paths or symlinks leading out."""
    target = resolve_inside(root, relative)
    if not target.is_file():
        raise FileNotFoundError(f"{relative}: no such file in the repository")
    with open(target, "rb") as handle:
        return handle.read(max_bytes)


def safe_walk(root: Path) -> Iterator[Path]:
    """Every regular file of the repository at `root`, as paths relative to it, sorted, skipping `.git`.

    Symlinks are listed only when they resolve to a file inside `root`; directory symlinks are not
    descended (no cycles, no escapes).
    """
    base = root.resolve()
    for directory, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(
            d for d in dirnames if d not in SKIPPED_DIRS and not os.path.islink(os.path.join(directory, d))
        )
        for name in sorted(filenames):
            child = Path(directory) / name
            if child.is_symlink() and (not _inside(child, base) or not child.resolve().is_file()):
                continue
            if child.is_file():
                yield child.relative_to(base)
