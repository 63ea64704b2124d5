"""``/api/v1/ingestions``: upload, sniffing, limits, and following a run (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from plant_analytics.infra.queue import Job
from plant_analytics.pipeline import api
from plant_analytics.pipeline.service import Pipeline, process_job
from plant_analytics.problems import install_problem_handlers
from plant_analytics.security.deps import require_principal
from plant_analytics.security.principal import Principal, Role
from tests.pipeline.support import count_rows, make_settings
from tests.support.archives import write_zip
from tests.support.legacy_xls import write_xls

ADMIN = Principal(subject="1", email="admin@plantanalytics.com", role=Role.ADMIN)
VIEWER = Principal(subject="2", email="viewer@plantanalytics.com", role=Role.VIEWER)
URL = "/api/v1/ingestions"


class Client:
    def __init__(self, app: FastAPI, pipeline: Pipeline, data_dir: Path) -> None:
        self.app = app
        self.http = TestClient(app)
        self.pipeline = pipeline
        self.data_dir = data_dir
        self.principal = ADMIN

    def upload(self, name: str, content: bytes, **fields: Any) -> Any:
        return self.http.post(URL, files={"file": (name, content, "text/csv")}, data=fields)


@pytest.fixture
def client(engine: Engine, tmp_path: Path) -> Client:
    settings = make_settings(tmp_path, engine, max_upload_bytes=2_000_000)
    pipeline = Pipeline.from_settings(settings, engine=engine)
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(api.router)
    holder = Client(app, pipeline, settings.data_dir)
    app.dependency_overrides[require_principal] = lambda: holder.principal
    app.dependency_overrides[api.get_pipeline] = lambda: pipeline
    return holder


def files_under(path: Path) -> set[Path]:
    return {p for p in path.rglob("*") if p.is_file()} if path.exists() else set()


def test_upload_queues_a_run_that_a_worker_completes(
    client: Client, samples: Path, engine: Engine
) -> None:
    content = (samples / "gen2023_6col.csv").read_bytes()
    response = client.upload("gen2023_6col.csv", content)
    assert response.status_code == 202, response.text
    body = response.json()
    run_id = body["id"]
    assert body["status"] == "queued"
    assert response.headers["location"] == f"{URL}/{run_id}"
    assert client.pipeline.store.exists(body["storage_key"])
    assert client.http.get(f"{URL}/{run_id}").json()["status"] == "queued"

    assert client.pipeline.queue.depth() == (1, 0)
    process_job(client.pipeline, Job(run_id))

    run = client.http.get(f"{URL}/{run_id}").json()
    assert run["status"] == "succeeded", run["message"]
    assert run["progress"] == 1.0
    assert run["counts"]["rows_loaded"] == count_rows(engine, "generator", 2023) > 20_000
    assert run["counts"]["datasets"][0]["level"] == "generator"
    assert run["storage_key"].startswith("processed/")
    assert run["requested_by"] == "api:admin@plantanalytics.com"
    listing = client.http.get(URL).json()
    assert [r["id"] for r in listing["data"]] == [run_id]
    assert listing["meta"]["count"] == 1
    assert listing["meta"]["next_cursor"] is None


def test_errors_name_file_row_and_column(client: Client, samples: Path) -> None:
    lines = (samples / "st2022.csv").read_text(encoding="utf-8-sig").splitlines()
    header = next(i for i, line in enumerate(lines) if "STNGENAN" in line.split(","))
    column = lines[header].split(",").index("STNGENAN")
    row = lines[header + 3].split(",")
    row[column] = "lots"
    lines[header + 3] = ",".join(row)
    response = client.upload("st2022_broken.csv", "\n".join(lines).encode())
    assert response.status_code == 202, response.text
    outcome = process_job(client.pipeline, Job(response.json()["id"]))
    assert outcome.verdict.value == "dead"
    run = client.http.get(f"{URL}/{response.json()['id']}").json()
    assert run["status"] == "failed"
    assert run["storage_key"].startswith("failed/")
    error = run["errors"][0]
    assert (error["file"], error["row"], error["column"]) == (
        "st2022_broken.csv",
        header + 4,
        "STNGENAN",
    )
    assert "lots" in error["reason"]


def test_same_file_twice_while_queued_is_one_run(client: Client, samples: Path) -> None:
    content = (samples / "us2022.csv").read_bytes()
    first = client.upload("us2022.csv", content).json()
    second = client.upload("us2022 copy.csv", content).json()
    assert second["id"] == first["id"]
    assert second["duplicate_of_active_run"] is True


def test_only_admins_upload(client: Client, samples: Path) -> None:
    client.principal = VIEWER
    response = client.upload("us2022.csv", (samples / "us2022.csv").read_bytes())
    assert response.status_code == 403
    assert client.http.get(URL).status_code == 200, "any signed-in user may follow runs"
    assert files_under(client.data_dir / "storage" / "incoming") == set()


def test_upload_over_the_size_limit_is_413_and_leaves_nothing(client: Client) -> None:
    response = client.upload("huge.csv", b"a,b\n" + b"1,2\n" * 600_000)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert "PA_MAX_UPLOAD_BYTES" in response.json()["detail"]
    assert files_under(client.data_dir) == set()


def test_size_limit_holds_without_content_length(client: Client) -> None:
    """A chunked upload (no Content-Length) is cut off at the limit while it streams."""
    boundary = "pa-boundary"

    def body() -> Iterator[bytes]:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            'filename="stream.csv"\r\nContent-Type: text/csv\r\n\r\n'
        ).encode()
        for _ in range(40):
            yield b"1,2\n" * 25_000
        yield f"\r\n--{boundary}--\r\n".encode()

    response = client.http.post(
        URL, content=body(), headers={"content-type": f"multipart/form-data; boundary={boundary}"}
    )
    assert response.status_code == 413
    assert files_under(client.data_dir) == set()


def zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (50 * 1024 * 1024))
    return buffer.getvalue()


def test_zip_bomb_disguised_as_xlsx_is_refused(client: Client) -> None:
    bomb = zip_bomb()
    assert len(bomb) < 200_000
    response = client.upload("egrid2023_data.xlsx", bomb)
    assert response.status_code == 422
    assert "zip bomb" in response.json()["detail"]
    assert files_under(client.data_dir) == set()


@pytest.mark.parametrize(
    "name", ["../../etc/passwd", "../../../tmp/evil.csv", "..\\..\\evil.csv", "/etc/cron.d/evil"]
)
def test_path_traversal_names_are_refused(client: Client, name: str, tmp_path: Path) -> None:
    before = files_under(tmp_path)
    response = client.upload(name, b"a,b\n1,2\n")
    assert response.status_code == 400, response.text
    assert "path" in response.json()["detail"]
    assert files_under(tmp_path) == before
    assert files_under(client.data_dir) == set()


def test_a_zip_of_a_release_and_a_legacy_xls_upload_and_load(
    client: Client, samples: Path, engine: Engine, tmp_path: Path
) -> None:
    members = {
        "egrid/us2022.csv": (samples / "us2022.csv").read_bytes(),
        "egrid/st2022.csv": (samples / "st2022.csv").read_bytes(),
    }
    archive = write_zip(tmp_path / "egrid2022.zip", members)
    xls = write_xls(
        tmp_path / "eGRID2009_data.xls",
        {"PLNT09": [["ORISPL", "PSTATABB", "PNAME", "PLNGENAN"], [3, "AL", "Barry", 1.5]]},
    )
    for path, kind in ((archive, "zip"), (xls, "xls")):
        response = client.upload(path.name, path.read_bytes())
        assert response.status_code == 202, response.text
        outcome = process_job(client.pipeline, Job(response.json()["id"]))
        run = client.http.get(f"{URL}/{response.json()['id']}").json()
        assert run["status"] == "succeeded", (kind, run["message"], outcome)
    assert count_rows(engine, "us", 2022) == 1
    assert count_rows(engine, "state", 2022) == 52
    assert count_rows(engine, "plant", 2009) == 1


def test_a_zip_bomb_archive_is_refused_at_upload(client: Client) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("egrid/plnt.csv", b"\0" * (50 * 1024 * 1024))
    response = client.upload("egrid.zip", buffer.getvalue())
    assert response.status_code == 422
    assert "zip bomb" in response.json()["detail"]
    assert files_under(client.data_dir) == set()


def test_binary_content_is_refused(client: Client) -> None:
    response = client.upload("data.csv", bytes(range(256)) * 10)
    assert response.status_code == 415
    assert files_under(client.data_dir) == set()


def test_upload_needs_a_file_part(client: Client) -> None:
    response = client.http.post(URL, data={"level": "plant"}, files={"other": ("x", b"y")})
    assert response.status_code == 400
    assert client.http.post(URL, json={"file": "x"}).status_code == 415


def test_unknown_run_is_404_problem(client: Client) -> None:
    response = client.http.get(f"{URL}/999999")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_list_pages_with_a_cursor(client: Client, samples: Path) -> None:
    ids = [
        client.upload(name, (samples / name).read_bytes()).json()["id"]
        for name in ("us2022.csv", "st2022.csv", "srl2022.csv")
    ]
    first = client.http.get(URL, params={"limit": 2}).json()
    assert set(first) == {"data", "meta"}  # the API's one list shape (docs/api.md)
    assert [r["id"] for r in first["data"]] == ids[::-1][:2]
    assert first["meta"]["count"] == 2
    assert first["meta"]["limit"] == 2
    second = client.http.get(URL, params={"limit": 2, "cursor": first["meta"]["next_cursor"]})
    assert [r["id"] for r in second.json()["data"]] == [ids[0]]
    assert second.json()["meta"] == {
        "count": 1,
        "next_cursor": None,
        "limit": 2,
        "source": "ingestion_run",
    }
    queued = client.http.get(URL, params={"status": ["queued", "failed"]}).json()
    assert len(queued["data"]) == 3 == queued["meta"]["count"]
    assert client.http.get(URL, params={"cursor": "!!"}).status_code == 400
