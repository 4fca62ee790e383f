"""Outputs on disk: atomic files (:mod:`~govsim.output.files`) and output folders
(:mod:`~govsim.output.folders`), shared by every subcommand that writes."""

from __future__ import annotations

from govsim.output.files import open_append, real_folder, sha256_file, write_atomic
from govsim.output.folders import (
    KINDS,
    MANIFEST,
    OutputFolder,
    Staging,
    clean_stale,
    folder_kind,
    prepare_folder,
)

__all__ = [
    "KINDS",
    "MANIFEST",
    "OutputFolder",
    "Staging",
    "clean_stale",
    "folder_kind",
    "open_append",
    "prepare_folder",
    "real_folder",
    "sha256_file",
    "write_atomic",
]
