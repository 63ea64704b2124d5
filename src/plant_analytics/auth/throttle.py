"""Failed logins, counted per (account, client) in the database: the login throttle.

OWASP's authentication cheat sheet warns that locking an account after N failures lets
anyone lock anyone out. So failures are counted per *pair*: the account (the SHA-256 of the
lower-cased e-mail, whether or not such a user exists, so that the answer does not tell) and
the client address auth saw. Past ``free_failures`` failures a pair must wait, twice as long
after each further failure (capped); while it waits, that client is answered ``429`` with
``Retry-After`` for that account, without a password check. Every other client, the owner's
included, still logs in; a success from a client clears that client's count; an admin
clears an account's counts (``POST /auth/users/{id}/unlock``).

The count lives in the database (``login_throttle``, migration 0007) so that every auth
replica sees it, and is updated with one atomic upsert, so parallel guesses all count.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from plant_analytics.auth.models import login_throttle
from plant_analytics.auth.repository import aware
from plant_analytics.settings import Settings

CLIENT_MAX_CHARS = 200


def account_key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


@dataclass(frozen=True)
class LoginPolicy:
    """How failed logins are braked, per (account, client).

    Each failure is answered after ``delay`` (base·2^(n-1) s, capped): a tarpit. The first
    ``max_failures - 1`` failures cost only that; from the ``max_failures``-th on, the client
    must wait ``first_wait_seconds`` before trying that account again, doubled per further
    failure, at most ``lockout_seconds``. A pair's count starts again ``forget_after_seconds``
    after its last failure. Nothing here ever refuses another client."""

    max_failures: int = 5
    lockout_seconds: int = 900
    base_delay_seconds: float = 0.5
    max_delay_seconds: float = 4.0
    first_wait_seconds: int = 30
    forget_after_seconds: int = 24 * 3600

    def delay(self, failures: int) -> float:
        delay: float = self.base_delay_seconds * 2.0 ** max(failures - 1, 0)
        return min(delay, self.max_delay_seconds)

    def wait(self, failures: int) -> int:
        """Seconds the client must wait after its ``failures``-th failure (0: none)."""
        if failures < self.max_failures:
            return 0
        wait = self.first_wait_seconds * 2 ** (failures - self.max_failures)
        return int(min(self.lockout_seconds, wait))

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginPolicy:
        return cls(
            max_failures=settings.login_max_failures, lockout_seconds=settings.login_lockout_seconds
        )


def _insert(conn: Connection) -> postgresql.Insert | sqlite.Insert:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(login_throttle)
    return sqlite.insert(login_throttle)


def blocked_for(conn: Connection, account: str, client: str, now: dt.datetime) -> int | None:
    """Seconds this client must still wait before trying this account, or None."""
    until = conn.execute(
        sa.select(login_throttle.c.blocked_until).where(
            login_throttle.c.account == account,
            login_throttle.c.client == client[:CLIENT_MAX_CHARS],
        )
    ).scalar_one_or_none()
    until = aware(until)
    if until is None or until <= now:
        return None
    return max(1, int((until - now).total_seconds() + 0.999))


def record_failure(
    conn: Connection, account: str, client: str, now: dt.datetime, policy: LoginPolicy
) -> tuple[int, int]:
    """Count one failure of (account, client) atomically; returns (failures, wait seconds)."""
    client = client[:CLIENT_MAX_CHARS]
    forget = now - dt.timedelta(seconds=policy.forget_after_seconds)
    insert = _insert(conn).values(account=account, client=client, failures=1, last_failed_at=now)
    statement = insert.on_conflict_do_update(
        index_elements=[login_throttle.c.account, login_throttle.c.client],
        set_={
            "failures": sa.case(
                (login_throttle.c.last_failed_at < forget, 1),
                else_=login_throttle.c.failures + 1,
            ),
            "last_failed_at": now,
        },
    ).returning(login_throttle.c.failures)
    failures = int(conn.execute(statement).scalar_one())
    wait = policy.wait(failures)
    if wait:
        conn.execute(
            sa.update(login_throttle)
            .where(login_throttle.c.account == account, login_throttle.c.client == client)
            .values(blocked_until=now + dt.timedelta(seconds=wait))
        )
    if random.random() < 0.01:  # when to sweep stale rows, not a secret
        conn.execute(sa.delete(login_throttle).where(login_throttle.c.last_failed_at < forget))
    return failures, wait


def clear_client(conn: Connection, account: str, client: str) -> None:
    conn.execute(
        sa.delete(login_throttle).where(
            login_throttle.c.account == account,
            login_throttle.c.client == client[:CLIENT_MAX_CHARS],
        )
    )


def clear_account(conn: Connection, account: str) -> int:
    result = conn.execute(sa.delete(login_throttle).where(login_throttle.c.account == account))
    return result.rowcount
