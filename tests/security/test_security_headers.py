"""Issue 13, finding 5: security headers on every response, in both modes.

The dashboard's pages carry its strict Content-Security-Policy (no inline script, nothing from
elsewhere, no framing); API, auth and ops answers carry ``default-src 'none'`` with
``frame-ancestors 'none'``; every answer has ``nosniff`` and a ``Referrer-Policy``; HSTS comes
when the request came over TLS, which a proxy of ``PA_TRUSTED_PROXIES`` reports with
``X-Forwarded-Proto`` (and nobody else can claim).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from plant_analytics.ops.headers import API_POLICY, HSTS, source_hash
from tests.support.live import MODES, Live, platform

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]
INDEX = (
    '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script>'
    "</head><body><div id=root></div></body></html>"
)


def _policy(response: httpx.Response) -> dict[str, str]:
    return {
        name: value
        for name, _, value in (
            part.strip().partition(" ")
            for part in response.headers["content-security-policy"].split(";")
        )
    }


@pytest.fixture(scope="module", params=MODES)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("headers")
    dist = tmp / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX)
    (dist / "assets" / "index-abc123.js").write_text("console.log('dashboard')\n")
    env = {"PA_DASHBOARD_DIR": str(dist), "PA_TRUSTED_PROXIES": "127.0.0.1"}
    with platform(request.param, tmp, env) as running:
        yield running


def _assert_common(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "strict-transport-security" not in response.headers, "plain http: no HSTS"
    for name in ("content-security-policy", "x-content-type-options", "referrer-policy"):
        assert len(response.headers.get_list(name)) == 1, f"{name} sent twice"


@pytest.mark.parametrize("path", ["/", "/map?year=2022", "/plants/3", "/assets/index-abc123.js"])
def test_the_dashboard_has_a_strict_policy(live: Live, path: str) -> None:
    response = httpx.get(f"{live.url}{path}", timeout=20)
    assert response.status_code == 200
    _assert_common(response)
    policy = _policy(response)
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'", "no inline or remote script, no eval"
    assert policy["style-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert "unsafe" not in response.headers["content-security-policy"]


def test_the_placeholder_page_allows_only_its_own_style(tmp_path: Path) -> None:
    from plant_analytics.gateway.dashboard import PLACEHOLDER, PLACEHOLDER_POLICY

    style = re.search(r"<style>(.*?)</style>", PLACEHOLDER, re.S)
    assert style is not None
    assert f"style-src 'self' {source_hash(style.group(1).encode())};" in PLACEHOLDER_POLICY
    assert "script-src 'self';" in PLACEHOLDER_POLICY
    assert "frame-ancestors 'none'" in PLACEHOLDER_POLICY


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/years"),
        ("GET", "/auth/me"),
        ("POST", "/auth/login"),
        ("GET", "/.well-known/jwks.json"),
        ("GET", "/openapi.json"),
        ("GET", "/health"),
        ("GET", "/api/nothing-here"),
        ("GET", "/auth/nothing-here"),
    ],
)
def test_api_and_auth_answers_cannot_be_framed_or_sniffed(
    live: Live, method: str, path: str
) -> None:
    response = httpx.request(method, f"{live.url}{path}", json={}, timeout=20)
    _assert_common(response)
    assert response.headers["content-security-policy"] == API_POLICY


def test_an_authenticated_api_answer_has_them_too(live: Live) -> None:
    response = httpx.get(f"{live.url}/api/v1/years", headers=live.login(), timeout=20)
    assert response.status_code == 200
    _assert_common(response)
    assert response.headers["content-security-policy"] == API_POLICY


def test_the_api_docs_page_runs_only_its_own_inline_script(live: Live) -> None:
    response = httpx.get(f"{live.url}/docs", timeout=20)
    assert response.status_code == 200
    _assert_common(response)
    policy = _policy(response)
    inline = re.findall(r"<script>(.*?)</script>", response.text, re.S)
    assert inline, "Swagger UI's page has an inline script"
    sources = policy["script-src"].split()
    assert all(source_hash(script.encode()) in sources for script in inline)
    assert "'unsafe-inline'" not in sources
    assert policy["frame-ancestors"] == "'none'"
    assert policy["default-src"] == "'none'"


def test_hsts_when_a_trusted_proxy_says_the_request_came_over_tls(live: Live) -> None:
    for path in ("/", "/api/v1/years", "/auth/me"):
        response = httpx.get(
            f"{live.url}{path}", headers={"X-Forwarded-Proto": "https"}, timeout=20
        )
        assert response.headers.get("strict-transport-security") == HSTS, path
        assert len(response.headers.get_list("strict-transport-security")) == 1


def test_no_hsts_when_an_untrusted_client_claims_tls(tmp_path: Path) -> None:
    with platform("all", tmp_path) as untrusting:  # PA_TRUSTED_PROXIES empty: nobody is believed
        response = httpx.get(
            f"{untrusting.url}/health", headers={"X-Forwarded-Proto": "https"}, timeout=20
        )
        assert response.status_code == 200
        assert "strict-transport-security" not in response.headers
        assert response.headers["x-content-type-options"] == "nosniff"


def test_an_oversized_body_refused_at_the_door_has_them_too(live: Live) -> None:
    response = httpx.post(
        f"{live.url}/auth/login",
        content=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
        timeout=20,
    )
    assert response.status_code == 413
    _assert_common(response)
