"""Tests of govsim.sim: the year, the horizon, the engines, contracts, queueing theory."""
