"""Auth tables, on the platform's one MetaData (migrations 0002_auth, 0004_api_keys and
0007_user_identity)."""

from __future__ import annotations

import sqlalchemy as sa

from plant_analytics.db.tables import Timestamp, metadata

app_user = sa.Table(
    "app_user",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),  # for admins' URLs; SQLite may reuse it
    # The JWT ``sub``: a random UUID, never reused (a deleted user's id may be, on SQLite).
    sa.Column("subject", sa.String(36), nullable=False),
    # In every access token (``gen``); bumped when the user is disabled or their password or
    # role changes, so every verifier refuses the tokens issued before (security/subjects.py).
    sa.Column("token_generation", sa.Integer, nullable=False, server_default="0"),
    sa.Column("email", sa.String(320), nullable=False, unique=True),  # stored lower-cased
    sa.Column("full_name", sa.Text),
    sa.Column("password_hash", sa.Text, nullable=False),  # argon2id, PHC string
    sa.Column("role", sa.String(16), nullable=False),  # admin | analyst | viewer
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    # Unused since 0007 (failed logins are counted per account and client in login_throttle);
    # kept so that the table is not rebuilt (SQLite would cascade the rebuild's DROP).
    sa.Column("failed_login_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_failed_login_at", Timestamp),
    sa.Column("locked_until", Timestamp),
    sa.Column("last_login_at", Timestamp),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.CheckConstraint("role IN ('admin', 'analyst', 'viewer')", name="role"),
    sa.Index("ix_app_user_subject", "subject", unique=True),
)

# Failed logins per (account, client): the throttle of auth/throttle.py. ``account`` is the
# SHA-256 of the lower-cased e-mail, whether or not such a user exists, so that unknown and
# known accounts are throttled alike; ``client`` is the address auth saw (router.client_address).
login_throttle = sa.Table(
    "login_throttle",
    metadata,
    sa.Column("account", sa.String(64), primary_key=True),
    sa.Column("client", sa.String(200), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_failed_at", Timestamp, nullable=False),
    sa.Column("blocked_until", Timestamp),
    sa.Index("ix_login_throttle_last_failed_at", "last_failed_at"),
)

refresh_token = sa.Table(
    "refresh_token",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "user_id",
        sa.Integer,
        sa.ForeignKey("app_user.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),  # sha256 hex
    sa.Column("family_id", sa.String(32), nullable=False, index=True),  # one login's lineage
    sa.Column("issued_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
    sa.Column("revoked_at", Timestamp),
    sa.Column("revoked_reason", sa.String(32)),  # rotated | logout | reuse | admin
    sa.Column("user_agent", sa.Text),
)

api_key = sa.Table(
    "api_key",
    metadata,
    # The public part of the key (pa_<id>_<secret>): 16 hex characters, how it is looked up.
    sa.Column("id", sa.String(16), primary_key=True),
    sa.Column(
        "user_id",
        sa.Integer,
        sa.ForeignKey("app_user.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),  # at most the owner's role
    sa.Column("secret_hash", sa.String(64), nullable=False),  # sha256 hex of the whole key
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp),  # NULL: until revoked
    sa.Column("last_used_at", Timestamp),
    sa.Column("revoked_at", Timestamp),
    sa.CheckConstraint("role IN ('admin', 'analyst', 'viewer')", name="role"),
)
