"""Tests of govsim.compare: budget options side by side on common random numbers."""
