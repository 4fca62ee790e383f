"""The ``comparison.xlsx`` workbook a finance bureau takes to a meeting (Excel and WPS), in one
language (``--lang``; every word from :mod:`govsim.output.labels`, ``xlsx.*`` and ``compare.*``).

Sheets, in order (layout documented in ``docs/compare.md``), one table each, every sheet set up
to print A4 landscape, one page wide, the header row repeated (:mod:`govsim.output.sheets`):

- summary (``汇总`` / ``Summary``) — metrics as rows, options as columns: metric, unit, one
  value column per option, then for every other option its difference from the baseline and
  the 95 % interval, then notes. Significant differences filled yellow and bold, the others
  grey with " n.s."; **plan metrics** (one plan per year: a zero-width interval) are not
  tested and carry neither mark; differences of shares are in **percentage points**; a metric
  that does not apply to an option (the county mean of cap use under a pooled prefecture
  cap) is empty with a note;
- one sheet per option, named as the option — its allocation in 万元;
- compliance (``合规检查`` / ``Compliance``) — every option's rule checks, option first;
- assumptions (``说明`` / ``Assumptions``) — scenario, content hash, seed, replications,
  years, the options with their overrides, the metric definitions and how to read them.

Values are rounded to what the cell shows (万元 one decimal, shares to 0.1 %, people one
decimal, cases whole ...); ``comparison.csv`` holds the full figures. Written with openpyxl.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from govsim import __version__
from govsim.citations import cite
from govsim.output.figure import display_names
from govsim.output.first_screen import rule_name, scope_name
from govsim.output.labels import LABELS, label, policy_fields
from govsim.output.sheets import (
    BOLD,
    cell_value,
    fit_row_heights,
    header,
    page_setup,
    widths,
)
from govsim.policy import WAN

if TYPE_CHECKING:
    from govsim.compare.core import Comparison
    from govsim.compare.metrics import Metric
    from govsim.scenario import Scenario

__all__ = [
    "CAP_RANGE_UNITS",
    "NUMBER_FORMATS",
    "allocation_headers",
    "cap_range_headers",
    "compliance_headers",
    "diff_headers",
    "not_applicable",
    "sheet_names",
    "summary_headers",
    "write_cap_range_workbook",
    "write_workbook",
]

#: Excel number format of each unit.
NUMBER_FORMATS: dict[str, str] = {"wan": "#,##0.0", "share": "0.0%", "people": "#,##0.0",
                                  "cases": "#,##0", "days": "0.0", "cny_per_case": "#,##0",
                                  "score": "0.000", "count": "0"}
#: Decimals each unit is shown with (shares as fractions: 0.1 % is 3 decimals).
_DIGITS: dict[str, int] = {"wan": 1, "share": 3, "people": 1, "cases": 0, "days": 1,
                           "cny_per_case": 0, "score": 3, "count": 0}
#: Excel unit of the cap-range columns (None: a score, three decimals; headers are the
#: ``cap_range.col.*`` labels).
CAP_RANGE_UNITS: dict[str, str | None] = {
    "relief_cap_share": "share", "spend_total_wan": "wan", "spend_relief_wan": "wan",
    "coverage_planned": "share", "caseworker_shortfall": "people",
    "child_staff_shortfall": "people", "objective_value": None, "gain_per_wan": None,
    "shadow_price_per_wan": None,
    "shadow_price_per_wan_max": None, "binding_scopes": "count", "status": None}
#: Metrics of county caps only: they do not apply under a pooled (prefecture) cap (the
#: highest scope's use, ``cap_use_max``, is then the prefecture's and still applies).
COUNTY_CAP_METRICS = frozenset({"cap_use_mean"})
_MONEY_RULES = {"relief-cap", "funding-sources"}

_BASELINE_FILL = PatternFill("solid", fgColor="BDD7EE")
_SIGNIFICANT_FILL = PatternFill("solid", fgColor="FFF2CC")
_FAIL_FILL = PatternFill("solid", fgColor="F8CBAD")
_GREY = Font(color="808080")
_GREY_ITALIC = Font(color="808080", italic=True)
_WRAP_TOP = Alignment(wrap_text=True, vertical="top")


def _x(key: str, lang: str, **fields: object) -> str:
    return label(f"xlsx.{key}", lang, **fields)


def sheet_names(lang: str) -> dict[str, str]:
    """The fixed sheets' names in ``lang``: ``summary``, ``compliance``, ``assumptions``."""
    return {"summary": _x("sheet_summary", lang), "compliance": _x("sheet_compliance", lang),
            "assumptions": _x("sheet_assumptions", lang)}


def summary_headers(lang: str) -> tuple[str, str]:
    """The label columns of the summary sheet: metric, unit."""
    return (_x("metric", lang), _x("unit", lang))


def diff_headers(option: str, lang: str = "en") -> tuple[str, str, str]:
    """Summary headers of an option's difference, its 95 % low and high end."""
    return (f"Δ {option}", _x("diff_low", lang, option=option),
            _x("diff_high", lang, option=option))


def allocation_headers(lang: str) -> tuple[str, ...]:
    """Headers of an option's allocation sheet."""
    return tuple(_x(k, lang) for k in ("year", "county", "item", "provider_type", "fund",
                                       "fte", "cost_wan"))


def compliance_headers(lang: str) -> tuple[str, ...]:
    """Headers of the compliance sheet."""
    return tuple(_x(k, lang) for k in ("option", "year", "rule", "scope", "value", "limit",
                                       "unit", "status", "source"))


def not_applicable(metric_id: str, scenario: Scenario, lang: str) -> str:
    """Why ``metric_id`` does not apply to an option with this scenario ("" when it does)."""
    if metric_id in COUNTY_CAP_METRICS and scenario.policy.cap_scope == "prefecture":
        return label("compare.na_pooled", lang)
    return ""


def write_workbook(comparison: Comparison, path: str | Path, *, lang: str = "zh",
                   command: str | None = None, generated: datetime | None = None) -> Path:
    """Write the comparison workbook to ``path`` in ``lang`` and return it.

    Parameters
    ----------
    comparison : Comparison
    path : str or Path
        Target file (``.xlsx``); overwritten if it exists.
    lang : {"zh", "en"}
        Language of every header, unit, status and sheet name.
    command : str, optional
        The command line, recorded on the assumptions sheet.
    generated : datetime, optional
        Time recorded as generated (default: now, UTC).
    """
    names = sheet_names(lang)
    book = Workbook()
    summary = book.active
    summary.title = names["summary"]
    _summary_sheet(summary, comparison, lang)
    for option, scenario, result in zip(comparison.options, comparison.scenarios,
                                        comparison.results, strict=True):
        _option_sheet(book.create_sheet(option.name), scenario, result, lang)
    _compliance_sheet(book.create_sheet(names["compliance"]), comparison, lang)
    _assumptions_sheet(book.create_sheet(names["assumptions"]), comparison, command,
                       generated or datetime.now(UTC), lang)
    book.properties.creator = f"govsim {__version__}"
    book.properties.title = (comparison.title_zh if lang == "zh" else comparison.title_en) \
        or label("compare.title", lang)
    path = Path(path)
    book.save(path)
    return path


def _rounded(value: Any, unit: str) -> Any:
    value = cell_value(value)
    if isinstance(value, float):
        return round(value, _DIGITS.get(unit, 3))
    return value


def _summary_sheet(sheet: Worksheet, comparison: Comparison, lang: str) -> None:
    table = comparison.table.set_index("option")
    names = [o.name for o in comparison.options]
    others = names[1:]
    headers = [*summary_headers(lang), *names]
    for name in others:
        headers += diff_headers(name, lang)
    headers.append(_x("notes", lang))
    header(sheet, 1, 1, headers)
    first = len(summary_headers(lang)) + 1
    sheet.cell(row=1, column=first).fill = _BASELINE_FILL
    sheet.row_dimensions[1].height = 45
    notes_column = len(headers)
    for row, m in enumerate(comparison.metrics, start=2):
        sheet.cell(row=row, column=1, value=m.name(lang, comparison.scenario.policy))
        sheet.cell(row=row, column=2, value=_unit(m.unit, lang, diff=False))
        fmt = NUMBER_FORMATS[m.unit]
        notes = []
        column = first
        for name, scenario in zip(names, comparison.scenarios, strict=True):
            why = not_applicable(m.id, scenario, lang)
            value = None if why else _rounded(table.at[name, m.id], m.unit)
            cell = sheet.cell(row=row, column=column, value=value)
            cell.number_format = fmt
            if why:
                notes.append(f"{name}: {why}")
            column += 1
        for name, scenario in zip(others, comparison.scenarios[1:], strict=True):
            skip = bool(not_applicable(m.id, scenario, lang) or
                        not_applicable(m.id, comparison.scenarios[0], lang))
            _diff_cells(sheet, row, column, table.loc[name], m, skip)
            column += 3
        if m.kind == "plan":
            notes.append(label("compare.plan_note", lang))
        if m.unit == "share" and others:
            notes.append(label("compare.pp_note", lang))
        sheet.cell(row=row, column=notes_column, value="; ".join(notes) or None).alignment = \
            _WRAP_TOP
    widths(sheet, [30, 12] + [11] * len(names) + [11] * (3 * len(others)) + [40])
    fit_row_heights(sheet)
    sheet.freeze_panes = sheet.cell(row=2, column=first)
    page_setup(sheet, title=f"{label('compare.title', lang)} — {sheet.title}")


def _diff_cells(sheet: Worksheet, row: int, column: int, record: pd.Series, m: Metric,
                skip: bool) -> None:
    """Δ and its interval; shares in percentage points (the cell holds points, not a
    fraction); plan metrics unmarked (no test: one plan per year)."""
    pp = m.unit == "share"
    fmt = '0.0" pp"' if pp else NUMBER_FORMATS[m.unit]
    significant = record[f"{m.id}_significant"]
    values = (record[f"{m.id}_diff"], record[f"{m.id}_diff_low"], record[f"{m.id}_diff_high"])
    for offset, value in enumerate(values):
        value = cell_value(value)
        if skip:
            value = None
        elif isinstance(value, float):
            value = round(value * 100, 1) if pp else _rounded(value, m.unit)
        cell = sheet.cell(row=row, column=column + offset, value=value)
        if significant is pd.NA or significant is None or m.kind == "plan":
            cell.number_format = f"+{fmt};-{fmt};{fmt}"
            cell.font = _GREY_ITALIC if m.kind != "plan" else Font()
        elif bool(significant):
            cell.number_format = f"+{fmt};-{fmt};{fmt}"
            cell.fill = _SIGNIFICANT_FILL
            cell.font = BOLD
        else:
            suffix = '" n.s."' if offset == 0 else ""
            cell.number_format = f"+{fmt}{suffix};-{fmt}{suffix};{fmt}{suffix}"
            cell.font = _GREY


def _option_sheet(sheet: Worksheet, scenario: Scenario, result: Any, lang: str) -> None:
    counties = display_names(scenario, "counties", lang)
    items = display_names(scenario, "items", lang)
    types = display_names(scenario, "provider_types", lang)
    funds = {"relief": _x("fund_relief", lang), "child": _x("fund_child", lang),
             "lottery": _x("fund_lottery", lang), "none": _x("fund_none", lang)}
    header(sheet, 1, 1, allocation_headers(lang))
    allocation = result.tables.allocation
    for row, rec in enumerate(allocation.to_dict("records"), start=2):
        values = (rec["year"], counties.get(rec["county"], rec["county"]),
                  items.get(rec["item"], rec["item"]),
                  types.get(rec["provider_type"]) or (
                      label(f"report.ptype_{rec['provider_type']}", lang)
                      if rec["provider_type"] == "part_time_post" else rec["provider_type"]),
                  funds.get(rec["fund"], rec["fund"]),
                  _rounded(float(rec["fte"]), "people"),
                  _rounded(float(rec["cost"]) / WAN, "wan"))
        for column, value in enumerate(values, start=1):
            sheet.cell(row=row, column=column, value=cell_value(value))
        sheet.cell(row=row, column=6).number_format = "#,##0.0"
        sheet.cell(row=row, column=7).number_format = NUMBER_FORMATS["wan"]
    widths(sheet, [7, 14, 28, 22, 14, 10, 12])
    sheet.row_dimensions[1].height = 32
    sheet.freeze_panes = "A2"
    page_setup(sheet, title=f"{label('compare.title', lang)} — {sheet.title}")


def _compliance_sheet(sheet: Worksheet, comparison: Comparison, lang: str) -> None:
    header(sheet, 1, 1, compliance_headers(lang))
    units = {"CNY": _x("unit_wan", lang), "share": _x("unit_share", lang),
             "persons": _x("unit_people", lang), "years": _x("unit_years", lang),
             "items": _x("unit_items", lang)}
    row = 2
    for option, scenario, result in zip(comparison.options, comparison.scenarios,
                                        comparison.results, strict=True):
        fields = policy_fields(scenario.policy, lang)
        names = {**display_names(scenario, "counties", lang),
                 **display_names(scenario, "items", lang),
                 **display_names(scenario, "provider_types", lang),
                 "prefecture": _x("prefecture", lang)}
        for rec in result.tables.compliance.to_dict("records"):
            money = rec["rule"] in _MONEY_RULES or rec.get("unit") == "CNY"
            value, limit = (pd.to_numeric(pd.Series([rec["value"], rec["limit"]]),
                                          errors="coerce"))
            fmt = "#,##0.##"
            if money:
                value, limit, fmt = round(value / WAN, 1), round(limit / WAN, 1), "#,##0.0"
            elif rec.get("unit") == "share":
                value, limit, fmt = round(value, 3), round(limit, 3), "0.0%"
            status = label(f"report.{rec['status']}", lang) if rec["status"] in (
                "pass", "fail", "not-applicable") else rec["status"]
            unit = rec.get("unit")
            values = (option.name, rec["year"], rule_name(rec["rule"], lang, fields),
                      scope_name(rec["scope"], names, lang), value, limit,
                      units.get(str(unit), "" if pd.isna(unit) else unit), status,
                      cite(rec["source"], lang))
            for column, item in enumerate(values, start=1):
                cell = sheet.cell(row=row, column=column, value=cell_value(item))
                if column in (5, 6):
                    cell.number_format = fmt
                if column == 9:
                    cell.alignment = _WRAP_TOP
            if rec["status"] == "fail":
                sheet.cell(row=row, column=8).fill = _FAIL_FILL
            row += 1
    widths(sheet, [12, 7, 28, 16, 11, 11, 8, 9, 60])
    fit_row_heights(sheet)
    sheet.row_dimensions[1].height = 32
    sheet.freeze_panes = "A2"
    page_setup(sheet, title=f"{label('compare.title', lang)} — {sheet.title}")


def _assumptions_sheet(sheet: Worksheet, comparison: Comparison, command: str | None,
                       generated: datetime, lang: str) -> None:
    scenario = comparison.scenario
    title = scenario.header.title_zh if lang == "zh" else scenario.header.title_en
    facts = [
        (_x("comparison", lang), (comparison.title_zh if lang == "zh" else comparison.title_en)
         or ""),
        (_x("scenario", lang), f"{scenario.name} {title}".strip()),
        (_x("scenario_source", lang), scenario.source or ""),
        (_x("hash", lang), scenario.content_hash()),
        (_x("seed", lang), comparison.seed),
        (_x("replications", lang), comparison.replications),
        (_x("plan_years", lang), ", ".join(str(y) for y in comparison.years)),
        (_x("solver", lang), comparison.solver),
        (_x("baseline", lang), comparison.baseline.name),
        (_x("generated", lang), generated.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")),
        ("govsim", __version__),
        (_x("command", lang), command or ""),
        (_x("crn", lang), _x("crn_text", lang)),
        (_x("reading", lang), _x("reading_text", lang)),
        (_x("units", lang), _x("compare_units_text", lang)),
    ]
    for row, (key, value) in enumerate(facts, start=1):
        sheet.cell(row=row, column=1, value=key).font = BOLD
        sheet.cell(row=row, column=2, value=value).alignment = _WRAP_TOP
    row = len(facts) + 2
    header(sheet, row, 1, [_x(k, lang) for k in ("option", "baseline", "title",
                                                  "scenario_file", "hash_short", "overrides",
                                                  "description")])
    for option, s in zip(comparison.options, comparison.scenarios, strict=True):
        row += 1
        values = (option.name, label("report.yes", lang) if option is comparison.baseline
                  else "", option.title(lang), option.scenario or "", s.content_hash()[:16],
                  option.overrides_text(), option.description)
        for column, value in enumerate(values, start=1):
            sheet.cell(row=row, column=column, value=value).alignment = _WRAP_TOP
    row += 2
    header(sheet, row, 1, [_x(k, lang) for k in ("metric", "unit", "kind", "definition")])
    for m in comparison.metrics:
        row += 1
        values = (m.name(lang, comparison.scenario.policy), _unit(m.unit, lang, diff=False),
                  _x("kind_plan" if m.kind == "plan" else "kind_simulation", lang),
                  m.definition)
        for column, value in enumerate(values, start=1):
            sheet.cell(row=row, column=column, value=value).alignment = _WRAP_TOP
    widths(sheet, [30, 50, 24, 24, 20, 30, 40])
    fit_row_heights(sheet, first_row=1)
    page_setup(sheet, header_rows=0, title=f"{label('compare.title', lang)} — {sheet.title}")


def _unit(unit: str, lang: str, diff: bool) -> str:
    """A unit in ``lang`` (percentage points for a difference of shares)."""
    if diff and unit == "share":
        return label("compare.pp", lang)
    return label(f"unit.{unit}", lang)


def cap_range_headers(columns: list[str], lang: str, fields: dict[str, str]) -> list[str]:
    """The cap-range columns' headers in ``lang``, units in them, policy numbers from
    ``fields`` (:func:`govsim.policy.policy_fields` of the scenario)."""
    return [label(f"cap_range.col.{key}", lang, **fields) for key in columns]


def write_cap_range_workbook(table: pd.DataFrame, path: str | Path, scenario: Scenario,
                             lang: str, year: int | None = None) -> None:
    """``cap_range.xlsx``: one sheet, in one language, one row per cap share — headers from
    the ``cap_range.col.*`` labels, values rounded as shown, statuses in words, printed like
    the other workbooks (:func:`govsim.output.sheets.page_setup`)."""
    book = Workbook()
    sheet = book.active
    sheet.title = label("cap_range.sheet", lang)
    columns = list(table.columns)
    header(sheet, 1, 1, cap_range_headers(columns, lang, policy_fields(scenario.policy, lang)))
    for row, record in enumerate(table.to_dict("records"), start=2):
        for column, key in enumerate(columns, start=1):
            unit = CAP_RANGE_UNITS[key]
            value = record[key]
            if key == "status" and isinstance(value, str):
                value = label(f"status.{value}", lang) if f"status.{value}" in LABELS else value
            cell = sheet.cell(row=row, column=column,
                              value=_rounded(value, unit) if unit else
                              (round(v, 3) if isinstance(v := cell_value(value), float) else v))
            cell.number_format = NUMBER_FORMATS[unit] if unit else "#,##0.000"
    widths(sheet, [16 if CAP_RANGE_UNITS[key] else 22 for key in columns])
    sheet.row_dimensions[1].height = 60
    sheet.freeze_panes = "B2"
    plan_year = year if year is not None else scenario.header.base_year
    page_setup(sheet, title=label("cap_range.sheet_title", lang, name=scenario.name,
                                  year=plan_year))
    book.save(path)
