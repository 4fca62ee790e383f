"""Budget options side by side, for finance departments: run, compare, export to Excel.

A finance bureau compares a few options of one scenario — keep the relief cap at 3 %, pool it
over the prefecture, add lottery money, buy posts not projects, raise the social-organisation
share — and takes the table to a meeting. This package owns that comparison:

- :mod:`~govsim.compare.options` — options as dotted-path overrides (TOML file or command line),
  validated before anything runs;
- :mod:`~govsim.compare.core` — :func:`compare` runs every option through the pipeline on common
  random numbers, in parallel processes, into a :class:`Comparison`;
- :mod:`~govsim.compare.metrics` — the metrics (spend by fund in 万元, relief-cap use,
  social-organisation share, caseworker shortfall, priority-weighted coverage, cases, p90 wait,
  cost per case, satisfaction, rule failures) and paired 95 % intervals;
- :mod:`~govsim.compare.marginal` — the relief-cap sweep for budget hearings (allocation only:
  coverage, caseworker shortfall and shadow prices against money spent).

This room returns tables and writes nothing itself: the compare and cap-range folders, the
workbook, the charts and the HTML section are :mod:`govsim.output`'s
(:mod:`~govsim.output.compare`, :mod:`~govsim.output.excel`, :mod:`~govsim.output.charts`);
their names are re-exported here for convenience.

May import: ``govsim.pipeline``, ``govsim.allocation``, ``govsim.sim``, ``govsim.output`` and
the rooms below them; never ``govsim.sweep`` or ``govsim.cli``.

See ``docs/compare.md``.
"""

from __future__ import annotations

from govsim.callable_module import make_callable
from govsim.compare.core import Comparison, compare
from govsim.compare.marginal import cap_range, parse_cap_range
from govsim.compare.metrics import METRICS, Metric, metric
from govsim.compare.options import Option, OptionsFile, load_options, parse_option, resolve_options
from govsim.errors import OptionError
from govsim.output.charts import plot_cap_range, plot_comparison
from govsim.output.compare import (
    comparison_html,
    default_compare_dir,
    write_cap_range,
    write_comparison,
)

__all__ = [
    "METRICS",
    "Comparison",
    "Metric",
    "Option",
    "OptionError",
    "OptionsFile",
    "cap_range",
    "compare",
    "comparison_html",
    "default_compare_dir",
    "load_options",
    "metric",
    "parse_cap_range",
    "parse_option",
    "plot_cap_range",
    "plot_comparison",
    "resolve_options",
    "write_cap_range",
    "write_comparison",
]

make_callable(__name__, compare)  # govsim.compare(...) whatever was imported first
