"""Plant Analytics: the eGRID analytics platform."""

__version__ = "0.1.0"
