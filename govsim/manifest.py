"""Deprecated: the manifest builder lives in :mod:`govsim.output.manifest` (one release)."""

from __future__ import annotations

from govsim.output.manifest import (
    KEY_PACKAGES,
    command_line,
    manifest_json,
    package_versions,
    scenario_record,
    utc_now,
)

__all__ = ["KEY_PACKAGES", "command_line", "manifest_json", "package_versions", "scenario_record",
           "utc_now"]
