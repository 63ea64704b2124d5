"""Request and response bodies of the auth routes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from plant_analytics.security.principal import Role

PASSWORD_MIN_LENGTH = 8


def _email(value: str) -> str:
    value = value.strip().lower()
    local, _, domain = value.partition("@")
    if not local or "." not in domain or " " in value:
        raise ValueError("is not an email address")
    return value


Email = Annotated[
    str, Field(max_length=320, examples=["admin@plantanalytics.com"]), AfterValidator(_email)
]
Password = Annotated[str, Field(min_length=PASSWORD_MIN_LENGTH, max_length=1024)]


class LoginRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"email": "admin@plantanalytics.com", "password": "password123"}]
        }
    )
    email: Email
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class TokenResponse(BaseModel):
    access_token: str = Field(description="JWT (EdDSA); send as `Authorization: Bearer …`.")
    refresh_token: str = Field(description="Opaque, single use: POST it to /auth/refresh.")
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int = Field(description="Seconds until the access token expires.", examples=[3600])


class RefreshRequest(BaseModel):
    refresh_token: Annotated[str, Field(min_length=1, max_length=512)]


class UserOut(BaseModel):
    id: int
    email: str
    full_name: str | None
    role: Role
    is_active: bool
    created_at: dt.datetime
    last_login_at: dt.datetime | None
    locked_until: dt.datetime | None


class UserList(BaseModel):
    data: list[UserOut]


class UserCreate(BaseModel):
    email: Email
    password: Password
    role: Role = Role.VIEWER
    full_name: str | None = None


class UserUpdate(BaseModel):
    password: Password | None = None
    role: Role | None = None
    is_active: bool | None = None
    full_name: str | None = None
