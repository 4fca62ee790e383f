"""Marginal analysis for the budget hearing: sweep the relief-cap share, read what money buys.

:func:`cap_range` solves the allocation (:func:`govsim.allocation.allocate`) once per relief-cap
share and reports, per point, the money spent, the planned priority-weighted coverage, the
caseworker shortfall against the 2 ‰ rule and the **shadow price** of the relief cap — what one
more 万元 of cap buys, in points of need met (``ordered_goals``) or CNY (``min_cost``).
The allocation is deterministic and takes well under a second, so the sweep needs no simulation:
coverage here is the plan's (capacity against expected demand), not a simulated one.

With per-county caps the shadow price reported is the cap-weighted mean over counties: raising
the share by δ raises county c's cap by δ × its relief fund, so the objective gains
Σ_c price_c × δ × fund_c for δ × Σ_c fund_c of money. Units: money in 万元 (10,000 CNY) per year,
shares 0-1, staff in people.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from govsim.allocation import allocate
from govsim.compare.excel import NUMBER_FORMATS
from govsim.compare.output import (
    CSV_ENCODING,
    PLOT_DPI,
    png_bytes,
)
from govsim.errors import GovsimError
from govsim.fonts import use_cjk_font
from govsim.metrics import Plan, metric
from govsim.output.folders import OutputFolder, prepare_folder
from govsim.plots import resolve_lang
from govsim.scenario import Scenario

__all__ = ["CAP_RANGE_COLUMNS", "cap_range", "default_cap_range_dir", "parse_cap_range",
           "plot_cap_range", "write_cap_range"]

WAN = 1e4  # CNY per 万元
_MAX_POINTS = 500

#: Columns of :func:`cap_range`: (id, Chinese header, English header, Excel unit or None).
CAP_RANGE_COLUMNS: tuple[tuple[str, str, str, str | None], ...] = (
    ("relief_cap_share", "救助资金上限比例", "Relief-cap share", "share"),
    ("spend_total_wan", "购买服务总支出（万元）", "Total spend (10,000 CNY)", "wan"),
    ("spend_relief_wan", "社会救助资金支出（万元）", "Relief-fund spend (10,000 CNY)", "wan"),
    ("coverage_planned", "计划需求加权覆盖率", "Planned need-weighted coverage", "share"),
    ("caseworker_shortfall", "经办人员缺口（人）", "Caseworker shortfall (people)", "people"),
    ("child_staff_shortfall", "儿童福利工作人员缺口（人）", "Child-welfare staff shortfall",
     "people"),
    ("objective_value", "需求满足（分）", "Need met (points)", None),
    ("shadow_price_per_wan", "上限影子价格（每万元，加权平均）",
     "Cap shadow price per 10,000 CNY (weighted mean)", None),
    ("shadow_price_per_wan_max", "上限影子价格（每万元，最高县）",
     "Cap shadow price per 10,000 CNY (highest county)", None),
    ("binding_scopes", "上限为紧约束的范围数", "Cap scopes binding", "count"),
    ("status", "求解状态", "Status", None),
)


def parse_cap_range(text: str) -> list[float]:
    """``START:STOP:STEP`` (shares, STOP included) as a list of shares.

    >>> parse_cap_range("0.01:0.03:0.005")
    [0.01, 0.015, 0.02, 0.025, 0.03]

    Raises
    ------
    GovsimError
        If the text is not three numbers with 0 <= START <= STOP <= 1 and STEP > 0, or gives
        more than 500 points.
    """
    parts = text.split(":")
    try:
        start, stop, step = (float(p) for p in parts)
    except ValueError:
        raise GovsimError(f"--cap-range {text!r}: expected START:STOP:STEP, e.g. "
                          "0.01:0.05:0.005") from None
    if not (0 <= start <= stop <= 1) or not step > 0:
        raise GovsimError(f"--cap-range {text!r}: need 0 <= START <= STOP <= 1 and STEP > 0")
    count = math.floor((stop - start) / step + 1e-9) + 1
    if count > _MAX_POINTS:
        raise GovsimError(f"--cap-range {text!r} gives {count} points; at most {_MAX_POINTS}")
    return [round(start + k * step, 10) for k in range(count)]


def cap_range(scenario: Scenario, shares: Sequence[float], *, year: int | None = None,
              solver: str = "highs", objective: str | None = None,
              integer_posts: bool = False,
              progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Solve the allocation at each relief-cap share; one row per share.

    Marginal analysis reads the linear plan (``integer_posts`` false by default): there a
    higher cap never lowers an earlier goal's attainment, and the shadow prices are those of
    the plan shown. Whole posts move in steps of one post.

    Parameters
    ----------
    scenario : Scenario
        Everything but ``policy.relief_cap_share`` stays as given (also ``cap_scope``).
    shares : sequence of float
        Relief-cap shares, 0-1.
    year : int, optional
        Plan year (default the base year).
    solver, objective, integer_posts
        As :func:`govsim.allocation.allocate`.
    progress : callable, optional
        ``progress(done, total)`` after each point.

    Returns
    -------
    DataFrame
        The columns of :data:`CAP_RANGE_COLUMNS`.

    Examples
    --------
    >>> import govsim
    >>> t = cap_range(govsim.load_scenario("tiny"), [0.02, 0.04])
    >>> bool(t["spend_relief_wan"].is_monotonic_increasing)
    True
    """
    rows = []
    for done, share in enumerate(shares, start=1):
        variant = scenario.with_overrides({"policy.relief_cap_share": float(share)})
        result = allocate(variant, year=year, solver=solver, objective=objective,
                          integer_posts=integer_posts)
        rows.append(_point(float(share), result, scenario))
        if progress is not None:
            progress(done, len(shares))
    return pd.DataFrame(rows, columns=[c[0] for c in CAP_RANGE_COLUMNS])


def _point(share: float, result: Any, scenario: Scenario) -> dict[str, Any]:
    allocation, unmet, staffing = result.allocation, result.unmet, result.staffing
    planned = metric("weighted_coverage").compute("allocate", Plan(scenario=scenario,
                                                                    unmet=unmet))
    shortfall = staffing.groupby("rule")["shortfall"].sum()
    caps = result.constraints[result.constraints["rule"] == "relief-cap"]
    # Weights: the relief fund behind each cap scope (its cap is share × fund).
    funds = caps["scope"].map(lambda scope: sum(
        c.relief_fund_last_year for c in scenario.counties if scope in (c.id, "prefecture")))
    prices = pd.to_numeric(caps["shadow_price_per_10k_cny"], errors="coerce").fillna(0.0)
    weighted = float((prices * funds).sum() / funds.sum()) if funds.sum() > 0 else math.nan
    return {
        "relief_cap_share": share,
        "spend_total_wan": float(allocation["cost"].sum()) / WAN,
        "spend_relief_wan": float(allocation.loc[allocation["fund"] == "relief", "cost"].sum())
        / WAN,
        "coverage_planned": planned,
        "caseworker_shortfall": float(shortfall.get("caseworker-ratio", 0.0)),
        "child_staff_shortfall": float(shortfall.get("child-welfare-staff", 0.0)),
        "objective_value": float(result.objective_value),
        # Dual values of a maximisation come out as >= 0 here; -0.0 is shown as 0.
        "shadow_price_per_wan": weighted + 0.0,
        "shadow_price_per_wan_max": float(prices.max()) + 0.0 if len(prices) else math.nan,
        "binding_scopes": int(caps["binding"].astype(bool).sum()),
        "status": result.status.value,
    }


def plot_cap_range(table: pd.DataFrame, scenario: Scenario, lang: str | None = None) -> Figure:
    """Coverage, caseworker shortfall and the cap's shadow price against money spent.

    Each point is labelled with its relief-cap share.
    """
    lang = resolve_lang(scenario, lang)
    zh = lang == "zh"
    use_cjk_font()
    fig = Figure(figsize=(8, 9), layout="constrained")
    axes = fig.subplots(3, 1, sharex=True)
    x = table["spend_total_wan"].to_numpy(dtype=float)
    need = scenario.policy.objective == "ordered_goals"
    price_unit = ("需求满足分/万元" if need else "元/万元") if zh else (
        "points of need met per 10,000 CNY" if need else "CNY per 10,000 CNY")
    panels = (
        ("coverage_planned", 100.0, "计划优先级加权覆盖率（%）" if zh
         else "Planned priority-weighted coverage (%)", "#1565c0"),
        ("caseworker_shortfall", 1.0, "经办人员缺口（人，2‰规则）" if zh
         else "Caseworkers short of the 2 ‰ rule (people)", "#c62828"),
        ("shadow_price_per_wan", 1.0, f"上限影子价格（{price_unit}）" if zh
         else f"Relief-cap shadow price ({price_unit})", "#2e7d32"),
    )
    for ax, (column, scale, title, colour) in zip(axes, panels, strict=True):
        y = table[column].to_numpy(dtype=float) * scale
        ax.plot(x, y, marker="o", color=colour, linewidth=1.4)
        for (xi, yi), shares in _same_points(x, y, table["relief_cap_share"]).items():
            text = f"{shares[0]:.1%}" if len(shares) == 1 else f"{shares[0]:.1%}–{shares[-1]:.1%}"
            ax.annotate(text, (xi, yi), xytext=(0, 6), textcoords="offset points",
                        ha="center", fontsize=7, color="#424242")
        ax.set_title(title, fontsize=10, loc="left")
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(color="#dddddd", linewidth=0.6)
        ax.tick_params(labelsize=9)
    axes[-1].set_xlabel("购买服务总支出（万元/年）" if zh else "Total purchase spend "
                        "(10,000 CNY per year)", fontsize=9)
    title = "救助资金上限比例的边际分析" if zh else "Marginal analysis of the relief-cap share"
    fig.suptitle(title, fontsize=12)
    return fig


def _same_points(x: np.ndarray, y: np.ndarray,
                 shares: pd.Series) -> dict[tuple[float, float], list[float]]:
    """Shares by drawn point: once the cap no longer binds, several shares land on one point."""
    points: dict[tuple[float, float], list[float]] = {}
    for xi, yi, share in zip(x, y, shares, strict=True):
        if np.isfinite(xi) and np.isfinite(yi):
            points.setdefault((round(float(xi), 6), round(float(yi), 6)), []).append(share)
    return points


def write_cap_range(table: pd.DataFrame, scenario: Scenario,
                    out_dir: str | Path | OutputFolder | None = None, *,
                    lang: str | None = None, command: str | None = None,
                    overwrite: bool = False) -> Path:
    """Write ``cap_range.csv``, ``cap_range.xlsx``, ``cap_range.png`` and ``manifest.json``
    into a folder (default ``results/<scenario>/cap-range-<UTC time>/``), atomically, through
    :mod:`govsim.output.folders`."""
    now = datetime.now(UTC)
    if isinstance(out_dir, OutputFolder):
        target = out_dir
    elif out_dir is None:
        target = prepare_folder(default_cap_range_dir(scenario, now=now), "cap-range",
                                default=True)
    else:
        target = prepare_folder(out_dir, "cap-range", overwrite=overwrite)
    with target.staging() as stage:
        tmp = stage.path
        table.to_csv(tmp / "cap_range.csv", index=False, encoding=CSV_ENCODING)
        _workbook(table, tmp / "cap_range.xlsx")
        (tmp / "cap_range.png").write_bytes(png_bytes(plot_cap_range(table, scenario, lang),
                                                 PLOT_DPI))
        stage.write_manifest({"command": command,
                              "scenario": {"name": scenario.name, "source": scenario.source,
                                           "content_hash": scenario.content_hash()},
                              "shares": table["relief_cap_share"].tolist(),
                              "cap_scope": scenario.policy.cap_scope,
                              "objective": scenario.policy.objective,
                              "written_utc": now.isoformat(timespec="seconds")})
    return target.path


def default_cap_range_dir(scenario: Scenario, results_root: str | Path = "results",
                          now: datetime | None = None) -> Path:
    """``<results_root>/<scenario name>/cap-range-<UTC YYYYmmddTHHMMSSZ>/``."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    return Path(results_root) / scenario.name / f"cap-range-{now.strftime('%Y%m%dT%H%M%SZ')}"


def _workbook(table: pd.DataFrame, path: Path) -> None:
    """One sheet ``CapRange``: bilingual headers on row 1, one row per cap share."""
    book = Workbook()
    sheet = book.active
    sheet.title = "CapRange"
    for column, (_, zh, en, _unit) in enumerate(CAP_RANGE_COLUMNS, start=1):
        cell = sheet.cell(row=1, column=column, value=f"{zh} {en}")
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[get_column_letter(column)].width = 20
    for row, record in enumerate(table.to_dict("records"), start=2):
        for column, (key, _, _, unit) in enumerate(CAP_RANGE_COLUMNS, start=1):
            value = record[key]
            if isinstance(value, float) and math.isnan(value):
                value = None
            cell = sheet.cell(row=row, column=column, value=value)
            cell.number_format = NUMBER_FORMATS[unit] if unit else "#,##0.000"
    sheet.row_dimensions[1].height = 45
    sheet.freeze_panes = "B2"
    book.save(path)
