"""The API's logic: plain functions of (engine, parameters) returning response bodies."""
