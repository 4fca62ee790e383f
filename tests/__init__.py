"""govsim's tests: one folder per room of the package (tests/README.md says the layout rule)."""
