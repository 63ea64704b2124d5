"""The analytics API (target ``api``): eGRID plants, generators, units, regions, aggregates."""
