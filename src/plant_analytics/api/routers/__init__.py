"""Thin routes: parse, authorise, call a service, shape the response."""
