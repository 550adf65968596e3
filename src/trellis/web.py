"""Serve the built web UI (web/dist, or the copy a wheel ships in trellis/static) with client-side routing.

Mounted after every API route: a path no route claims gets `index.html`, so the browser's router
can draw `/projects/42`; API and operational paths never fall through, their 404s stay JSON.
Without a build the API still runs and `/` says how to build the UI.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.exceptions import HTTPException

PACKAGE_STATIC = Path(__file__).resolve().parent / "static"
SOURCE_DIST = Path(__file__).resolve().parents[2] / "web" / "dist"

# Prefixes owned by the server itself: unknown paths under them are JSON 404s, never the UI.
SERVER_SEGMENTS = frozenset({"api", "docs", "redoc", "openapi.json", "metrics", "health", "live", "ready"})

# Hashed file names (assets/index-3f9a1c.js) never change content: cache them for a year.
IMMUTABLE = "public, max-age=31536000, immutable"
# index.html must be revalidated so a new build reaches browsers at once.
REVALIDATE = "no-cache"

NO_BUILD_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Trellis</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1e293b}
code,pre{background:#f1f5f9;border-radius:4px;padding:.1rem .3rem}pre{padding:.75rem}</style></head>
<body><h1>Trellis API is running</h1>
<p>The web UI has not been built in this installation. Build it once (needs Node.js 20.19+ and npm):</p>
<pre>cd web &amp;&amp; npm ci &amp;&amp; npm run build</pre>
<p>then restart <code>trellis serve</code>; <code>scripts/serve.sh</code> does both for you.
Meanwhile the API documentation is at <a href="/docs">/docs</a>.</p></body></html>
"""


def find_web_build(candidates: tuple[Path, ...] = (SOURCE_DIST, PACKAGE_STATIC)) -> Path | None:
    """The first directory holding a built UI: a source checkout's web/dist, then the wheel's static/."""
    for directory in candidates:
        if (directory / "index.html").is_file():
            return directory
    return None


def mount_web_ui(app: FastAPI, build_dir: Path | None = None) -> Path | None:
    """Add the UI routes last (after the API). Returns the directory served, or None without a build."""
    root = (build_dir or find_web_build() or Path("/nonexistent")).resolve()
    index = root / "index.html"
    if not index.is_file():

        @app.get("/", include_in_schema=False)
        async def no_web_ui() -> HTMLResponse:
            return HTMLResponse(NO_BUILD_PAGE)

        return None

    @app.get("/{path:path}", include_in_schema=False)
    async def web_ui(path: str) -> Response:
        if path.split("/", 1)[0] in SERVER_SEGMENTS:
            raise HTTPException(status_code=404)
        if path:
            candidate = (root / path).resolve()
            if candidate.is_relative_to(root) and candidate.is_file():
                cache = IMMUTABLE if path.startswith("assets/") else REVALIDATE
                return FileResponse(candidate, headers={"Cache-Control": cache})
            if path.startswith("assets/"):
                raise HTTPException(status_code=404)  # a missing bundle must not come back as HTML
        return FileResponse(index, headers={"Cache-Control": REVALIDATE})

    return root
