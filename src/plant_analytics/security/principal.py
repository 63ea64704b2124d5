"""Who is calling: what the gateway and the API know of an authenticated caller."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Role(enum.StrEnum):
    ADMIN = "admin"
    ANALYST = "analyst"
    VIEWER = "viewer"


@dataclass(frozen=True)
class Principal:
    subject: str  # the user's never-reused UUID (JWT "sub", app_user.subject)
    email: str
    role: Role
    generation: int | None = None  # the user's token generation when issued (JWT "gen")

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN
