"""user identity: a never-reused token subject and a token generation per user; login throttle

Revision ID: 0007_user_identity
Revises: 0006_release_quality

``app_user.subject`` is a random UUID, the ``sub`` of every access token: SQLite reuses a
deleted user's integer id, so a token naming an id could name the next user.
``app_user.token_generation`` is the ``gen`` of every access token; bumping it (disable,
password or role change) makes every verifier refuse the tokens issued before.
``login_throttle`` counts failed logins per (account, client) and replaces the account lockout
(``failed_login_count``, ``locked_until`` stay, unused: SQLite would rebuild the table to drop
them, and the rebuild's DROP would cascade to refresh tokens and API keys).
See docs/security.md.

Existing users get a subject here; access tokens issued before (their ``sub`` an id) are
refused after the upgrade: users log in again, scripts exchange their API keys again.
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_user_identity"
down_revision: str | None = "0006_release_quality"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite adds a NOT NULL column only with a default; plain ALTER TABLE ADD COLUMN, never a
    # table rebuild (see above). The default is dropped again where the database can.
    op.add_column(
        "app_user", sa.Column("subject", sa.String(length=36), nullable=False, server_default="")
    )
    op.add_column(
        "app_user",
        sa.Column("token_generation", sa.Integer(), nullable=False, server_default="0"),
    )
    bind = op.get_bind()
    users = sa.table("app_user", sa.column("id", sa.Integer), sa.column("subject", sa.String))
    for (user_id,) in bind.execute(sa.select(users.c.id)).all():
        bind.execute(
            sa.update(users).where(users.c.id == user_id).values(subject=str(uuid.uuid4()))
        )
    if bind.dialect.name != "sqlite":
        op.alter_column("app_user", "subject", server_default=None)
    op.create_index("ix_app_user_subject", "app_user", ["subject"], unique=True)

    op.create_table(
        "login_throttle",
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("client", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("account", "client", name=op.f("pk_login_throttle")),
    )
    op.create_index(
        "ix_login_throttle_last_failed_at", "login_throttle", ["last_failed_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_login_throttle_last_failed_at", table_name="login_throttle")
    op.drop_table("login_throttle")
    op.drop_index("ix_app_user_subject", table_name="app_user")
    op.drop_column("app_user", "token_generation")
    op.drop_column("app_user", "subject")
