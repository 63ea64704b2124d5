"""The gateway: the one public entry. Routes, verifies tokens, rate-limits, serves the dashboard."""
