"""Auth tables, on the platform's one MetaData (migrations 0002_auth and 0004_api_keys)."""

from __future__ import annotations

import sqlalchemy as sa

from plant_analytics.db.tables import Timestamp, metadata

app_user = sa.Table(
    "app_user",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(320), nullable=False, unique=True),  # stored lower-cased
    sa.Column("full_name", sa.Text),
    sa.Column("password_hash", sa.Text, nullable=False),  # argon2id, PHC string
    sa.Column("role", sa.String(16), nullable=False),  # admin | analyst | viewer
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("failed_login_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_failed_login_at", Timestamp),
    sa.Column("locked_until", Timestamp),
    sa.Column("last_login_at", Timestamp),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.CheckConstraint("role IN ('admin', 'analyst', 'viewer')", name="role"),
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
