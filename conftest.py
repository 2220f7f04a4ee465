"""Loads the DR audit pytest plugin (options, row items, reports)."""

pytest_plugins = ["dr_audit.plugin"]
