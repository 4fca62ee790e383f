"""Tests of the [mechanisms] of the policy documents: off changes nothing, on moves."""
