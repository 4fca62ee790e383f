"""The comparison workbook's sheets and headers as docs/compare.md spells them out for finance
staff, in each language.

Written here, not imported from :mod:`govsim.output.excel`, so that a changed header fails the
workbook tests instead of changing what they expect.
"""

from __future__ import annotations

SHEETS = {"zh": ("汇总", "合规检查", "说明"), "en": ("Summary", "Compliance", "Assumptions")}
SUMMARY_LABEL_HEADERS = {"zh": ("指标", "单位"), "en": ("Measure", "Unit")}
NOTES_HEADER = {"zh": "注", "en": "Notes"}
ALLOCATION_HEADERS = {
    "zh": ("年度", "县（市、区）", "服务事项", "承接主体类型", "资金来源", "人年（全时当量）",
           "费用（万元）"),
    "en": ("Year", "County", "Item", "Provider type", "Fund", "FTE (person-years)",
           "Cost (10,000 CNY)")}
COMPLIANCE_HEADERS = {
    "zh": ("方案", "年度", "规则", "范围", "实际值", "限值", "单位", "结论", "出处（文件与条款）"),
    "en": ("Option", "Year", "Rule", "Scope", "Value", "Limit", "Unit", "Status",
           "Source (document and clause)")}
STATUS_WORDS = {"zh": {"符合", "不符合", "不适用"}, "en": {"pass", "fail", "not applicable"}}


def diff_headers(option: str, lang: str = "en") -> tuple[str, str, str]:
    """Summary headers of an option's difference from the baseline and its 95 % interval."""
    if lang == "zh":
        return (f"Δ {option}", f"Δ {option} 95%下限", f"Δ {option} 95%上限")
    return (f"Δ {option}", f"Δ {option} 95 % low", f"Δ {option} 95 % high")
