"""The auth queries: users, refresh tokens, API keys. Functions of a connection, no policy."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from plant_analytics.auth.models import api_key, app_user, refresh_token


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


@dataclass(frozen=True)
class UserRow:
    id: int
    subject: str  # the JWT sub: a random UUID, never reused
    token_generation: int  # the JWT gen: tokens of an older generation are refused
    email: str
    full_name: str | None
    password_hash: str
    role: str
    is_active: bool
    failed_login_count: int
    locked_until: dt.datetime | None
    last_login_at: dt.datetime | None
    created_at: dt.datetime

    @classmethod
    def of(cls, row: sa.Row[Any]) -> UserRow:
        return cls(
            id=row.id,
            subject=row.subject,
            token_generation=row.token_generation,
            email=row.email,
            full_name=row.full_name,
            password_hash=row.password_hash,
            role=row.role,
            is_active=row.is_active,
            failed_login_count=row.failed_login_count,
            locked_until=aware(row.locked_until),
            last_login_at=aware(row.last_login_at),
            created_at=aware(row.created_at),  # type: ignore[arg-type]
        )


@dataclass(frozen=True)
class RefreshRow:
    id: int
    user_id: int
    family_id: str
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    revoked_reason: str | None


def user_by_email(conn: Connection, email: str) -> UserRow | None:
    row = conn.execute(sa.select(app_user).where(app_user.c.email == email)).first()
    return UserRow.of(row) if row else None


def user_by_id(conn: Connection, user_id: int) -> UserRow | None:
    row = conn.execute(sa.select(app_user).where(app_user.c.id == user_id)).first()
    return UserRow.of(row) if row else None


def user_by_subject(conn: Connection, subject: str) -> UserRow | None:
    row = conn.execute(sa.select(app_user).where(app_user.c.subject == subject)).first()
    return UserRow.of(row) if row else None


def list_users(conn: Connection) -> list[UserRow]:
    return [UserRow.of(r) for r in conn.execute(sa.select(app_user).order_by(app_user.c.id))]


def count_active_admins(conn: Connection) -> int:
    query = (
        sa.select(sa.func.count())
        .select_from(app_user)
        .where(app_user.c.role == "admin", app_user.c.is_active.is_(True))
    )
    return int(conn.execute(query).scalar_one())


def insert_user(
    conn: Connection,
    *,
    email: str,
    password_hash: str,
    role: str,
    full_name: str | None,
    now: dt.datetime,
) -> int:
    result = conn.execute(
        sa.insert(app_user)
        .values(
            subject=str(uuid.uuid4()),
            token_generation=0,
            email=email,
            password_hash=password_hash,
            role=role,
            full_name=full_name,
            is_active=True,
            failed_login_count=0,
            created_at=now,
            updated_at=now,
        )
        .returning(app_user.c.id)
    )
    return int(result.scalar_one())


def update_user(conn: Connection, user_id: int, now: dt.datetime, **values: Any) -> None:
    conn.execute(
        sa.update(app_user).where(app_user.c.id == user_id).values(updated_at=now, **values)
    )


def bump_token_generation(conn: Connection, user_id: int, now: dt.datetime) -> None:
    """Every access token issued to the user so far is refused from now on, everywhere."""
    update_user(conn, user_id, now, token_generation=app_user.c.token_generation + 1)


def delete_user(conn: Connection, user_id: int) -> None:
    conn.execute(sa.delete(refresh_token).where(refresh_token.c.user_id == user_id))
    conn.execute(sa.delete(api_key).where(api_key.c.user_id == user_id))
    conn.execute(sa.delete(app_user).where(app_user.c.id == user_id))


def record_failed_login(conn: Connection, user_id: int, now: dt.datetime) -> int:
    """Count one failure atomically (concurrent attempts all count); returns the new total."""
    result = conn.execute(
        sa.update(app_user)
        .where(app_user.c.id == user_id)
        .values(failed_login_count=app_user.c.failed_login_count + 1, last_failed_login_at=now)
        .returning(app_user.c.failed_login_count)
    )
    return int(result.scalar_one())


def insert_refresh_token(
    conn: Connection,
    *,
    user_id: int,
    token_hash: str,
    family_id: str,
    now: dt.datetime,
    expires_at: dt.datetime,
    user_agent: str | None,
) -> None:
    conn.execute(
        sa.insert(refresh_token).values(
            user_id=user_id,
            token_hash=token_hash,
            family_id=family_id,
            issued_at=now,
            expires_at=expires_at,
            user_agent=(user_agent or "")[:300] or None,
        )
    )


def refresh_by_hash(conn: Connection, token_hash: str) -> RefreshRow | None:
    row = conn.execute(
        sa.select(refresh_token).where(refresh_token.c.token_hash == token_hash)
    ).first()
    if row is None:
        return None
    return RefreshRow(
        id=row.id,
        user_id=row.user_id,
        family_id=row.family_id,
        expires_at=aware(row.expires_at),  # type: ignore[arg-type]
        revoked_at=aware(row.revoked_at),
        revoked_reason=row.revoked_reason,
    )


def revoke_refresh(conn: Connection, token_id: int, reason: str, now: dt.datetime) -> bool:
    """Revoke one token if still live; False when someone else got there first."""
    result = conn.execute(
        sa.update(refresh_token)
        .where(refresh_token.c.id == token_id, refresh_token.c.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )
    return result.rowcount == 1


def revoke_family(conn: Connection, family_id: str, reason: str, now: dt.datetime) -> int:
    result = conn.execute(
        sa.update(refresh_token)
        .where(refresh_token.c.family_id == family_id, refresh_token.c.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )
    return result.rowcount


def revoke_user_tokens(conn: Connection, user_id: int, reason: str, now: dt.datetime) -> int:
    result = conn.execute(
        sa.update(refresh_token)
        .where(refresh_token.c.user_id == user_id, refresh_token.c.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )
    return result.rowcount


@dataclass(frozen=True)
class ApiKeyRow:
    id: str
    user_id: int
    owner_email: str
    name: str
    role: str
    secret_hash: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None

    @classmethod
    def of(cls, row: sa.Row[Any]) -> ApiKeyRow:
        return cls(
            id=row.id,
            user_id=row.user_id,
            owner_email=row.email,
            name=row.name,
            role=row.role,
            secret_hash=row.secret_hash,
            created_at=aware(row.created_at),  # type: ignore[arg-type]
            expires_at=aware(row.expires_at),
            last_used_at=aware(row.last_used_at),
            revoked_at=aware(row.revoked_at),
        )


def _api_keys() -> sa.Select[Any]:
    return sa.select(api_key, app_user.c.email).join(app_user, app_user.c.id == api_key.c.user_id)


def insert_api_key(
    conn: Connection,
    *,
    key_id: str,
    user_id: int,
    name: str,
    role: str,
    secret_hash: str,
    now: dt.datetime,
    expires_at: dt.datetime | None,
) -> None:
    conn.execute(
        sa.insert(api_key).values(
            id=key_id,
            user_id=user_id,
            name=name,
            role=role,
            secret_hash=secret_hash,
            created_at=now,
            expires_at=expires_at,
        )
    )


def api_key_by_id(conn: Connection, key_id: str) -> ApiKeyRow | None:
    row = conn.execute(_api_keys().where(api_key.c.id == key_id)).first()
    return ApiKeyRow.of(row) if row else None


def list_api_keys(conn: Connection, user_id: int | None = None) -> list[ApiKeyRow]:
    """One user's keys, or everyone's (None); newest first."""
    query = _api_keys().order_by(api_key.c.created_at.desc(), api_key.c.id)
    if user_id is not None:
        query = query.where(api_key.c.user_id == user_id)
    return [ApiKeyRow.of(r) for r in conn.execute(query)]


def revoke_api_key(conn: Connection, key_id: str, now: dt.datetime) -> bool:
    """Revoke the key if still live; False when it already was."""
    result = conn.execute(
        sa.update(api_key)
        .where(api_key.c.id == key_id, api_key.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return result.rowcount == 1


def touch_api_key(conn: Connection, key_id: str, now: dt.datetime) -> None:
    conn.execute(sa.update(api_key).where(api_key.c.id == key_id).values(last_used_at=now))
