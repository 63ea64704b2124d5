"""Opaque, signed cursors for keyset pagination.

A cursor is ``base64url(json([sort, last sort value, last row id])) + "." + signature``:
clients pass it back unchanged; a cursor edited by hand or made for another sort is a 422.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

import orjson

from plant_analytics.api.errors import invalid

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


@dataclass(frozen=True)
class Position:
    """Where the previous page ended: its last row's sort value and id."""

    sort: str
    value: Any
    row_id: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(key: bytes, payload: str) -> str:
    return _b64(
        hmac.new(key, payload.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()[:16]
    )


def encode_cursor(key: bytes, position: Position) -> str:
    payload = _b64(orjson.dumps([position.sort, position.value, position.row_id]))
    return f"{payload}.{_sign(key, payload)}"


def decode_cursor(key: bytes, cursor: str | None, sort: str) -> Position | None:
    """The position a cursor stands for; 422 naming ``cursor`` if it is not one of ours."""
    if not cursor:
        return None
    payload, _, signature = cursor.partition(".")
    # Compared as bytes: compare_digest refuses str with non-ASCII characters (a TypeError,
    # which was a 500), and a cursor of ours is ASCII.
    if not signature or not hmac.compare_digest(
        signature.encode("utf-8", "surrogatepass"), _sign(key, payload).encode()
    ):
        raise invalid("cursor", "not a cursor this API issued; pass next_cursor back unchanged")
    try:
        sort_spec, value, row_id = orjson.loads(_unb64(payload))
    except (ValueError, TypeError) as exc:
        raise invalid("cursor", "unreadable cursor; pass next_cursor back unchanged") from exc
    if sort_spec != sort:
        raise invalid(
            "cursor", f"the cursor was made for sort={sort_spec or '(default)'}; keep the same sort"
        )
    return Position(sort=sort_spec, value=value, row_id=int(row_id))
