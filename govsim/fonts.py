"""Deprecated: ``govsim.fonts`` is :mod:`govsim.output.fonts` (kept for one release).

Importing this module gives the new module itself, so that names, private helpers and
monkeypatches all reach the one implementation.
"""

from __future__ import annotations

import importlib
import sys
import warnings

warnings.warn("govsim.fonts is deprecated; import govsim.output.fonts",
              DeprecationWarning, stacklevel=2)
sys.modules[__name__] = importlib.import_module("govsim.output.fonts")
