"""The dashboard: the built SPA (web/dist) when there is one, else a small placeholder page.

Every answer carries the dashboard's Content-Security-Policy (``DASHBOARD_POLICY``); the other
security headers come from ops/headers.py, like every response's. The policy was measured
against the built dashboard in Chromium (docs/security.md, "Browser security headers"): Vite
emits no inline script, React sets ``style`` properties through the DOM (which CSP does not
govern), and the one ``data:`` URL is the favicon.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, Response

from plant_analytics.ops.headers import page_policy
from plant_analytics.problems import problem_response

NOT_SPA_PREFIXES = ("api/", "auth/", ".well-known/")

PLACEHOLDER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Plant Analytics</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;
line-height:1.5;color:#1d2a33}code{background:#eef2f5;padding:.1rem .3rem;border-radius:3px}
a{color:#0b6bcb}</style></head>
<body><h1>Plant Analytics</h1>
<p>The platform is running. The dashboard is not built yet
(<code>make web</code> builds it into <code>web/dist</code>).</p>
<ul>
<li><a href="/docs">API documentation</a> (OpenAPI: <a href="/openapi.json">/openapi.json</a>)</li>
<li>Log in: <code>POST /auth/login</code> with <code>{"email", "password"}</code></li>
<li><a href="/ready">/ready</a> · <a href="/metrics">/metrics</a> ·
<a href="/buildinfo">/buildinfo</a></li>
</ul></body></html>
"""


DASHBOARD_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
PLACEHOLDER_POLICY = page_policy(PLACEHOLDER.encode())
CSP = "Content-Security-Policy"


def dashboard_router(dist: Path) -> APIRouter:
    """Register last: its catch-all serves the SPA's client-side routes."""
    router = APIRouter(include_in_schema=False)
    root = dist.resolve()
    index = root / "index.html"

    if not index.is_file():

        @router.get("/")
        async def placeholder() -> HTMLResponse:
            return HTMLResponse(PLACEHOLDER, headers={CSP: PLACEHOLDER_POLICY})

        return router

    @router.get("/{path:path}")
    async def spa(path: str) -> Response:
        if path.startswith(NOT_SPA_PREFIXES):
            return problem_response(404, f"no route /{path}", type_="not-found")
        candidate = (root / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(root):
            # Vite puts content hashes in asset names: cache them for good.
            immutable = candidate.is_relative_to(root / "assets")
            cache = "public, max-age=31536000, immutable" if immutable else "no-cache"
            return FileResponse(candidate, headers={"Cache-Control": cache, CSP: DASHBOARD_POLICY})
        return FileResponse(index, headers={"Cache-Control": "no-cache", CSP: DASHBOARD_POLICY})

    return router
