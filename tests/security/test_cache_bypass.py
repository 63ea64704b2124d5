"""Issue 13, finding 13: ``Cache-Control: no-cache`` is honoured for admins only, within a
budget of their own.

Before, anyone could send it and make every request a database query (5,206 -> 1,353 req/s).
Now an analyst's no-cache request is answered from the cache (the cache key holds the data
version, so it is as fresh as the data); an admin's is computed afresh, and counts against
``PA_RATE_LIMIT_NO_CACHE_PER_MINUTE`` at the gateway.

The proof that the cache answered: a row is changed in the database behind the API's back
(no new release, so the data version and the cache key stay the same).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa

from plant_analytics.db.engine import make_engine
from plant_analytics.db.tables import level_table
from tests.support.live import MODES, Live, platform

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]
SAMPLE = "plnt2022_subset_NE_MROW_SPPN_SPPS.csv"
NO_CACHE_LIMIT = 3
PATH = "/api/v1/plants?state=NE&limit=1&sort=plant_id_eia"


@pytest.fixture(scope="module", params=MODES)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    env = {"PA_RATE_LIMIT_NO_CACHE_PER_MINUTE": str(NO_CACHE_LIMIT)}
    tmp = tmp_path_factory.mktemp("nocache")
    with platform(request.param, tmp, env, samples=(SAMPLE,)) as running:
        yield running


def _rename_first_plant(live: Live, plant_id: int, name: str) -> None:
    engine = make_engine(live.database_url)
    table = level_table("plant")
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.update(table).where(table.c.plant_id_eia == plant_id).values(plant_name=name)
            )
    finally:
        engine.dispose()


def test_only_an_admin_can_bypass_the_cache(live: Live) -> None:
    analyst, admin = live.login(), live.admin()
    first = httpx.get(live.url + PATH, headers=analyst, timeout=20)
    assert first.status_code == 200, first.text
    row = first.json()["data"][0]
    _rename_first_plant(live, row["plant_id_eia"], "Renamed behind the cache")

    bypass = {**analyst, "Cache-Control": "no-cache"}
    again = httpx.get(live.url + PATH, headers=bypass, timeout=20)
    assert again.status_code == 200
    assert again.json()["data"][0]["plant_name"] == row["plant_name"]  # from the cache

    fresh = httpx.get(live.url + PATH, headers={**admin, "Cache-Control": "no-cache"}, timeout=20)
    assert fresh.status_code == 200
    assert fresh.json()["data"][0]["plant_name"] == "Renamed behind the cache"


def test_an_admins_no_cache_requests_have_a_budget(live: Live) -> None:
    admin = {**live.admin(), "Cache-Control": "no-cache"}
    statuses = [
        httpx.get(live.url + "/api/v1/years", headers=admin, timeout=20).status_code
        for _ in range(NO_CACHE_LIMIT + 2)
    ]
    assert 429 in statuses, statuses
    assert statuses[0] == 200
    # Cached requests are not counted against it.
    plain = {k: v for k, v in admin.items() if k != "Cache-Control"}
    assert httpx.get(live.url + "/api/v1/years", headers=plain, timeout=20).status_code == 200
