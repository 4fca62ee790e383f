"""Tests of govsim.pipeline: the simulation-optimisation year loop and its figures."""
