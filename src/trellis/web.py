"""Serve the built web UI (web/dist, or the copy a wheel ships in trellis/static) with client-side routing.

Mounted after every API route: a path no route claims gets `index.html`, so the browser's router
can draw `/projects/42`; API and operational paths never fall through, their 404s stay JSON.
Without a build the API still runs and `/` says how to build the UI.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.types import Receive, Scope, Send

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


def _ui_response(root: Path, path: str) -> Response | None:
    """The UI's answer for a GET of `path`, or None when the path is not the UI's (a JSON 404 follows)."""
    path = path.lstrip("/")
    if path.split("/", 1)[0] in SERVER_SEGMENTS:
        return None
    if path:
        candidate = (root / path).resolve()
        if candidate.is_relative_to(root) and candidate.is_file():
            cache = IMMUTABLE if path.startswith("assets/") else REVALIDATE
            return FileResponse(candidate, headers={"Cache-Control": cache})
        if path.startswith("assets/"):
            return None  # a missing bundle must not come back as HTML
    return FileResponse(root / "index.html", headers={"Cache-Control": REVALIDATE})


def mount_web_ui(app: FastAPI, build_dir: Path | None = None) -> Path | None:
    """Serve the UI for every GET that no route answers. Returns the directory served, or None without a build.

    The UI is the router's fallback (what runs when nothing matched), not a catch-all route, so a
    route registered later, by a test or a plugin, still wins over it.
    """
    root = (build_dir or find_web_build() or Path("/nonexistent")).resolve()
    has_build = (root / "index.html").is_file()
    not_found = app.router.default

    async def web_ui_or_not_found(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            if has_build:
                response = _ui_response(root, scope["path"])
            else:
                response = HTMLResponse(NO_BUILD_PAGE) if scope["path"] == "/" else None
            if response is not None:
                await response(scope, receive, send)
                return
        await not_found(scope, receive, send)

    app.router.default = web_ui_or_not_found
    return root if has_build else None
