"""Is the account behind a verified token still the one that got it? Checked on every use.

An access token names its user by ``sub``, a random UUID stored in ``app_user.subject`` and
never reused, and carries ``gen``, the user's ``token_generation`` when it was issued. Auth
bumps the generation when a user is disabled or their password or role changes, and deleting
a user removes the row. So a token is current only while a row with its ``sub`` exists, is
active, and has its ``gen``: one indexed lookup, in every process that holds the database
(targets ``all``, ``auth`` and ``api``), on every request, the verified-token cache included.
The gateway alone holds no database: what it forwards reaches auth or the API, which check.
"""

from __future__ import annotations

import logging
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

GONE = "this account no longer exists; log in again"
DISABLED = "this account is disabled"
STALE = (
    "this token was revoked: the account's password, role or status changed since it was "
    "issued; log in again"
)


class SubjectCheckUnavailableError(Exception):
    """The check could not be made (the database is down); the token is refused for now."""


class SubjectCheck(Protocol):
    def refusal(self, subject: str, generation: int | None) -> str | None:
        """Why a token of ``subject`` at ``generation`` is refused, or None when it is current.

        Raises ``SubjectCheckUnavailableError`` when it cannot tell."""
        ...


class DatabaseSubjects:
    """The check against ``app_user``: one primary-key-like (unique index) lookup."""

    def __init__(self, engine: Engine) -> None:
        from plant_analytics.auth.models import app_user

        self.engine = engine
        self._query = sa.select(app_user.c.token_generation, app_user.c.is_active).where(
            app_user.c.subject == sa.bindparam("subject")
        )

    def refusal(self, subject: str, generation: int | None) -> str | None:
        try:
            with self.engine.connect() as conn:
                row = conn.execute(self._query, {"subject": subject}).first()
        except SQLAlchemyError as exc:
            log.warning("cannot check a token's account: %s", exc)
            raise SubjectCheckUnavailableError(
                "the token's account cannot be checked right now; retry shortly"
            ) from None
        if row is None:
            return GONE
        if not row.is_active:
            return DISABLED
        if generation != row.token_generation:
            return STALE
        return None


class DeferredSubjects:
    """A check that another component provides once it starts (auth, with its database);
    until then, none. The verifier of target ``all`` and ``auth`` is made before auth starts."""

    def __init__(self) -> None:
        self.check: SubjectCheck | None = None

    def refusal(self, subject: str, generation: int | None) -> str | None:
        check = self.check
        return None if check is None else check.refusal(subject, generation)
