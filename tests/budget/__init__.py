"""Tests of govsim.budget: money needed against the caps (hand-solved, properties, checks)."""
