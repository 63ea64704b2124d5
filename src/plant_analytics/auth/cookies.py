"""The dashboard's refresh token as a cookie, and the CSRF check of the routes that read it.

The refresh token of a browser session lives in one cookie, ``__Secure-pa-refresh``:
``HttpOnly`` (no script reads it, so an XSS cannot steal it), ``Secure`` (never sent over
plain http; browsers treat http://localhost and 127.0.0.1 as secure, so development works),
``SameSite=Strict`` (never sent with a request another site starts) and ``Path=/auth/refresh``
(sent to the refresh route and nowhere else: not with API calls, not to the login page).

The CSRF defence (OWASP's CSRF Prevention Cheat Sheet) fits a cookie only one path sees, where
the double-submit pattern does not (the dashboard's scripts, served from ``/``, cannot read a
cookie of ``/auth/refresh``, nor need to): a request that uses the cookie must

1. carry the custom header ``X-Requested-With`` (any value): a page of another origin can only
   send a custom header after a CORS preflight, which the platform never grants (it answers
   no CORS), and HTML forms cannot send one at all;
2. come from the platform's own pages by the browser's Fetch Metadata: ``Sec-Fetch-Site`` is
   ``same-origin`` when the browser sends it; browsers without Fetch Metadata are checked by
   ``Origin``, which must name this host (the ``Host`` the client used, or what the gateway
   forwarded as ``X-Forwarded-Host``). A request with neither header is not a browser's: the
   custom header is what is asked of it.

On top of these, ``SameSite=Strict`` keeps the cookie out of cross-site requests anyway.
A refresh token sent in the JSON body (scripts, the CLI) needs none of this: it is not sent
by a browser on its own, so it cannot be forged across sites.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request, Response

REFRESH_COOKIE = "__Secure-pa-refresh"
REFRESH_COOKIE_PATH = "/auth/refresh"
CSRF_HEADER = "X-Requested-With"


def set_refresh_cookie(response: Response, token: str, max_age: int) -> None:
    response.set_cookie(
        REFRESH_COOKIE,
        token,
        max_age=max_age,
        path=REFRESH_COOKIE_PATH,
        secure=True,
        httponly=True,
        samesite="strict",
    )


def cleared_refresh_cookie() -> str:
    """A ``Set-Cookie`` value that makes the browser forget the refresh cookie."""
    response = Response()
    response.delete_cookie(
        REFRESH_COOKIE, path=REFRESH_COOKIE_PATH, secure=True, httponly=True, samesite="strict"
    )
    return response.headers["set-cookie"]


def refresh_cookie(request: Request) -> str | None:
    return request.cookies.get(REFRESH_COOKIE) or None


def _host_of_request(request: Request) -> str:
    forwarded = ",".join(request.headers.getlist("x-forwarded-host"))
    host = forwarded.rsplit(",", 1)[-1].strip() or request.headers.get("host", "")
    return host.lower()


def csrf_refusal(request: Request) -> str | None:
    """Why a request that uses the refresh cookie may have been forged, or None if it was not."""
    if not request.headers.get(CSRF_HEADER, "").strip():
        return (
            f"a request that uses the session cookie must send the header {CSRF_HEADER} "
            "(any value), as the dashboard does"
        )
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        if site.strip().lower() != "same-origin":
            return (
                f"the session cookie is only used for requests of the platform's own pages "
                f"(this one is Sec-Fetch-Site: {site})"
            )
        return None
    origin = request.headers.get("origin")
    if origin is None:
        return None
    netloc = urlsplit(origin.strip()).netloc.lower() if origin.strip() != "null" else ""
    if not netloc or netloc != _host_of_request(request):
        return (
            f"the session cookie is only used for requests of the platform's own pages "
            f"(this one comes from {origin!r})"
        )
    return None
