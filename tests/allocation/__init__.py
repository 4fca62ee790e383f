"""Tests of govsim.allocation: the ordered-goal LP, its rules, solvers and funds."""
