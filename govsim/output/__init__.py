"""The output room: everything govsim writes for a reader, each service once.

- :mod:`~govsim.output.files` — THE atomic writer (``write_atomic``, ``write_csv``,
  ``CSV_ENCODING``), links refused;
- :mod:`~govsim.output.folders` — output folders checked before work starts, written through a
  hidden staging folder, ``--overwrite`` only over govsim's own;
- :mod:`~govsim.output.manifest` — THE manifest builder and package-version lookup;
- :mod:`~govsim.output.labels` — THE zh/en label table (policy numbers from the scenario);
- :mod:`~govsim.output.figure` (language, display names, ``PLOT_DPI``, ``png_bytes``),
  :mod:`~govsim.output.plots` and :mod:`~govsim.output.service_plots` (a run's figures),
  :mod:`~govsim.output.charts` (comparison, cap-range and sweep charts),
  :mod:`~govsim.output.fonts` (the CJK font);
- :mod:`~govsim.output.html` + ``templates/`` — THE HTML engine (Jinja): the run report and
  the comparison page;
- :mod:`~govsim.output.excel` — the comparison and cap-range workbooks;
- the folders of each command: :mod:`~govsim.output.report` (a run),
  :mod:`~govsim.output.tables` (allocate, simulate, sweep analyses),
  :mod:`~govsim.output.compare` (compare, cap range).

May import: the core rooms (``scenario``, ``policy``, ``compliance``, ``allocation``, ``sim``,
``metrics``, ``errors``) for types and data. Never imported by them: only ``pipeline``
(``RunResult.write``), ``compare``, ``sweep`` (its store's folder and manifest) and ``cli``
use it. The contracts are in ``pyproject.toml`` ([tool.importlinter]).
"""

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
