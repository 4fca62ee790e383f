"""The comparison workbook's headers as docs/compare.md spells them out for finance staff.

Written here, not imported from :mod:`govsim.output.excel`, so that a changed header fails the
workbook tests instead of changing what they expect.
"""

from __future__ import annotations

SUMMARY_LABEL_HEADERS = ("代码 id", "指标", "Metric", "单位 Unit")
ALLOCATION_HEADERS = ("年度 year", "县 county", "县名 county name", "事项 item",
                      "事项名称 item name", "承接主体 provider type", "资金 fund", "人年 FTE",
                      "费用 cost (万元)")
COMPLIANCE_HEADERS = ("检查年度 check year", "规则 rule", "范围 scope", "实际值 value",
                      "限值 limit", "单位 unit", "结论 status", "出处 source", "说明 detail")


def diff_headers(option: str) -> tuple[str, str, str]:
    """Summary headers of an option's difference from the baseline and its 95 % interval."""
    return (f"Δ {option}", f"Δ {option} 95% 下限 low", f"Δ {option} 95% 上限 high")
