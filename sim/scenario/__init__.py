"""Scenario files: TOML with ``extends`` and overrides, validated against the parameter declarations."""
