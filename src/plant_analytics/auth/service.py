"""Auth logic: login with a per-(account, client) throttle, refresh rotation with reuse
detection, users, and API keys exchanged for access tokens.

Services raise ``AuthError``s; routers turn them into problem+json.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import uuid
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from plant_analytics.auth import repository as repo
from plant_analytics.auth import throttle
from plant_analytics.auth.api_keys import (
    KEY_FORMAT,
    FailureThrottle,
    hash_api_key,
    matches,
    new_api_key,
    parse_key_id,
)
from plant_analytics.auth.keys import KeyStore, get_keystore
from plant_analytics.auth.repository import ApiKeyRow, UserRow
from plant_analytics.auth.throttle import LoginPolicy, account_key
from plant_analytics.auth.tokens import hash_refresh_token, issue_access_token, new_refresh_token
from plant_analytics.security.principal import Principal, Role
from plant_analytics.security.subjects import DatabaseSubjects
from plant_analytics.settings import (
    DEFAULT_ADMIN_PASSWORD,
    Environment,
    Settings,
    get_settings,
)

log = logging.getLogger(__name__)
hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile


class AuthError(Exception):
    status = 400
    type_ = "auth"

    def __init__(
        self, detail: str, *, retry_after: int | None = None, delay_seconds: float = 0.0
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after
        self.delay_seconds = delay_seconds  # how long the router waits before answering


class InvalidCredentialsError(AuthError):
    status, type_ = 401, "invalid-credentials"


class LoginThrottledError(AuthError):
    status, type_ = 429, "rate-limited"


class InvalidRefreshTokenError(AuthError):
    status, type_ = 401, "invalid-refresh-token"


class UserNotFoundError(AuthError):
    status, type_ = 404, "user-not-found"


class EmailTakenError(AuthError):
    status, type_ = 409, "email-taken"


class LastAdminError(AuthError):
    status, type_ = 409, "last-admin"


class InvalidApiKeyError(AuthError):
    status, type_ = 401, "invalid-api-key"


class ApiKeyThrottledError(AuthError):
    status, type_ = 429, "rate-limited"


class ApiKeyNotFoundError(AuthError):
    status, type_ = 404, "api-key-not-found"


class ApiKeyRoleError(AuthError):
    status, type_ = 403, "forbidden"


class AccountDisabledError(AuthError):
    status, type_ = 401, "account-disabled"


ROLE_RANK = {Role.VIEWER: 0, Role.ANALYST: 1, Role.ADMIN: 2}


def lower_role(a: Role | str, b: Role | str) -> Role:
    """The role with fewer rights of the two."""
    return min(Role(a), Role(b), key=ROLE_RANK.__getitem__)


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret


@dataclass(frozen=True)
class AccessToken:
    """An access token alone: what an API key is exchanged for (the key is the long-lived part)."""

    access_token: str
    expires_in: int
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret


def hash_password(password: str) -> str:
    return hasher.hash(password)


@cache
def _dummy_hash() -> str:
    return hasher.hash(uuid.uuid4().hex)


def _verify_password(password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _when(moment: dt.datetime) -> str:
    return f"{moment.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"


def _wait(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    return f"{minutes} minutes"


class AuthService:
    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        keystore: KeyStore | None = None,
        policy: LoginPolicy | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.keystore = keystore or get_keystore(settings)
        self.policy = policy or LoginPolicy.from_settings(settings)
        _dummy_hash()  # made now, so that the first unknown e-mail costs no more than others
        # This process's local verifiers (targets all and auth) check every token's account
        # in this database: deleted, disabled or changed users' tokens stop at once.
        self.keystore.subjects.check = DatabaseSubjects(engine)
        # Failed API-key exchanges per client address (this replica's memory).
        self.key_throttle = FailureThrottle()

    # -- sessions ------------------------------------------------------------------------

    def login(
        self,
        email: str,
        password: str,
        user_agent: str | None = None,
        client: str = "unknown",
    ) -> TokenPair:
        """Tokens for the right password of an active user.

        Whether the account exists shows neither in the answer nor in its timing: an unknown
        e-mail costs the same argon2 verification (of a dummy hash), is counted and throttled
        per (account, client) like a known one, and gets the same 401 after the same delay.
        A client with too many recent failures for this account gets 429 until it may try
        again; other clients are not affected (auth/throttle.py)."""
        email = email.strip().lower()
        account = account_key(email)
        now = _now()
        with self.engine.begin() as conn:
            wait = throttle.blocked_for(conn, account, client, now)
            user = repo.user_by_email(conn, email) if wait is None else None
        if wait is not None:
            raise self._throttled(wait)
        # Hash outside the transaction: argon2 takes tens of milliseconds.
        ok = _verify_password(user.password_hash if user else _dummy_hash(), password)
        if not (ok and user is not None and user.is_active):
            raise self._failed_login(account, client, now)
        with self.engine.begin() as conn:
            values: dict[str, object] = {"last_login_at": now}
            if hasher.check_needs_rehash(user.password_hash):
                values["password_hash"] = hash_password(password)
            repo.update_user(conn, user.id, now, **values)
            throttle.clear_client(conn, account, client)
            return self._issue(conn, user, uuid.uuid4().hex, now, user_agent)

    def _failed_login(self, account: str, client: str, now: dt.datetime) -> AuthError:
        """Count the failure (committed: the caller raises what this returns). The same for
        unknown accounts, so neither the answer nor the work done tells them apart."""
        with self.engine.begin() as conn:
            failures, wait = throttle.record_failure(conn, account, client, now, self.policy)
        if wait:
            log.warning(
                "failed logins: client must wait",
                extra={"client": client, "failures": failures, "wait_seconds": wait},
            )
        return InvalidCredentialsError(
            "wrong email or password", delay_seconds=self.policy.delay(failures)
        )

    def _throttled(self, wait: int) -> LoginThrottledError:
        return LoginThrottledError(
            f"too many failed logins for this account from this client: retry in "
            f"{_wait(wait)}. Other devices are not affected; an administrator can clear "
            "the failures",
            retry_after=wait,
        )

    def _issue(
        self,
        conn: Connection,
        user: UserRow,
        family_id: str,
        now: dt.datetime,
        user_agent: str | None,
    ) -> TokenPair:
        refresh = new_refresh_token()
        repo.insert_refresh_token(
            conn,
            user_id=user.id,
            token_hash=hash_refresh_token(refresh),
            family_id=family_id,
            now=now,
            expires_at=now + dt.timedelta(seconds=self.settings.refresh_token_ttl_seconds),
            user_agent=user_agent,
        )
        access = issue_access_token(
            self.keystore,
            self.settings,
            subject=user.subject,
            email=user.email,
            role=user.role,
            generation=user.token_generation,
            now=now,
        )
        return TokenPair(access, refresh, self.settings.access_token_ttl_seconds)

    def refresh(self, token: str, user_agent: str | None = None) -> TokenPair:
        now = _now()
        with self.engine.begin() as conn:
            row = repo.refresh_by_hash(conn, hash_refresh_token(token))
            if row is None:
                raise InvalidRefreshTokenError("unknown refresh token; log in again")
            if row.revoked_at is not None and row.revoked_reason != "rotated":
                raise InvalidRefreshTokenError(
                    f"this refresh token was revoked ({row.revoked_reason}); log in again"
                )
            if row.revoked_at is None and row.expires_at <= now:
                raise InvalidRefreshTokenError("this refresh token has expired; log in again")
            # A rotated token shown again, or a concurrent refresh that lost the race: reuse.
            if row.revoked_at is None and repo.revoke_refresh(conn, row.id, "rotated", now):
                user = repo.user_by_id(conn, row.user_id)
                if user is None or not user.is_active:
                    raise InvalidRefreshTokenError("this account is disabled")
                return self._issue(conn, user, row.family_id, now, user_agent)
        with self.engine.begin() as conn:
            revoked = repo.revoke_family(conn, row.family_id, "reuse", now)
        log.warning(
            "refresh token reuse: session revoked",
            extra={"user_id": row.user_id, "family_id": row.family_id, "tokens_revoked": revoked},
        )
        raise InvalidRefreshTokenError(
            "this refresh token was already used, so it may have been stolen: the session is "
            "revoked; log in again"
        )

    def logout(self, token: str) -> None:
        """Revoke the session (the refresh token's family). Unknown tokens are ignored."""
        with self.engine.begin() as conn:
            row = repo.refresh_by_hash(conn, hash_refresh_token(token))
            if row is not None:
                repo.revoke_family(conn, row.family_id, "logout", _now())

    # -- users ---------------------------------------------------------------------------

    def get_user(self, user_id: int) -> UserRow:
        with self.engine.connect() as conn:
            user = repo.user_by_id(conn, user_id)
        if user is None:
            raise UserNotFoundError(f"no user with id {user_id}")
        return user

    def current_user(self, principal: Principal) -> UserRow:
        """The user a verified token names (by its never-reused subject), while the token is
        still theirs: refused once they are deleted, disabled, or their token generation moved
        on (the verifiers check this too; here it holds even without them)."""
        with self.engine.connect() as conn:
            user = repo.user_by_subject(conn, principal.subject)
        if user is None:
            raise AccountDisabledError("this account no longer exists; log in again")
        if not user.is_active:
            raise AccountDisabledError("this account is disabled")
        if principal.generation != user.token_generation:
            raise AccountDisabledError(
                "this token was revoked: the account's password, role or status changed "
                "since it was issued; log in again"
            )
        return user

    def list_users(self) -> list[UserRow]:
        with self.engine.connect() as conn:
            return repo.list_users(conn)

    def create_user(
        self, email: str, password: str, role: Role, full_name: str | None = None
    ) -> UserRow:
        email = email.strip().lower()
        password_hash = hash_password(password)
        try:
            with self.engine.begin() as conn:
                user_id = repo.insert_user(
                    conn,
                    email=email,
                    password_hash=password_hash,
                    role=role.value,
                    full_name=full_name,
                    now=_now(),
                )
        except IntegrityError:
            raise EmailTakenError(f"a user with email {email} already exists") from None
        return self.get_user(user_id)

    def update_user(
        self,
        user_id: int,
        *,
        password: str | None = None,
        role: Role | None = None,
        is_active: bool | None = None,
        full_name: str | None = None,
    ) -> UserRow:
        now = _now()
        values: dict[str, object] = {}
        if password is not None:
            values["password_hash"] = hash_password(password)
        if role is not None:
            values["role"] = role.value
        if is_active is not None:
            values["is_active"] = is_active
        if full_name is not None:
            values["full_name"] = full_name
        with self.engine.begin() as conn:
            user = repo.user_by_id(conn, user_id)
            if user is None:
                raise UserNotFoundError(f"no user with id {user_id}")
            losing_admin = (
                user.role == "admin"
                and user.is_active
                and ((role is not None and role is not Role.ADMIN) or is_active is False)
            )
            if losing_admin and repo.count_active_admins(conn) <= 1:
                raise LastAdminError("this is the last active admin: make another admin first")
            if values:
                repo.update_user(conn, user_id, now, **values)
            if password is not None or is_active is False or role is not None:
                # Refresh tokens and, through the generation, access tokens (and those
                # obtained with the user's API keys) stop at once.
                repo.revoke_user_tokens(conn, user_id, "admin", now)
                repo.bump_token_generation(conn, user_id, now)
        return self.get_user(user_id)

    def unlock_user(self, user_id: int) -> UserRow:
        """Clear the user's failed logins from every client: each may try again at once."""
        with self.engine.begin() as conn:
            user = repo.user_by_id(conn, user_id)
            if user is None:
                raise UserNotFoundError(f"no user with id {user_id}")
            cleared = throttle.clear_account(conn, account_key(user.email))
            repo.update_user(conn, user_id, _now(), failed_login_count=0, locked_until=None)
        log.info("failed logins cleared", extra={"user_id": user_id, "clients": cleared})
        return self.get_user(user_id)

    def delete_user(self, user_id: int) -> None:
        with self.engine.begin() as conn:
            user = repo.user_by_id(conn, user_id)
            if user is None:
                raise UserNotFoundError(f"no user with id {user_id}")
            if user.role == "admin" and user.is_active and repo.count_active_admins(conn) <= 1:
                raise LastAdminError("this is the last active admin: make another admin first")
            repo.delete_user(conn, user_id)

    # -- API keys ------------------------------------------------------------------------

    def create_api_key(
        self,
        owner_id: int,
        name: str,
        role: Role | None = None,
        expires_at: dt.datetime | None = None,
    ) -> tuple[ApiKeyRow, str]:
        """A new key for the owner and the key itself, which is not kept: show it once.

        The key's role is the owner's by default and can never exceed it (the owner's role
        as stored now, not as their token says)."""
        with self.engine.begin() as conn:
            owner = repo.user_by_id(conn, owner_id)
            if owner is None or not owner.is_active:
                raise AccountDisabledError("this account is disabled or no longer exists")
            wanted = role or Role(owner.role)
            if ROLE_RANK[wanted] > ROLE_RANK[Role(owner.role)]:
                raise ApiKeyRoleError(
                    f"an API key cannot have more rights than its owner: your role is "
                    f"{owner.role}, so the key's role can be {owner.role} or lower, "
                    f"not {wanted.value}"
                )
            new = new_api_key()
            repo.insert_api_key(
                conn,
                key_id=new.id,
                user_id=owner.id,
                name=name,
                role=wanted.value,
                secret_hash=new.secret_hash,
                now=_now(),
                expires_at=expires_at,
            )
            row = repo.api_key_by_id(conn, new.id)
        assert row is not None
        log.info(
            "API key created", extra={"user_id": owner.id, "api_key_id": row.id, "role": row.role}
        )
        return row, new.key

    def list_api_keys(self, user_id: int | None) -> list[ApiKeyRow]:
        """One user's keys (revoked and expired ones included), or everyone's (None)."""
        with self.engine.connect() as conn:
            return repo.list_api_keys(conn, user_id)

    def revoke_api_key(self, key_id: str, owner_id: int | None) -> ApiKeyRow:
        """Revoke a key of ``owner_id`` (None: anyone's, for admins). Revoking twice is fine."""
        now = _now()
        with self.engine.begin() as conn:
            row = repo.api_key_by_id(conn, key_id)
            if row is None or (owner_id is not None and row.user_id != owner_id):
                # Someone else's key is "not found": ids of others' keys are not confirmed.
                mine = "you have" if owner_id is not None else "there is"
                raise ApiKeyNotFoundError(f"{mine} no API key {key_id}")
            if repo.revoke_api_key(conn, key_id, now):
                log.info("API key revoked", extra={"user_id": row.user_id, "api_key_id": key_id})
            row = repo.api_key_by_id(conn, key_id)
        assert row is not None
        return row

    def exchange_api_key(self, key: str, address: str) -> AccessToken:
        """An access token for the key's owner, with the key's role (or the owner's current
        role, when lower). Failures are slowed down like failed logins and counted per client
        address; too many within a minute are refused (429) before the key is even looked at.
        """
        wait = self.key_throttle.retry_after(address)
        if wait is not None:
            raise ApiKeyThrottledError(
                f"too many failed API key exchanges from this address; retry in {wait} s",
                retry_after=wait,
            )
        now = _now()
        key = key.strip()
        key_id = parse_key_id(key)
        if key_id is None:
            raise self._failed_exchange(
                address, f"malformed API key: an API key looks like {KEY_FORMAT}"
            )
        with self.engine.begin() as conn:
            row = repo.api_key_by_id(conn, key_id)
            if row is None:
                matches(key, hash_api_key(""))  # the same work as a real comparison
                raise self._failed_exchange(
                    address, "invalid API key: no such key, or the secret does not match"
                )
            if not matches(key, row.secret_hash):
                raise self._failed_exchange(
                    address,
                    "invalid API key: no such key, or the secret does not match",
                    key_id,
                )
            # The caller holds the real key from here on: the reasons can be told.
            if row.revoked_at is not None:
                raise self._failed_exchange(
                    address,
                    f"this API key was revoked on {_when(row.revoked_at)}; create a new one",
                    key_id,
                )
            if row.expires_at is not None and row.expires_at <= now:
                raise self._failed_exchange(
                    address,
                    f"this API key expired on {_when(row.expires_at)}; create a new one",
                    key_id,
                )
            user = repo.user_by_id(conn, row.user_id)
            if user is None or not user.is_active:
                raise self._failed_exchange(
                    address, "the owner of this API key is disabled", key_id
                )
            repo.touch_api_key(conn, row.id, now)
        ttl = self.settings.access_token_ttl_seconds
        if row.expires_at is not None:  # no token outlives its key
            ttl = max(1, min(ttl, math.ceil((row.expires_at - now).total_seconds())))
        token = issue_access_token(
            self.keystore,
            self.settings,
            subject=user.subject,
            email=user.email,
            role=lower_role(row.role, user.role).value,
            generation=user.token_generation,
            now=now,
            ttl_seconds=ttl,
            api_key_id=row.id,
        )
        return AccessToken(token, ttl)

    def _failed_exchange(
        self, address: str, detail: str, key_id: str | None = None
    ) -> InvalidApiKeyError:
        failures = self.key_throttle.record(address)
        log.warning(
            "API key exchange refused: %s",
            detail,
            extra={"api_key_id": key_id, "client": address, "failures": failures},
        )
        return InvalidApiKeyError(detail, delay_seconds=self.policy.delay(failures))


def ensure_admin(engine: Engine, settings: Settings | None = None) -> list[str]:
    """Create the first admin if missing; the lines say what happened (never a real password).

    Development: the demo login (PA_ADMIN_EMAIL / PA_ADMIN_PASSWORD, by default
    admin@plantanalytics.com / password123). Elsewhere: PA_ADMIN_EMAIL / PA_ADMIN_PASSWORD,
    and never the demo password.
    """
    settings = settings or get_settings()
    email = settings.admin_email.strip().lower()
    password = settings.admin_password.get_secret_value()
    development = settings.env is Environment.DEVELOPMENT
    with engine.connect() as conn:
        existing = repo.user_by_email(conn, email)
    if existing is None:
        if not development and password == DEFAULT_ADMIN_PASSWORD:
            return [
                f"no admin created: set PA_ADMIN_PASSWORD (the demo password is for "
                f"development only; PA_ENV={settings.env.value})"
            ]
        with engine.begin() as conn:
            repo.insert_user(
                conn,
                email=email,
                password_hash=hash_password(password),
                role=Role.ADMIN.value,
                full_name="Administrator",
                now=_now(),
            )
        if not development:
            return [f"admin user {email} created"]
    if development and (existing is None or _verify_password(existing.password_hash, password)):
        return [f"demo login: {email} / {password}"]
    return []
