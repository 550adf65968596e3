"""Safe reading of clones: symlinks pointing outside are never followed; read-only after clone."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from trellis.repos.sandbox import (
    PathEscape,
    make_read_only,
    make_writable,
    read_file,
    remove_escaping_symlinks,
    remove_tree,
    safe_walk,
    sandbox_for,
)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "worktree"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("print('app')\n")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[core]\n")
    outside = tmp_path / "secret.txt"
    outside.write_text("top secret\n")
    (root / "leak").symlink_to(outside)
    (root / "leak_dir").symlink_to(tmp_path)
    (root / "etc").symlink_to("/etc/passwd")
    (root / "inside").symlink_to("src/app.py")
    (root / "loop").symlink_to("loop")
    return root


def test_walk_and_read_never_leave_the_tree(tree: Path) -> None:
    assert [p.as_posix() for p in safe_walk(tree)] == ["inside", "src/app.py"]
    assert read_file(tree, "inside") == b"print('app')\n"
    for escape in ("leak", "etc", "leak_dir/secret.txt", "../secret.txt", "src/../../secret.txt", "/etc/passwd"):
        with pytest.raises(PathEscape):
            read_file(tree, escape)
    with pytest.raises(FileNotFoundError):
        read_file(tree, "src/missing.py")


def test_escaping_symlinks_are_removed_after_checkout(tree: Path) -> None:
    assert remove_escaping_symlinks(tree) == ["etc", "leak", "leak_dir", "loop"]
    assert sorted(p.name for p in tree.iterdir()) == [".git", "inside", "src"]
    assert os.readlink(tree / "inside") == "src/app.py"


def test_read_only_and_removal(tree: Path) -> None:
    script = tree / "src" / "run.sh"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    make_read_only(tree)
    assert (
        stat.S_IMODE(script.stat().st_mode) == 0o500 and stat.S_IMODE((tree / "src" / "app.py").stat().st_mode) == 0o400
    )
    make_writable(tree)  # before a sync: executables stay executable
    assert script.stat().st_mode & stat.S_IXUSR and script.stat().st_mode & stat.S_IWUSR
    make_read_only(tree)
    modes = [p.lstat().st_mode for p in [tree, *tree.rglob("*")] if not p.is_symlink()]
    assert modes and not any(mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) for mode in modes)
    assert (tree.parent / "secret.txt").stat().st_mode & stat.S_IWUSR  # the link target outside was not touched
    remove_tree(tree)
    assert not tree.exists() and (tree.parent / "secret.txt").exists()


def test_sandbox_paths_stay_under_the_base(tmp_path: Path) -> None:
    paths = sandbox_for(tmp_path, "p1", "r1")
    assert paths.git_dir == tmp_path / "p1" / "r1" / "git" and paths.worktree == tmp_path / "p1" / "r1" / "worktree"
    with pytest.raises(PathEscape):
        sandbox_for(tmp_path, "..", "..")
