"""Tests of govsim.uncertainty: the Latin-hypercube design, bands, drivers, sampled runs."""
