"""Request and response bodies of the auth routes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from plant_analytics.auth.api_keys import KEY_FORMAT
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
    refresh_token_in: Literal["body", "cookie"] = Field(
        default="body",
        description="Where the refresh token goes: in the answer's body (scripts), or in an "
        "`HttpOnly; Secure; SameSite=Strict` cookie that only `/auth/refresh` receives "
        "(browsers: scripts of the page never see it).",
    )


class TokenResponse(BaseModel):
    access_token: str = Field(description="JWT (EdDSA); send as `Authorization: Bearer …`.")
    refresh_token: str | None = Field(
        description="Opaque, single use: POST it to /auth/refresh. `null` when it was set as "
        "the session cookie instead."
    )
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int = Field(description="Seconds until the access token expires.", examples=[3600])


class RefreshRequest(BaseModel):
    refresh_token: Annotated[str, Field(min_length=1, max_length=512)]


class UserOut(BaseModel):
    id: int
    subject: str = Field(
        description="The user's never-reused identifier: the `sub` of their tokens, the "
        "`user` of log lines."
    )
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


EXAMPLE_KEY_ID = "3f9a1c0d5e7b2a46"
EXAMPLE_KEY = f"pa_{EXAMPLE_KEY_ID}_" + "q8Xr2VbN0sLkT5yH7mWc9eJd3uPfA1gZ6oRiK4nBt_E"


def _in_the_future(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)  # a time without a zone is UTC
    if value <= dt.datetime.now(dt.UTC):
        raise ValueError("must be in the future")
    return value


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {"name": "nightly export", "role": "viewer", "expires_at": "2030-01-01T00:00:00Z"}
            ]
        },
    )
    name: Annotated[
        str,
        Field(min_length=1, max_length=100, description="What the key is for, to recognise it."),
    ]
    role: Role | None = Field(
        default=None, description="The key's role: yours (the default) or lower, never higher."
    )
    expires_at: Annotated[
        dt.datetime | None,
        Field(description="When the key stops working (UTC when no zone is given); none: never."),
        AfterValidator(_in_the_future),
    ] = None


class ApiKeyOut(BaseModel):
    id: str = Field(
        description="The key's public id (the part after `pa_`).", examples=[EXAMPLE_KEY_ID]
    )
    prefix: str = Field(
        description="How the key begins, to recognise it.", examples=[f"pa_{EXAMPLE_KEY_ID}"]
    )
    name: str = Field(examples=["nightly export"])
    user_id: int = Field(description="The owner.")
    owner_email: str = Field(examples=["analyst@plantanalytics.com"])
    role: Role
    status: Literal["active", "expired", "revoked"]
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None = Field(description="The last successful exchange.")
    revoked_at: dt.datetime | None


class ApiKeyCreated(ApiKeyOut):
    api_key: str = Field(
        description="The key. Shown this once and never again: store it now, like a password.",
        examples=[EXAMPLE_KEY],
    )


class ApiKeyList(BaseModel):
    data: list[ApiKeyOut]


class ApiKeyExchange(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"api_key": EXAMPLE_KEY}]})
    api_key: Annotated[str, Field(max_length=512, description=f"An API key: {KEY_FORMAT}.")]


class AccessTokenResponse(BaseModel):
    access_token: str = Field(description="JWT (EdDSA); send as `Authorization: Bearer …`.")
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int = Field(
        description="Seconds until the access token expires (less when the key expires sooner).",
        examples=[3600],
    )
