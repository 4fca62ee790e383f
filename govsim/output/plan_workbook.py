"""``plan.xlsx``: a run's plan as a finance officer prints it, in one language.

One table per sheet, units in the headers, values rounded to what the cell shows, each sheet
set up to print (:func:`govsim.output.sheets.page_setup`):

- allocation — one row per (year, county), one column per item, the county's total last,
  in 万元 (10,000 CNY), one decimal; a prefecture row per year;
- staffing — per year, county and staffing rule: required, in post, purchased, short (people);
- compliance — every rule check: value and limit in the rule's unit (money in 万元, rounded
  the same way for both), status, the source as document title and clause;
- money needed — the run's ``money_needed.csv`` (need, what the caps allow, gap in 万元, with
  the 80 % band when present and where the run's figure lies among the band's samples, its
  percentile from ``uncertainty.csv``; what the gap leaves unserved); under the table, when a
  figure lies outside its band, the line that says which and why
  (:func:`govsim.output.band_position.outside_note`, as the report); when the run has none, one
  line saying so (never the caps, never 0);
- about — scenario, years, seed, replications, how to read the sheets.

Words from :mod:`govsim.output.labels` (``xlsx.*``); written atomically.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.worksheet.worksheet import Worksheet

from govsim import __version__
from govsim.citations import cite
from govsim.output.band_position import band_rows, outside_note
from govsim.output.figure import display_names
from govsim.output.files import write_atomic
from govsim.output.first_screen import rule_name, scope_name
from govsim.output.labels import label, policy_fields
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
    from govsim.output.report import RunTables

__all__ = ["write_plan_workbook"]

_MONEY_RULES = {"relief-cap", "funding-sources"}
_WAN_FORMAT = "#,##0.0"


def _x(key: str, lang: str, **fields: object) -> str:
    return label(f"xlsx.{key}", lang, **fields)


def write_plan_workbook(tables: RunTables, path: str | Path, lang: str,
                        money: pd.DataFrame | None) -> Path:
    """Write ``plan.xlsx`` for the (checked) run tables; returns the path."""
    book = Workbook()
    fields = policy_fields(tables.scenario.policy, lang)
    _allocation(book.active, tables, lang)
    _staffing(book.create_sheet(), tables, lang, fields)
    _compliance(book.create_sheet(), tables, lang, fields)
    _money(book.create_sheet(), tables, lang, money)
    _about(book.create_sheet(), tables, lang)
    book.properties.creator = f"govsim {__version__}"
    book.properties.title = _x("title", lang)
    return write_atomic(path, lambda target: book.save(target))


def _allocation(sheet: Worksheet, tables: RunTables, lang: str) -> None:
    sheet.title = _x("sheet_allocation", lang)
    scenario = tables.scenario
    counties = display_names(scenario, "counties", lang)
    items = display_names(scenario, "items", lang)
    alloc = tables.allocation.assign(cost=pd.to_numeric(tables.allocation["cost"],
                                                        errors="coerce"))
    order = [i.id for i in scenario.items if i.id in set(alloc["item"])]
    heads = [_x("year", lang), _x("county", lang)] + [
        f"{items.get(i, i)}（万元）" if lang == "zh" else f"{items.get(i, i)} (10,000 CNY)"
        for i in order] + [_x("total_wan", lang)]
    header(sheet, 1, 1, heads)
    pivot = alloc.groupby(["year", "county", "item"])["cost"].sum()
    row = 2
    for year in sorted({int(y) for y in alloc["year"].dropna()}):
        totals = [0.0] * len(order)
        lines = []
        for county in [c.id for c in scenario.counties]:
            values = [float(pivot.get((year, county, i), 0.0)) for i in order]
            totals = [a + b for a, b in zip(totals, values, strict=True)]
            lines.append((counties.get(county, county), values, False))
        lines.append((_x("prefecture", lang), totals, True))
        for name, values, bold in lines:
            cells = [year, name] + [round(v / WAN, 1) for v in values] + \
                [round(sum(values) / WAN, 1)]
            for column, value in enumerate(cells, start=1):
                c = sheet.cell(row=row, column=column, value=cell_value(value))
                if column > 2:
                    c.number_format = _WAN_FORMAT
                if bold:
                    c.font = BOLD
            row += 1
    widths(sheet, [7, 14] + [12] * len(order) + [12])
    sheet.row_dimensions[1].height = 60
    sheet.freeze_panes = "C2"
    page_setup(sheet, title=f"{_x('title', lang)} — {sheet.title}")


def _staffing(sheet: Worksheet, tables: RunTables, lang: str, fields: dict[str, str]) -> None:
    sheet.title = _x("sheet_staffing", lang)
    counties = display_names(tables.scenario, "counties", lang)
    header(sheet, 1, 1, [_x("year", lang), _x("county", lang), _x("rule", lang),
                         _x("required", lang), _x("in_post", lang), _x("purchased", lang),
                         _x("short", lang)])
    for row, r in enumerate(tables.staffing.to_dict("records"), start=2):
        values = [r["year"], counties.get(r["county"], r["county"]),
                  rule_name(r["rule"], lang, fields)] + [
            round(float(r[c]), 1) if pd.notna(r[c]) else None
            for c in ("required", "in_post", "purchased", "shortfall")]
        for column, value in enumerate(values, start=1):
            c = sheet.cell(row=row, column=column, value=cell_value(value))
            if column > 3:
                c.number_format = "#,##0.0"
    widths(sheet, [7, 14, 34, 12, 12, 12, 12])
    sheet.row_dimensions[1].height = 32
    sheet.freeze_panes = "A2"
    page_setup(sheet, title=f"{_x('title', lang)} — {sheet.title}")


def _compliance(sheet: Worksheet, tables: RunTables, lang: str,
                fields: dict[str, str]) -> None:
    sheet.title = _x("sheet_compliance", lang)
    names = {**display_names(tables.scenario, "counties", lang),
             **display_names(tables.scenario, "items", lang),
             **display_names(tables.scenario, "provider_types", lang),
             "prefecture": _x("prefecture", lang)}
    header(sheet, 1, 1, [_x("year", lang), _x("rule", lang), _x("scope", lang),
                         _x("value", lang), _x("limit", lang), _x("unit", lang),
                         _x("status", lang), _x("source", lang)])
    units = {"CNY": _x("unit_wan", lang), "share": _x("unit_share", lang),
             "persons": _x("unit_people", lang), "years": _x("unit_years", lang),
             "items": _x("unit_items", lang)}
    for row, r in enumerate(tables.compliance.to_dict("records"), start=2):
        value, limit = pd.to_numeric(pd.Series([r["value"], r["limit"]]), errors="coerce")
        fmt = "#,##0.##"
        if r.get("unit") == "CNY" or r["rule"] in _MONEY_RULES:
            value, limit, fmt = round(value / WAN, 1), round(limit / WAN, 1), _WAN_FORMAT
        elif r.get("unit") == "share":
            value, limit, fmt = round(value, 3), round(limit, 3), "0.0%"
        status = label(f"report.{r['status']}", lang) if r["status"] in (
            "pass", "fail", "not-applicable") else r["status"]
        values = [r["year"], rule_name(r["rule"], lang, fields),
                  scope_name(r["scope"], names, lang), value, limit,
                  units.get(str(r.get("unit")), "" if pd.isna(r.get("unit")) else r.get("unit")),
                  status, cite(r["source"], lang)]
        for column, item in enumerate(values, start=1):
            c = sheet.cell(row=row, column=column, value=cell_value(item))
            if column in (4, 5):
                c.number_format = fmt
            if column == 8:
                c.alignment = Alignment(wrap_text=True, vertical="top")
        if r["status"] == "fail":
            for column in range(1, 9):
                sheet.cell(row=row, column=column).font = BOLD
    widths(sheet, [7, 30, 18, 12, 12, 10, 10, 60])
    fit_row_heights(sheet)
    sheet.row_dimensions[1].height = 32
    sheet.freeze_panes = "A2"
    page_setup(sheet, title=f"{_x('title', lang)} — {sheet.title}")


def _money(sheet: Worksheet, tables: RunTables, lang: str, money: pd.DataFrame | None) -> None:
    sheet.title = _x("sheet_money", lang)
    if money is None:
        sheet.cell(row=1, column=1, value=label("report.money_missing", lang)).font = BOLD
        widths(sheet, [120])
        page_setup(sheet, header_rows=0, title=f"{_x('title', lang)} — {sheet.title}")
        return
    counties = display_names(tables.scenario, "counties", lang)
    items = display_names(tables.scenario, "items", lang)
    band = "need_cny_p10" in money.columns
    bands = band_rows(tables.uncertainty)
    heads = [_x("year", lang), _x("county", lang), _x("need_wan", lang), _x("cap_wan", lang),
             _x("gap_wan", lang)]
    if band:
        heads += [_x("need_p10", lang), _x("need_p90", lang), _x("gap_p10", lang),
                  _x("gap_p90", lang), _x("need_pct", lang), _x("gap_pct", lang)]
    heads += [_x("unserved_hours", lang), _x("unserved_cases", lang), _x("staff_short", lang),
              _x("unserved_items", lang)]
    header(sheet, 1, 1, heads)
    money_cols = ["need_cny", "cap_cny", "gap_cny"] + (
        ["need_cny_p10", "need_cny_p90", "gap_cny_p10", "gap_cny_p90"] if band else [])
    sep = "、" if lang == "zh" else ", "
    frame = money.sort_values(["year", "county"], key=lambda s: s if s.name == "year"
                              else s.eq(""), kind="stable")
    for row, r in enumerate(frame.to_dict("records"), start=2):
        name = _x("prefecture", lang) if r["county"] == "" else counties.get(r["county"],
                                                                               r["county"])
        year = None if pd.isna(r["year"]) else int(r["year"])
        # where this run's figure lies among the band's samples (uncertainty.csv), 0-100
        where = [bands.get((m, str(r["county"]), year)) for m in ("need_cny", "gap_cny")] \
            if band else []
        values = [r["year"], name] + [
            None if pd.isna(r[c]) else round(float(r[c]) / WAN, 1) for c in money_cols] + [
            None if w is None or pd.isna(w.percentile) else w.percentile for w in where] + [
            None if pd.isna(r[c]) else round(float(r[c])) for c in
            ("unserved_hours", "unserved_cases")] + [
            None if pd.isna(r["staff_short"]) else round(float(r["staff_short"]), 1),
            sep.join(items.get(i, i) for i in str(r["unserved_items"]).split(";")
                     if i and i != "nan")]
        for column, value in enumerate(values, start=1):
            c = sheet.cell(row=row, column=column, value=cell_value(value))
            if 3 <= column < 3 + len(money_cols):
                c.number_format = _WAN_FORMAT
            elif column < 3 + len(money_cols) + len(where):
                c.number_format = "0.0"
            elif column < len(values):
                c.number_format = "#,##0"
            if r["county"] == "":
                c.font = BOLD
    note = outside_note(tables.uncertainty, tables.manifest, lang,
                        lambda m: label(f"report.metric_{m}", lang)) if band else ""
    if note:  # why a figure lies outside its band, under the table
        sheet.cell(row=len(frame) + 3, column=1, value=note).alignment = Alignment(
            wrap_text=True, vertical="top")
        sheet.merge_cells(start_row=len(frame) + 3, start_column=1, end_row=len(frame) + 3,
                          end_column=len(heads))
        sheet.row_dimensions[len(frame) + 3].height = 75
    widths(sheet, [7, 14] + [12] * (len(money_cols) + (2 if band else 0) + 3) + [40])
    sheet.row_dimensions[1].height = 45
    sheet.freeze_panes = "C2"
    page_setup(sheet, title=f"{_x('title', lang)} — {sheet.title}")


def _band_text(record: dict | None, lang: str) -> str:
    """How the money-needed band was made, from the manifest's ``uncertainty`` record."""
    if not record:
        return _x("band_none", lang)
    key = "band_runs" if record.get("method") == "runs" else "band_money"
    return _x(key, lang, samples=record.get("samples"), seed=record.get("seed"),
              inputs=len(record.get("inputs", [])))


def _about(sheet: Worksheet, tables: RunTables, lang: str) -> None:
    sheet.title = _x("sheet_about", lang)
    scenario, manifest = tables.scenario, tables.manifest
    years = sorted({int(y) for y in pd.to_numeric(tables.allocation["year"],
                                                   errors="coerce").dropna()})
    facts = [(_x("scenario", lang), f"{scenario.name} "
              f"{scenario.header.title_zh if lang == 'zh' else scenario.header.title_en}"),
             (_x("plan_years", lang), ", ".join(str(y) for y in years)),
             (_x("seed", lang), manifest.get("seed", scenario.header.seed)),
             (_x("replications", lang), manifest.get("replications",
                                                     scenario.header.replications)),
             (_x("hash", lang), scenario.content_hash()),
             (_x("units", lang), _x("units_text", lang)),
             (_x("band", lang), _band_text(manifest.get("uncertainty"), lang)),
             ("govsim", __version__)]
    for row, (key, value) in enumerate(facts, start=1):
        sheet.cell(row=row, column=1, value=key).font = BOLD
        sheet.cell(row=row, column=2, value=cell_value(value))
    widths(sheet, [24, 100])
    page_setup(sheet, header_rows=0, title=f"{_x('title', lang)} — {sheet.title}")
