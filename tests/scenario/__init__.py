"""Tests of govsim.scenario: loading, validation, overrides, hashing, input limits."""
