"""Adapters to infrastructure (the cache), each with an embedded and a networked backend."""
