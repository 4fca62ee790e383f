"""Deprecated: ``govsim.report_html`` is :mod:`govsim.output.html` (kept for one release).

Importing this module gives the new module itself, so that names, private helpers and
monkeypatches all reach the one implementation.
"""

from __future__ import annotations

import importlib
import sys
import warnings

warnings.warn("govsim.report_html is deprecated; import govsim.output.html",
              DeprecationWarning, stacklevel=2)
sys.modules[__name__] = importlib.import_module("govsim.output.html")
