"""Deprecated: the horizon over replications is :mod:`govsim.sim.horizon` (kept one release).

Importing this module gives that module.
"""

from __future__ import annotations

import importlib
import sys
import warnings

warnings.warn("govsim.sim.run is deprecated; import govsim.sim.horizon",
              DeprecationWarning, stacklevel=2)
sys.modules[__name__] = importlib.import_module("govsim.sim.horizon")
