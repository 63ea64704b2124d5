"""Fetching EPA's eGRID releases by the release catalogue (egrid/data/releases.csv)."""
