"""Outputs rendered from the audit's findings: the JSON contract and HTML."""
