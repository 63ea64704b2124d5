"""Queries, and nothing else: SQLAlchemy Core over the level tables and releases."""
