"""Tests of govsim.cli: every subcommand's arguments, exit codes and messages."""
