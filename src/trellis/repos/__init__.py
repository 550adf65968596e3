"""Repositories (R1-R4, seed 001): connect Git repositories to projects, size pre-check, sandboxed clones."""
