"""Issue 13, finding 9: requests to /api without a valid token are rate-limited per client.

Before, 1,300 requests without a token got 1,300 401s and no 429: tokens could be guessed,
and the gateway verify them, without limit. Now they count against
``PA_RATE_LIMIT_ANONYMOUS_PER_MINUTE`` per client address, in memory (all-in-one) and in Redis
(the gateway of the microservices mode), like logins.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.live import MODES, Live, platform

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]
LIMIT = 5


@pytest.fixture(scope="module", params=MODES)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    env = {"PA_RATE_LIMIT_ANONYMOUS_PER_MINUTE": str(LIMIT)}
    with platform(request.param, tmp_path_factory.mktemp("anon"), env) as running:
        yield running


def test_requests_without_a_token_get_429_after_the_budget(live: Live) -> None:
    # A valid token first: it must not be counted, nor be refused afterwards.
    analyst = live.login()
    responses = [
        httpx.get(f"{live.url}/api/v1/years", timeout=20, headers=headers)
        for headers in [dict[str, str]()] * 3
        + [{"Authorization": "Bearer forged.token.value"}] * (LIMIT + 2)
    ]
    statuses = [r.status_code for r in responses]
    assert statuses[:LIMIT] == [401] * LIMIT, statuses
    assert statuses[LIMIT:] == [429] * (len(statuses) - LIMIT), statuses
    refused = responses[-1]
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.headers["ratelimit-limit"] == str(LIMIT)
    assert responses[0].headers["ratelimit-limit"] == str(LIMIT)
    # The budget is for requests without a valid token: a logged-in client goes on.
    assert httpx.get(f"{live.url}/api/v1/years", headers=analyst, timeout=20).status_code == 200
