"""The ``comparison.xlsx`` workbook a finance bureau takes to a meeting (Excel and WPS).

Sheets, in order (layout documented in ``docs/compare.md``):

- ``Summary`` — metrics as rows, options as columns: id, Chinese and English metric names,
  unit, one value column per option, then for every other option its difference from the
  baseline and the 95 % interval; significant differences filled yellow and bold, the others
  grey with " n.s."; header frozen.
- one sheet per option, named as the option — its allocation (columns A-I) and compliance
  (columns K-S) side by side, headers on row 1.
- ``Assumptions`` — scenario, content hash, seed, replications, years, the options with their
  overrides, the metric definitions and how to read the differences.

Money is in 万元 (10,000 CNY) with format ``#,##0.0``; shares as per cent. The numbers are
exactly those of ``comparison.csv`` (only their display differs). Written with openpyxl.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from govsim import __version__
from govsim.output.labels import label

if TYPE_CHECKING:
    from govsim.compare.core import Comparison
    from govsim.compare.metrics import Metric
    from govsim.scenario import Scenario

__all__ = [
    "ALLOCATION_HEADERS",
    "CAP_RANGE_HEADERS",
    "COMPLIANCE_HEADERS",
    "NUMBER_FORMATS",
    "SUMMARY_LABEL_HEADERS",
    "diff_headers",
    "write_cap_range_workbook",
    "write_workbook",
]

WAN = 1e4  # CNY per 万元
#: Excel number format of each unit.
NUMBER_FORMATS: dict[str, str] = {"wan": "#,##0.0", "share": "0.0%", "people": "#,##0.0",
                                  "cases": "#,##0", "days": "0.0", "cny_per_case": "#,##0",
                                  "score": "0.000", "count": "0"}
#: The first four columns of the Summary sheet.
SUMMARY_LABEL_HEADERS = ("代码 id", "指标", "Metric", "单位 Unit")
#: Headers of the allocation block of an option sheet (columns A-I).
ALLOCATION_HEADERS = ("年度 year", "县 county", "县名 county name", "事项 item",
                      "事项名称 item name", "承接主体 provider type", "资金 fund",
                      "人年 FTE", "费用 cost (万元)")
#: Headers of the compliance block of an option sheet (columns K-S).
COMPLIANCE_HEADERS = ("检查年度 check year", "规则 rule", "范围 scope", "实际值 value",
                      "限值 limit", "单位 unit", "结论 status", "出处 source", "说明 detail")
#: Headers and Excel unit of the cap-range columns: id -> (Chinese, English, unit or None).
CAP_RANGE_HEADERS: dict[str, tuple[str, str, str | None]] = {
    "relief_cap_share": ("救助资金上限比例", "Relief-cap share", "share"),
    "spend_total_wan": ("购买服务总支出（万元）", "Total spend (10,000 CNY)", "wan"),
    "spend_relief_wan": ("社会救助资金支出（万元）", "Relief-fund spend (10,000 CNY)", "wan"),
    "coverage_planned": ("计划需求加权覆盖率", "Planned need-weighted coverage", "share"),
    "caseworker_shortfall": ("经办人员缺口（人）", "Caseworker shortfall (people)", "people"),
    "child_staff_shortfall": ("儿童福利工作人员缺口（人）", "Child-welfare staff shortfall",
                              "people"),
    "objective_value": ("需求满足（分）", "Need met (points)", None),
    "shadow_price_per_wan": ("上限影子价格（每万元，加权平均）",
                             "Cap shadow price per 10,000 CNY (weighted mean)", None),
    "shadow_price_per_wan_max": ("上限影子价格（每万元，最高县）",
                                 "Cap shadow price per 10,000 CNY (highest county)", None),
    "binding_scopes": ("上限为紧约束的范围数", "Cap scopes binding", "count"),
    "status": ("求解状态", "Status", None),
}
_COMPLIANCE_COLUMN = len(ALLOCATION_HEADERS) + 2  # one empty column between the blocks
_MONEY_RULES = {"relief-cap", "funding-sources"}
_RULE_UNITS = {"social-org-share": "share", "caseworker-ratio": "people",
               "child-welfare-staff": "people", "contract-term": "years"}

_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_BASELINE_FILL = PatternFill("solid", fgColor="BDD7EE")
_SIGNIFICANT_FILL = PatternFill("solid", fgColor="FFF2CC")
_FAIL_FILL = PatternFill("solid", fgColor="F8CBAD")
_BOLD = Font(bold=True)
_GREY = Font(color="808080")
_GREY_ITALIC = Font(color="808080", italic=True)
_THIN = Border(bottom=Side(style="thin", color="9BC2E6"))
_WRAP = Alignment(wrap_text=True, vertical="center")


def diff_headers(option: str) -> tuple[str, str, str]:
    """Summary headers of an option's difference, its 95 % low and high end."""
    return (f"Δ {option}", f"Δ {option} 95% 下限 low", f"Δ {option} 95% 上限 high")


def write_workbook(comparison: Comparison, path: str | Path, *, command: str | None = None,
                   generated: datetime | None = None) -> Path:
    """Write the comparison workbook to ``path`` and return it.

    Parameters
    ----------
    comparison : Comparison
    path : str or Path
        Target file (``.xlsx``); overwritten if it exists.
    command : str, optional
        The command line, recorded on the Assumptions sheet.
    generated : datetime, optional
        Time recorded as generated (default: now, UTC).
    """
    book = Workbook()
    summary = book.active
    summary.title = "Summary"
    _summary_sheet(summary, comparison)
    for option, scenario, result in zip(comparison.options, comparison.scenarios,
                                        comparison.results, strict=True):
        _option_sheet(book.create_sheet(option.name), scenario, result)
    _assumptions_sheet(book.create_sheet("Assumptions"), comparison, command,
                       generated or datetime.now(UTC))
    book.properties.creator = f"govsim {__version__}"
    book.properties.title = comparison.title_zh or comparison.title_en or "方案比较 comparison"
    path = Path(path)
    book.save(path)
    return path


def _cell_value(value: Any) -> Any:
    """Excel cannot store NaN: missing numbers become empty cells."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        value = value.item()
    return value


def _header(sheet: Worksheet, row: int, column: int, headers: Sequence[str]) -> None:
    for offset, text in enumerate(headers):
        cell = sheet.cell(row=row, column=column + offset, value=text)
        cell.font, cell.fill, cell.alignment, cell.border = _BOLD, _HEADER_FILL, _WRAP, _THIN


def _summary_sheet(sheet: Worksheet, comparison: Comparison) -> None:
    table = comparison.table.set_index("option")
    names = [o.name for o in comparison.options]
    others = names[1:]
    headers = [*SUMMARY_LABEL_HEADERS, *names]
    for name in others:
        headers += diff_headers(name)
    _header(sheet, 1, 1, headers)
    baseline_cell = sheet.cell(row=1, column=len(SUMMARY_LABEL_HEADERS) + 1)
    baseline_cell.fill = _BASELINE_FILL
    sheet.row_dimensions[1].height = 45
    for row, m in enumerate(comparison.metrics, start=2):
        labels = (m.id, m.name_zh, m.name_en, _unit(m.unit))
        for column, text in enumerate(labels, start=1):
            sheet.cell(row=row, column=column, value=text)
        fmt = NUMBER_FORMATS[m.unit]
        column = len(SUMMARY_LABEL_HEADERS) + 1
        for name in names:
            cell = sheet.cell(row=row, column=column, value=_cell_value(table.at[name, m.id]))
            cell.number_format = fmt
            column += 1
        for name in others:
            _diff_cells(sheet, row, column, table.loc[name], m)
            column += 3
    widths = [22, 28, 36, 20] + [max(12, len(n) + 4) for n in names]
    widths += [max(14, len(h) + 2) for n in others for h in diff_headers(n)]
    _widths(sheet, widths)
    sheet.freeze_panes = sheet.cell(row=2, column=len(SUMMARY_LABEL_HEADERS) + 1)


def _diff_cells(sheet: Worksheet, row: int, column: int, record: pd.Series, m: Metric) -> None:
    fmt = NUMBER_FORMATS[m.unit]
    significant = record[f"{m.id}_significant"]
    values = (record[f"{m.id}_diff"], record[f"{m.id}_diff_low"], record[f"{m.id}_diff_high"])
    for offset, value in enumerate(values):
        cell = sheet.cell(row=row, column=column + offset, value=_cell_value(value))
        if significant is pd.NA or significant is None:
            cell.number_format = f"+{fmt};-{fmt};{fmt}"
            cell.font = _GREY_ITALIC
        elif bool(significant):
            cell.number_format = f"+{fmt};-{fmt};{fmt}"
            cell.fill = _SIGNIFICANT_FILL
            cell.font = _BOLD
        else:
            suffix = '" n.s."' if offset == 0 else ""
            cell.number_format = f"+{fmt}{suffix};-{fmt}{suffix};{fmt}{suffix}"
            cell.font = _GREY


def _option_sheet(sheet: Worksheet, scenario: Scenario, result: Any) -> None:
    counties = {c.id: c.name_zh for c in scenario.counties}
    items = {i.id: i.name_zh for i in scenario.items}
    types = {p.id: p.name_zh for p in scenario.provider_types}
    _header(sheet, 1, 1, ALLOCATION_HEADERS)
    allocation = result.tables.allocation
    for row, rec in enumerate(allocation.to_dict("records"), start=2):
        values = (rec["year"], rec["county"], counties.get(rec["county"], ""), rec["item"],
                  items.get(rec["item"], ""),
                  f"{rec['provider_type']} {types.get(rec['provider_type'], '')}".strip(),
                  rec["fund"], rec["fte"], float(rec["cost"]) / WAN)
        for column, value in enumerate(values, start=1):
            sheet.cell(row=row, column=column, value=_cell_value(value))
        sheet.cell(row=row, column=8).number_format = "#,##0.00"
        sheet.cell(row=row, column=9).number_format = NUMBER_FORMATS["wan"]
    _header(sheet, 1, _COMPLIANCE_COLUMN, COMPLIANCE_HEADERS)
    compliance = result.tables.compliance
    for row, rec in enumerate(compliance.to_dict("records"), start=2):
        money = rec["rule"] in _MONEY_RULES
        unit = "万元" if money else _RULE_UNITS.get(rec["rule"], "")
        value, limit = (_number(rec["value"]), _number(rec["limit"]))
        if money:
            value = value / WAN if isinstance(value, float) else value
            limit = limit / WAN if isinstance(limit, float) else limit
        values = (rec["year"], rec["rule"], rec["scope"], value, limit, unit, rec["status"],
                  rec["source"], rec["detail"])
        for offset, item in enumerate(values):
            cell = sheet.cell(row=row, column=_COMPLIANCE_COLUMN + offset,
                              value=_cell_value(item))
            if offset in (3, 4) and isinstance(cell.value, float):
                cell.number_format = NUMBER_FORMATS["share"] if unit == "share" else "#,##0.0"
        if rec["status"] == "fail":
            sheet.cell(row=row, column=_COMPLIANCE_COLUMN + 6).fill = _FAIL_FILL
    _widths(sheet, [8, 12, 12, 18, 24, 22, 10, 10, 14, 3, 8, 20, 12, 12, 12, 8, 14, 36, 48])
    sheet.freeze_panes = "A2"


def _number(value: Any) -> Any:
    """Compliance values are numbers or empty; keep text as text."""
    if value is None or isinstance(value, bool):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def _assumptions_sheet(sheet: Worksheet, comparison: Comparison, command: str | None,
                       generated: datetime) -> None:
    scenario = comparison.scenario
    facts = [
        ("比较 Comparison", comparison.title_zh or comparison.title_en or ""),
        ("场景 Scenario", f"{scenario.name} {scenario.header.title_zh}".strip()),
        ("场景来源 Scenario source", scenario.source or ""),
        ("基准场景内容哈希 Scenario content hash (SHA-256)", scenario.content_hash()),
        ("随机种子 Seed", comparison.seed),
        ("重复次数 Replications", comparison.replications),
        ("规划年度 Plan years", ", ".join(str(y) for y in comparison.years)),
        ("求解器 Solver", comparison.solver),
        ("基准方案 Baseline option", comparison.baseline.name),
        ("生成时间 Generated (UTC)", generated.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")),
        ("govsim 版本 version", __version__),
        ("命令 Command", command or ""),
        ("共同随机数 Common random numbers",
         "每个方案使用相同的随机种子、重复次数与年度；第r次重复与基准的第r次重复配对比较。 "
         "Every option uses the same seed, replications and years; replication r of an option "
         "is paired with replication r of the baseline."),
        ("差异的读法 Reading the differences",
         "Δ = 方案 − 基准，括号为配对重复的95%置信区间。黄色加粗：区间不含0（显著）；灰色"
         "“n.s.”：区间含0（不显著）。规划类指标每年只有一个方案，区间宽度为0。 "
         "Δ = option − baseline with the 95 % interval of the paired replications. Yellow and "
         "bold: the interval excludes 0 (significant); grey 'n.s.': it covers 0. Plan metrics "
         "have one plan per year, so their interval has width 0."),
        ("单位 Units", "金额为万元/年（每案成本为元）；比例以百分比显示；等待为工作日（8小时）。 "
         "Money in 万元 (10,000 CNY) per year (cost per case in CNY); shares as per cent; "
         "waits in working days of 8 hours."),
    ]
    for row, (key, value) in enumerate(facts, start=1):
        sheet.cell(row=row, column=1, value=key).font = _BOLD
        sheet.cell(row=row, column=2, value=value).alignment = Alignment(wrap_text=True,
                                                                        vertical="top")
    row = len(facts) + 2
    _header(sheet, row, 1, ("方案 option", "基准 baseline", "标题 title", "Title",
                            "场景文件 scenario file", "场景内容哈希 content hash",
                            "覆盖参数 overrides", "说明 description"))
    for option, s in zip(comparison.options, comparison.scenarios, strict=True):
        row += 1
        values = (option.name, "是 yes" if option is comparison.baseline else "",
                  option.title_zh, option.title_en, option.scenario or "", s.content_hash(),
                  option.overrides_text(), option.description)
        for column, value in enumerate(values, start=1):
            sheet.cell(row=row, column=column, value=value).alignment = _WRAP
    row += 2
    _header(sheet, row, 1, ("代码 id", "指标", "Metric", "单位 unit", "类型 kind",
                            "定义 definition"))
    for m in comparison.metrics:
        row += 1
        values = (m.id, m.name_zh, m.name_en, _unit(m.unit),
                  "规划 plan" if m.kind == "plan" else "模拟 simulation", m.definition)
        for column, value in enumerate(values, start=1):
            sheet.cell(row=row, column=column, value=value)
    _widths(sheet, [44, 70, 24, 30, 30, 30, 50, 40])


def _unit(unit: str) -> str:
    """A unit in both languages, Chinese first (the workbook is bilingual)."""
    return f"{label(f'unit.{unit}', 'zh')} {label(f'unit.{unit}', 'en')}"


def _widths(sheet: Worksheet, widths: Sequence[float]) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def write_cap_range_workbook(table: pd.DataFrame, path: str | Path) -> None:
    """``cap_range.xlsx``: one sheet ``CapRange``, bilingual headers on row 1, one row per cap
    share (headers from :data:`CAP_RANGE_HEADERS`)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "CapRange"
    columns = list(table.columns)
    for column, key in enumerate(columns, start=1):
        zh, en, _unit = CAP_RANGE_HEADERS[key]
        cell = sheet.cell(row=1, column=column, value=f"{zh} {en}")
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[get_column_letter(column)].width = 20
    for row, record in enumerate(table.to_dict("records"), start=2):
        for column, key in enumerate(columns, start=1):
            value = record[key]
            if isinstance(value, float) and math.isnan(value):
                value = None
            unit = CAP_RANGE_HEADERS[key][2]
            cell = sheet.cell(row=row, column=column, value=value)
            cell.number_format = NUMBER_FORMATS[unit] if unit else "#,##0.000"
    sheet.row_dimensions[1].height = 45
    sheet.freeze_panes = "B2"
    book.save(path)
