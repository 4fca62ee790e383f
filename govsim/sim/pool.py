"""Deprecated: the worker processes are :mod:`govsim.sim.workers` (``ReplicationWorkers``;
``YearPool`` remains an alias there for one release). Importing this module gives that module.
"""

from __future__ import annotations

import importlib
import sys
import warnings

warnings.warn("govsim.sim.pool is deprecated; import govsim.sim.workers",
              DeprecationWarning, stacklevel=2)
sys.modules[__name__] = importlib.import_module("govsim.sim.workers")
