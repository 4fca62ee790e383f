"""Tests of govsim.sweep: sweep files, samplers, the store, executors, limits."""
