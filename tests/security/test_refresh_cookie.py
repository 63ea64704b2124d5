"""Issue 13, finding 5: the dashboard's refresh token is an ``HttpOnly; Secure; SameSite=Strict``
cookie that only ``/auth/refresh`` receives, and a request that uses it must pass the CSRF
check (auth/cookies.py): the custom header ``X-Requested-With``, and ``Sec-Fetch-Site:
same-origin`` (or, from browsers without Fetch Metadata, an ``Origin`` of this host).

Against the real platform in both modes: in the microservices mode the cookie and the check
cross the gateway to the auth service. Scripts keep the refresh token in the JSON body.
"""

from __future__ import annotations

from collections.abc import Iterator
from http.cookies import SimpleCookie

import httpx
import pytest

from plant_analytics.auth.cookies import REFRESH_COOKIE
from tests.support.live import ANALYST, ANALYST_PASSWORD, MODES, Live, platform

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]
SAME_ORIGIN = {"X-Requested-With": "fetch", "Sec-Fetch-Site": "same-origin"}


@pytest.fixture(scope="module", params=MODES)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    with platform(request.param, tmp_path_factory.mktemp("cookie")) as running:
        yield running


def _cookie(response: httpx.Response) -> SimpleCookie:
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        jar.load(header)
    return jar


def _login(live: Live) -> tuple[httpx.Response, str]:
    response = httpx.post(
        f"{live.url}/auth/login",
        json={"email": ANALYST, "password": ANALYST_PASSWORD, "refresh_token_in": "cookie"},
        timeout=20,
    )
    assert response.status_code == 200, (response.text, live.log())
    return response, _cookie(response)[REFRESH_COOKIE].value


def _with_cookie(
    live: Live, method: str, token: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.request(
        method,
        f"{live.url}/auth/refresh",
        headers={"Cookie": f"{REFRESH_COOKIE}={token}", **(headers or {})},
        timeout=20,
    )


def test_a_cookie_login_sets_the_refresh_token_as_a_strict_cookie_only(live: Live) -> None:
    response, token = _login(live)
    body = response.json()
    assert body["refresh_token"] is None, "the refresh token must not reach the page's scripts"
    assert body["access_token"]
    assert body["expires_in"] > 0
    morsel = _cookie(response)[REFRESH_COOKIE]
    assert token.startswith("rt_")
    assert morsel["httponly"] is True
    assert morsel["secure"] is True
    assert morsel["samesite"].lower() == "strict"
    assert morsel["path"] == "/auth/refresh"
    assert int(morsel["max-age"]) > 0


def test_scripts_keep_the_refresh_token_in_the_body(live: Live) -> None:
    login = httpx.post(
        f"{live.url}/auth/login",
        json={"email": ANALYST, "password": ANALYST_PASSWORD},
        timeout=20,
    )
    assert login.status_code == 200
    assert "set-cookie" not in login.headers
    first = login.json()["refresh_token"]
    refreshed = httpx.post(
        f"{live.url}/auth/refresh", json={"refresh_token": first}, timeout=20
    )  # no CSRF header: a token in the body cannot be forged across sites
    assert refreshed.status_code == 200, refreshed.text
    second = refreshed.json()["refresh_token"]
    assert second
    assert second != first
    assert "set-cookie" not in refreshed.headers
    out = httpx.post(f"{live.url}/auth/logout", json={"refresh_token": second}, timeout=20)
    assert out.status_code == 204
    again = httpx.post(f"{live.url}/auth/refresh", json={"refresh_token": second}, timeout=20)
    assert again.status_code == 401


def test_the_cookie_refreshes_rotates_and_a_reused_one_ends_the_session(live: Live) -> None:
    _, first = _login(live)
    refreshed = _with_cookie(live, "POST", first, SAME_ORIGIN)
    assert refreshed.status_code == 200, (refreshed.text, live.log())
    assert refreshed.json()["refresh_token"] is None
    second = _cookie(refreshed)[REFRESH_COOKIE].value
    assert second != first
    me = httpx.get(
        f"{live.url}/auth/me",
        headers={"Authorization": f"Bearer {refreshed.json()['access_token']}"},
        timeout=20,
    )
    assert me.status_code == 200
    assert me.json()["email"] == ANALYST

    reused = _with_cookie(live, "POST", first, SAME_ORIGIN)
    assert reused.status_code == 401
    assert reused.headers["content-type"].startswith("application/problem+json")
    cleared = _cookie(reused)[REFRESH_COOKIE]
    assert cleared.value == ""
    assert int(cleared["max-age"]) == 0
    assert _with_cookie(live, "POST", second, SAME_ORIGIN).status_code == 401, (
        "the whole session is revoked on reuse"
    )


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({"Sec-Fetch-Site": "same-origin"}, "X-Requested-With"),
        ({"X-Requested-With": "fetch", "Sec-Fetch-Site": "cross-site"}, "cross-site"),
        ({"X-Requested-With": "fetch", "Sec-Fetch-Site": "same-site"}, "same-site"),
        ({"X-Requested-With": "fetch", "Sec-Fetch-Site": "none"}, "none"),
        ({"X-Requested-With": "fetch", "Origin": "https://evil.example"}, "evil.example"),
        ({"X-Requested-With": "fetch", "Origin": "null"}, "null"),
    ],
)
@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_a_request_that_may_be_forged_is_refused_and_changes_nothing(
    live: Live, method: str, headers: dict[str, str], why: str
) -> None:
    _, token = _login(live)
    refused = _with_cookie(live, method, token, headers)
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert why in refused.json()["detail"]
    assert "set-cookie" not in refused.headers, "a forged request must not clear the cookie"
    still = _with_cookie(live, "POST", token, SAME_ORIGIN)
    assert still.status_code == 200, "the refused request neither used nor revoked the session"


def test_an_origin_of_this_host_passes_without_fetch_metadata(live: Live) -> None:
    _, token = _login(live)
    host = live.url.removeprefix("http://")
    response = _with_cookie(
        live, "POST", token, {"X-Requested-With": "fetch", "Origin": f"http://{host}"}
    )
    assert response.status_code == 200, response.text


def test_a_client_without_a_browsers_headers_needs_only_the_custom_header(live: Live) -> None:
    _, token = _login(live)
    assert _with_cookie(live, "POST", token, {"X-Requested-With": "x"}).status_code == 200


def test_without_a_cookie_or_a_body_the_refresh_is_a_401(live: Live) -> None:
    response = httpx.post(f"{live.url}/auth/refresh", headers=SAME_ORIGIN, timeout=20)
    assert response.status_code == 401
    assert "refresh_token" in response.json()["detail"]


def test_logout_by_cookie_revokes_the_session_and_clears_the_cookie(live: Live) -> None:
    _, token = _login(live)
    out = _with_cookie(live, "DELETE", token, SAME_ORIGIN)
    assert out.status_code == 204, out.text
    cleared = _cookie(out)[REFRESH_COOKIE]
    assert cleared.value == ""
    assert int(cleared["max-age"]) == 0
    assert cleared["path"] == "/auth/refresh"
    assert _with_cookie(live, "POST", token, SAME_ORIGIN).status_code == 401
