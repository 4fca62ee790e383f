"""Building figures: the language, display names, the figure and axes style, PNG bytes.

Shared by the plots of a run (:mod:`govsim.output.plots`) and the charts of comparisons, cap
ranges and sweeps (:mod:`govsim.output.charts`): figures are built without pyplot (no global
state, nothing to close), PNGs carry no software tag (equal figures give equal bytes), and
every PNG govsim writes has :data:`PLOT_DPI` dots per inch.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.image import imsave

from govsim.output.fonts import use_cjk_font
from govsim.output.labels import label

if TYPE_CHECKING:
    from govsim.scenario import Scenario

__all__ = ["MAX_COUNTIES", "PLOT_DPI", "YEAR_COLOURS", "add_note", "display_names", "empty_figure",
           "encode_png", "figure_pixels", "legend_outside", "new_figure", "ordered", "png_bytes",
           "resolve_lang", "shorten", "tidy_axes"]

#: Most counties drawn on one county axis; the rest are ranked out (and noted) or aggregated.
MAX_COUNTIES = 25
#: Resolution of every PNG govsim writes (run plots, comparison and sweep charts), dots per inch.
PLOT_DPI = 120
#: Colours of successive plan years.
YEAR_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2")


def png_bytes(figure: Figure, dpi: int = PLOT_DPI) -> bytes:
    """The figure as PNG (no software tag, so that equal figures give equal bytes)."""
    return encode_png(figure_pixels(figure, dpi), dpi)


def figure_pixels(figure: Figure, dpi: int = PLOT_DPI) -> np.ndarray:
    """The figure drawn at ``dpi`` as a (height, width, 4) array of RGBA bytes: the pixels
    ``savefig(format="png", dpi=dpi)`` encodes (a test holds them to its bytes).

    Drawn once: ``savefig`` draws a figure with a layout engine twice — the layout in a pass
    that renders nothing, then the pixels with the layout off — and one draw runs the same
    layout before it renders (the report's figures 0.94 → 0.79 s for Guang'an, 1.49 → 1.03 s
    for a one-year 183-county run; the same pixels).
    """
    canvas = FigureCanvasAgg(figure)
    saved_dpi = figure.dpi
    figure.dpi = dpi
    try:
        canvas.draw()
        return np.array(canvas.buffer_rgba())
    finally:
        figure.dpi = saved_dpi


def encode_png(pixels: np.ndarray, dpi: int = PLOT_DPI) -> bytes:
    """RGBA pixels (:func:`figure_pixels`) as PNG bytes with no software tag.

    Needs no figure and no pyplot state, and Pillow releases the GIL while it compresses: the
    report encodes one figure in a thread while it draws the next.
    """
    buffer = io.BytesIO()
    # a memoryview of bytes is what savefig hands to imsave: the same path, the same PNG
    imsave(buffer, memoryview(np.ascontiguousarray(pixels)), format="png", origin="upper",
           dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def display_names(scenario: Scenario, kind: str, lang: str) -> dict[str, str]:
    """Id → display name of ``kind`` (``counties``, ``items``, ``provider_types``): ``name_zh``
    in Chinese, ``name_en`` (else the id) in English."""
    entries = getattr(scenario, kind)
    if lang == "zh":
        return {e.id: e.name_zh or e.id for e in entries}
    return {e.id: e.name_en or e.id for e in entries}


def resolve_lang(scenario: Scenario, lang: str | None) -> str:
    """``lang`` checked, or the scenario's language when None."""
    lang = lang or scenario.header.lang
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', not {lang!r}")
    return lang


def shorten(text: str, limit: int = 26) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def ordered(ids: Sequence[str], scenario_ids: Sequence[str]) -> list[str]:
    """``ids`` in scenario order, unknown ids last (sorted)."""
    present = set(ids)
    known = [i for i in scenario_ids if i in present]
    return known + sorted(present - set(known))


def new_figure(width: float, height: float) -> Figure:
    use_cjk_font()
    return Figure(figsize=(min(width, 22.0), min(height, 30.0)), layout="constrained")


def tidy_axes(ax: Axes, grid_axis: str = "x") -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis=grid_axis, color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(labelsize=9)


def empty_figure(title: str, lang: str) -> Figure:
    fig = new_figure(6, 2.5)
    fig.suptitle(title, fontsize=12)
    fig.text(0.5, 0.5, label("plot.no_data", lang), ha="center", va="center", fontsize=12,
             color="#757575")
    return fig


def legend_outside(ax: Axes, handles: list[Artist] | None = None) -> None:
    ax.legend(handles=handles, fontsize=8, frameon=False, loc="upper left",
              bbox_to_anchor=(1.01, 1.0))


def add_note(fig: Figure, text: str) -> None:
    if text:  # under the plot, left-aligned
        fig.supxlabel(text, fontsize=8, color="#616161", x=0.01, ha="left")


# -- (a) allocation heatmap -----------------------------------------------------------------------
