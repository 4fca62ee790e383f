"""Tests of govsim.output: run and compare folders, report, plots, fonts, manifests."""
