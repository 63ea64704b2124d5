"""Downloading one catalogue file with httpx: streamed, resumable, verified.

The bytes go to ``<PA_DATA_DIR>/fetch/<file_id>.part``; a JSON sidecar keeps the URL and the
validators (ETag, Last-Modified) the server sent, so that an interrupted download resumes
with ``Range`` + ``If-Range`` and a changed file starts again from zero. Only a complete
file, whose size and SHA-256 match what is expected, leaves this module: a partial download
is never handed on. httpx reads ``HTTPS_PROXY``, ``HTTP_PROXY`` and ``NO_PROXY`` from the
environment (``trust_env``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

log = logging.getLogger(__name__)
ProgressFn = Callable[[int, int | None], None]  # (bytes so far, total or None)


class FetchError(Exception):
    """A download that did not give a complete, verified file; the message says what to do."""


class DownloadUnavailableError(FetchError):
    """The server could not be reached or refused the file (offline, 404, 500 ...)."""


class VerificationError(FetchError):
    """The file arrived but is not the one the catalogue describes (size or SHA-256)."""


@dataclass
class Downloaded:
    path: Path
    sha256: str
    size: int
    etag: str | None
    last_modified: str | None
    resumed_from: int = 0


@dataclass
class Validators:
    etag: str | None = None
    last_modified: str | None = None


def manual_hint(url: str, file_name: str) -> str:
    return (
        f"download it by hand from {url} (a browser, or `curl -LO {url}`), then load it with "
        f"`plant-analytics ingest {file_name}`"
    )


def client(timeout: float) -> httpx.Client:
    return httpx.Client(
        timeout=httpx.Timeout(timeout),
        follow_redirects=True,
        trust_env=True,  # HTTPS_PROXY / HTTP_PROXY / NO_PROXY
        headers={"User-Agent": "plant-analytics-fetch (+https://www.epa.gov/egrid)"},
    )


def _sidecar(part: Path) -> Path:
    return part.with_name(part.name + ".json")


def _read_sidecar(part: Path) -> dict[str, str | None]:
    try:
        data = json.loads(_sidecar(part).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def discard(part: Path) -> None:
    for path in (part, _sidecar(part)):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def download(
    url: str,
    part: Path,
    *,
    file_name: str,
    expected_size: int | None,
    expected_sha256: str | None,
    timeout: float = 60.0,
    retries: int = 3,
    progress: ProgressFn | None = None,
) -> Downloaded:
    """Download ``url`` to ``part`` (resuming what is there), verify it, return it.

    A dropped connection is resumed up to ``retries`` times; a server that refuses ranges
    gets the file again from zero. Raises :class:`DownloadUnavailableError` or
    :class:`VerificationError` (the partial file is removed) with what to do instead.
    """
    part.parent.mkdir(parents=True, exist_ok=True)
    attempts = 0
    resumed: list[int] = [0]  # the largest offset a request resumed from
    with client(timeout) as http:
        while True:
            try:
                _fetch_into(http, url, part, progress, resumed)
                break
            except DownloadUnavailableError as exc:
                moved = (
                    " (EPA may have moved it: https://www.epa.gov/egrid lists the current files)"
                    if " answered 404" in str(exc) or " answered 410" in str(exc)
                    else ""
                )
                raise DownloadUnavailableError(
                    f"{exc}{moved}. {manual_hint(url, file_name).capitalize()}"
                ) from None
            except (httpx.TransportError, _DroppedError) as exc:
                attempts += 1
                have = part.stat().st_size if part.exists() else 0
                if attempts > retries:
                    raise DownloadUnavailableError(
                        f"cannot download {url}: {_reason(exc)}"
                        + (f" ({have} bytes kept; `fetch` again resumes)" if have else "")
                        + f". Offline or blocked? {manual_hint(url, file_name)}"
                    ) from None
                log.warning("download of %s interrupted at %d bytes (%s); resuming", url, have, exc)
    return _verify(url, part, file_name, expected_size, expected_sha256, resumed[0])


class _DroppedError(Exception):
    """The body ended before the length the server announced."""


def _reason(exc: Exception) -> str:
    if isinstance(exc, httpx.ConnectError):
        return f"the connection was refused or the host is unreachable ({exc})"
    if isinstance(exc, httpx.TimeoutException):
        return "the server did not answer in time"
    return str(exc) or exc.__class__.__name__


def _fetch_into(
    http: httpx.Client, url: str, part: Path, progress: ProgressFn | None, resumed: list[int]
) -> None:
    """One request: resume ``part`` if it can, else start again."""
    meta = _read_sidecar(part)
    have = part.stat().st_size if part.exists() and meta.get("url") == url else 0
    if have == 0:
        discard(part)
    headers = {"Accept-Encoding": "identity"}
    if have:
        headers["Range"] = f"bytes={have}-"
        validator = meta.get("etag") or meta.get("last_modified")
        if validator:
            headers["If-Range"] = validator
    with http.stream("GET", url, headers=headers) as response:
        if response.status_code == 416 and have:
            # The range is past the end: what we hold is stale or complete; start again.
            discard(part)
            _fetch_into(http, url, part, progress, resumed)
            return
        if response.status_code >= 400:
            raise DownloadUnavailableError(
                f"{url} answered {response.status_code} {response.reason_phrase}"
            )
        resuming = response.status_code == 206 and have > 0
        if not resuming:
            have = 0
        resumed[0] = max(resumed[0], have)
        total = _total(response, have)
        _sidecar(part).write_text(
            json.dumps(
                {
                    "url": url,
                    "etag": response.headers.get("etag"),
                    "last_modified": response.headers.get("last-modified"),
                }
            ),
            "utf-8",
        )
        written = have
        with part.open("ab" if resuming else "wb") as out:
            if progress:
                progress(written, total)
            for chunk in response.iter_bytes():  # as read: a drop loses nothing
                out.write(chunk)
                written += len(chunk)
                if progress:
                    progress(written, total)
        if total is not None and written < total:
            raise _DroppedError(f"the connection closed after {written} of {total} bytes")


def _total(response: httpx.Response, offset: int) -> int | None:
    if response.status_code == 206:
        content_range = response.headers.get("content-range", "")
        _, _, size = content_range.rpartition("/")
        if size.isdigit():
            return int(size)
    length = response.headers.get("content-length")
    return offset + int(length) if length and length.isdigit() else None


def _verify(
    url: str,
    part: Path,
    file_name: str,
    expected_size: int | None,
    expected_sha256: str | None,
    resumed_from: int,
) -> Downloaded:
    digest = hashlib.sha256()
    size = 0
    with part.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    sha = digest.hexdigest()
    meta = _read_sidecar(part)
    problem = None
    if expected_size is not None and size != expected_size:
        problem = f"{size} bytes where the catalogue expects {expected_size}"
    elif expected_sha256 is not None and sha != expected_sha256.lower():
        problem = f"SHA-256 {sha} where the catalogue expects {expected_sha256}"
    if problem:
        discard(part)
        raise VerificationError(
            f"{url} is not the file the catalogue describes: {problem}. Nothing was loaded. "
            "If EPA has re-issued the file, update its row in the release catalogue; "
            f"or {manual_hint(url, file_name)} after checking it"
        )
    return Downloaded(
        part, sha, size, meta.get("etag"), meta.get("last_modified"), resumed_from=resumed_from
    )


def check(
    url: str, known: Validators, *, timeout: float = 30.0
) -> tuple[bool, Validators, int | None]:
    """Has the file at ``url`` changed since ``known``? (changed, its validators, its size).

    A HEAD with ``If-None-Match`` / ``If-Modified-Since``; a server that does not allow HEAD
    gets the same conditional GET, closed before its body. 304 means unchanged.
    """
    headers = {"Accept-Encoding": "identity"}
    if known.etag:
        headers["If-None-Match"] = known.etag
    if known.last_modified:
        headers["If-Modified-Since"] = known.last_modified
    with client(timeout) as http:
        response = http.head(url, headers=headers)
        if response.status_code in (405, 501):
            with http.stream("GET", url, headers=headers) as streamed:
                response = streamed
        if response.status_code == 304:
            return False, known, None
        if response.status_code >= 400:
            raise DownloadUnavailableError(
                f"{url} answered {response.status_code} {response.reason_phrase}"
            )
        seen = Validators(response.headers.get("etag"), response.headers.get("last-modified"))
        length = response.headers.get("content-length")
        size = int(length) if length and length.isdigit() else None
    if seen.etag and known.etag:
        return seen.etag != known.etag, seen, size
    if seen.last_modified and known.last_modified:
        return seen.last_modified != known.last_modified, seen, size
    return True, seen, size
