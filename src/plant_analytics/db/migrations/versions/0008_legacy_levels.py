"""legacy levels: boilers, power control areas, generating and parent companies; old plant codes

Revision ID: 0008_legacy_levels
Revises: 0007_user_identity

eGRID editions before eGRID2014 published levels that no longer exist: boilers (BLR, before
units), power control areas (PCA, before balancing authorities), electric generating
companies (EGC) and parent companies (PRNT). Each is stored as its own level, with the
columns of its map in egrid/data/columns/. The plant table gets the plant codes of those
editions that have no current equivalent (FRSID, OPPRNUM/OPPRNAME, PCAID/PCANAME, CCFLAG,
NUMBLR, and LON as published up to 2000: degrees west, positive). See docs/data-drift.md.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008_legacy_levels"
down_revision: str | None = "0007_user_identity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "egrid_boiler",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("data_year", sa.Integer(), nullable=False),
        sa.Column("record_key", sa.Text(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=False),
        sa.Column(
            "extra",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("plant_name", sa.Text(), nullable=True, comment="Plant name"),
        sa.Column(
            "plant_id_eia",
            sa.BigInteger(),
            nullable=True,
            comment="DOE/EIA ORIS plant or facility code",
        ),
        sa.Column("boiler_id", sa.Text(), nullable=True, comment="Boiler ID"),
        sa.Column("primary_fuel", sa.Text(), nullable=True, comment="Boiler primary fuel"),
        sa.Column(
            "unadjusted_heat_input_mmbtu",
            sa.Double(),
            nullable=True,
            comment="Boiler unadjusted annual heat input (MMBtu)",
        ),
        sa.Column(
            "unadjusted_nox_tons",
            sa.Double(),
            nullable=True,
            comment="Boiler unadjusted annual NOx emissions (tons)",
        ),
        sa.Column(
            "unadjusted_so2_tons",
            sa.Double(),
            nullable=True,
            comment="Boiler unadjusted annual SO2 emissions (tons)",
        ),
        sa.Column(
            "unadjusted_co2_tons",
            sa.Double(),
            nullable=True,
            comment="Boiler unadjusted annual CO2 emissions (tons)",
        ),
        sa.Column(
            "operating_hours",
            sa.Double(),
            nullable=True,
            comment="Boiler operating hours (code from eGRID2010 / data year 2007)",
        ),
        sa.Column("operating_year", sa.BigInteger(), nullable=True, comment="Boiler year on-line"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_egrid_boiler")),
        sa.UniqueConstraint("data_year", "record_key", name="uq_egrid_boiler_year_key"),
        comment="Boilers (eGRID2002-eGRID2012; replaced by units from eGRID2014), unadjusted values",
    )
    op.create_index(
        "ix_egrid_boiler_year_plant_id_eia",
        "egrid_boiler",
        ["data_year", "plant_id_eia"],
        unique=False,
    )
    op.create_table(
        "egrid_egc",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("data_year", sa.Integer(), nullable=False),
        sa.Column("record_key", sa.Text(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=False),
        sa.Column(
            "extra",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "egc_id",
            sa.BigInteger(),
            nullable=True,
            comment="Electric generating company (operator) ID; code as on the plant sheet (inferred for the EGC sheet)",
        ),
        sa.Column(
            "egc_name",
            sa.Text(),
            nullable=True,
            comment="Electric generating company (operator) name; code as on the plant sheet (inferred for the EGC sheet)",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_egrid_egc")),
        sa.UniqueConstraint("data_year", "record_key", name="uq_egrid_egc_year_key"),
        comment="Electric generating companies (operator-based company aggregation, eGRID2002-eGRID2007)",
    )
    op.create_table(
        "egrid_parent_company",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("data_year", sa.Integer(), nullable=False),
        sa.Column("record_key", sa.Text(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=False),
        sa.Column(
            "extra",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "parent_company_id",
            sa.BigInteger(),
            nullable=True,
            comment="Plant operator's parent company ID; code as on the plant sheet (inferred for the parent company sheet)",
        ),
        sa.Column(
            "parent_company_name",
            sa.Text(),
            nullable=True,
            comment="Plant operator's parent company name; code as on the plant sheet (inferred for the parent company sheet)",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_egrid_parent_company")),
        sa.UniqueConstraint("data_year", "record_key", name="uq_egrid_parent_company_year_key"),
        comment="Parent companies (eGRID2002-eGRID2007)",
    )
    op.create_table(
        "egrid_pca",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("data_year", sa.Integer(), nullable=False),
        sa.Column("record_key", sa.Text(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=False),
        sa.Column(
            "extra",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "pca_id",
            sa.BigInteger(),
            nullable=True,
            comment="Power control area ID (EIA utility code of the control area operator)",
        ),
        sa.Column("pca_name", sa.Text(), nullable=True, comment="Power control area name"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_egrid_pca")),
        sa.UniqueConstraint("data_year", "record_key", name="uq_egrid_pca_year_key"),
        comment="Power control areas (eGRID2002-eGRID2012; replaced by balancing authorities from eGRID2014)",
    )
    op.add_column(
        "egrid_plant",
        sa.Column(
            "frs_id",
            sa.Text(),
            nullable=True,
            comment="EPA Facility Registry Service ID (seen in data years 2004 and 2012)",
        ),
    )
    op.add_column(
        "egrid_plant",
        sa.Column(
            "parent_company_id",
            sa.BigInteger(),
            nullable=True,
            comment="Plant operator's parent company ID (seen in data years 2004 and 2009)",
        ),
    )
    op.add_column(
        "egrid_plant",
        sa.Column(
            "parent_company_name",
            sa.Text(),
            nullable=True,
            comment="Plant operator's parent company name (seen in data years 2004 and 2009)",
        ),
    )
    op.add_column(
        "egrid_plant",
        sa.Column(
            "pca_id",
            sa.BigInteger(),
            nullable=True,
            comment="Power control area ID (balancing authorities replace PCAs from data year 2014)",
        ),
    )
    op.add_column(
        "egrid_plant",
        sa.Column("pca_name", sa.Text(), nullable=True, comment="Power control area name"),
    )
    op.add_column(
        "egrid_plant",
        sa.Column(
            "west_longitude",
            sa.Double(),
            nullable=True,
            comment="Plant longitude as published up to data year 2000: degrees west as a positive number (negate for longitude)",
        ),
    )
    op.add_column(
        "egrid_plant",
        sa.Column(
            "cc_flag",
            sa.Text(),
            nullable=True,
            comment="CCFLAG as published in data year 2009 (meaning not established from the technical guide; likely a combined-cycle flag)",
        ),
    )
    op.add_column(
        "egrid_plant",
        sa.Column(
            "boiler_count",
            sa.BigInteger(),
            nullable=True,
            comment="Number of boilers (units replace boilers from data year 2014)",
        ),
    )


def downgrade() -> None:
    with op.batch_alter_table("egrid_plant") as batch:
        batch.drop_column("boiler_count")
        batch.drop_column("cc_flag")
        batch.drop_column("west_longitude")
        batch.drop_column("pca_name")
        batch.drop_column("pca_id")
        batch.drop_column("parent_company_name")
        batch.drop_column("parent_company_id")
        batch.drop_column("frs_id")
    op.drop_table("egrid_pca")
    op.drop_table("egrid_parent_company")
    op.drop_table("egrid_egc")
    op.drop_index("ix_egrid_boiler_year_plant_id_eia", table_name="egrid_boiler")
    op.drop_table("egrid_boiler")
