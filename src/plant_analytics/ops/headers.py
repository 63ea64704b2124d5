"""Security headers on every response of every target (issue 13, finding 5).

- ``X-Content-Type-Options: nosniff``: browsers take the declared content type at its word.
- ``Referrer-Policy: no-referrer``: no URL of the platform (filters, plant ids) leaks to
  other sites.
- ``Content-Security-Policy``: what a response declares itself (the dashboard's policy,
  gateway/dashboard.py) is kept; otherwise ``API_POLICY`` (nothing may load, nothing may frame
  it) for everything but HTML, and for HTML pages (``/docs``) a policy that allows their
  own inline scripts by hash only, computed from the page as sent.
- ``Strict-Transport-Security`` when the request came over TLS: ``https`` as the scheme of the
  request, which is the scheme a trusted proxy reported (``PA_TRUSTED_PROXIES``,
  server.guarded) or the connection's own.

A pure ASGI middleware (no body buffering except for the few small HTML pages it must hash),
applied once per process by ``server.build_app``.
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HSTS = "max-age=31536000; includeSubDomains"
REFERRER_POLICY = "no-referrer"
# JSON, CSV, problem+json...: nothing in them may run or load anything, and no page may frame them.
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# Swagger UI at /docs (FastAPI's page): its script and style come from jsDelivr, its favicon
# from fastapi.tiangolo.com; its one inline script is allowed by its hash (added per page).
DOCS_SOURCES = {
    "script-src": "https://cdn.jsdelivr.net",
    "style-src": "https://cdn.jsdelivr.net",
    "img-src": "'self' data: https://fastapi.tiangolo.com",
    "connect-src": "'self'",
}
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)
_INLINE_STYLE = re.compile(rb"<style[^>]*>(.*?)</style>", re.S | re.I)
MAX_HASHED_PAGE_BYTES = 256 * 1024


def source_hash(content: bytes) -> str:
    """A CSP hash source (``'sha256-…'``) for an inline script or style."""
    return f"'sha256-{base64.b64encode(hashlib.sha256(content).digest()).decode()}'"


def page_policy(html: bytes, sources: dict[str, str] | None = None) -> str:
    """A strict policy for an HTML page: its inline scripts and styles by hash, nothing else
    inline, other sources only as ``sources`` lists them."""
    extra = dict(sources or {})
    scripts = " ".join(source_hash(m) for m in _INLINE_SCRIPT.findall(html))
    styles = " ".join(source_hash(m) for m in _INLINE_STYLE.findall(html))
    script_src = " ".join(s for s in ("'self'", extra.pop("script-src", ""), scripts) if s)
    style_src = " ".join(s for s in ("'self'", extra.pop("style-src", ""), styles) if s)
    parts = [
        "default-src 'none'",
        f"script-src {script_src}",
        f"style-src {style_src}",
        *(f"{name} {value}" for name, value in extra.items()),
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    return "; ".join(parts)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        def secured(message: Message) -> MutableHeaders:
            headers = MutableHeaders(scope=message)
            headers.setdefault("x-content-type-options", "nosniff")
            headers.setdefault("referrer-policy", REFERRER_POLICY)
            # Read when the answer starts: a trusted proxy's scheme is in the scope by then.
            if scope.get("scheme") == "https":
                headers.setdefault("strict-transport-security", HSTS)
            return headers

        async def send_secured(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = secured(message)
                if "content-security-policy" in headers:
                    await send(message)
                    return
                if not headers.get("content-type", "").startswith("text/html"):
                    headers["content-security-policy"] = API_POLICY
                    await send(message)
                    return
                start = message  # an HTML page: its policy needs its inline scripts' hashes
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            total = sum(map(len, chunks))
            if message.get("more_body", False) and total <= MAX_HASHED_PAGE_BYTES:
                return
            html = b"".join(chunks)
            headers = MutableHeaders(scope=start)
            # Too large to hash: no inline script or style is allowed at all.
            headers["content-security-policy"] = page_policy(
                html if total <= MAX_HASHED_PAGE_BYTES else b"", DOCS_SOURCES
            )
            await send(start)
            await send({**message, "body": html})
            start = None

        await self.app(scope, receive, send_secured)
