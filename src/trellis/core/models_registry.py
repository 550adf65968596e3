"""Import every domain's models so Base.metadata knows all tables (Alembic, tests)."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil


def import_all_models() -> None:
    import trellis

    importlib.import_module("trellis.core.jobs.models")
    importlib.import_module("trellis.core.idempotency_models")
    for module in pkgutil.iter_modules(trellis.__path__):
        qualified = f"trellis.{module.name}.models"
        if module.ispkg and importlib.util.find_spec(qualified) is not None:
            importlib.import_module(qualified)
