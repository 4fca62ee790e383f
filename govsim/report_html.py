"""The self-contained HTML report of a run, in Chinese or English.

:func:`render_report` turns :class:`~govsim.report.RunTables` and the PNG plots into one HTML
page a planner reads top to bottom: headline numbers per year, compliance with every rule and
its source clause, why rules are not met, where the caps bind (shadow prices), the allocation,
staffing against the 2 ‰ rule, coverage and waits per item, contract events, convergence and
the manifest. Plots are embedded as base64 ``data:`` URIs and the CSS is inline, so the file
opens offline and can be mailed as is. All data is escaped (Jinja2 autoescape).

Money is shown in 万元 (10,000 CNY), shares in per cent, waits in working days.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jinja2
import pandas as pd

from govsim.plots import EVENT_LABELS, display_names, item_summary
from govsim.policy import RULES

if TYPE_CHECKING:
    from govsim.report import RunTables

__all__ = ["TEXT", "Table", "headline", "render_report"]

WAN = 1e4  # CNY per 万元
_MONEY_RULES = {"relief-cap", "funding-sources"}
_SHARE_RULES = {"social-org-share"}
_NOTABLE_EVENTS = ("failed", "takeover", "exit", "not_renewed", "term_reached", "barred")
_MAX_ROWS = 150

#: Report strings by key: (Chinese, English).
TEXT: dict[str, tuple[str, str]] = {
    "report": ("运行报告", "Run report"),
    "contents": ("目录", "Contents"),
    "scenario": ("场景", "Scenario"),
    "base_year": ("基准年", "Base year"),
    "horizon": ("规划年数", "Plan years"),
    "hash": ("场景内容哈希", "Scenario content hash"),
    "seed": ("随机种子", "Seed"),
    "replications": ("重复次数", "Replications"),
    "headline": ("主要结果", "Headline numbers"),
    "total_spend": ("购买服务总支出（万元）", "Total purchase spend (万元)"),
    "relief_spend": ("社会救助资金购买支出（万元）", "Relief-funded spend (万元)"),
    "cap_use": ("3%上限使用率（合计）", "Relief-cap use (all scopes)"),
    "max_cap_use": ("单个县最高上限使用率", "Highest cap use of one scope"),
    "social_share": ("新增购买中社会组织占比（最低的县）",
                     "Social-organisation share of new purchases (lowest county)"),
    "cw_required": ("经办人员需配备", "Caseworkers required"),
    "cw_in_post": ("经办人员在编", "Caseworkers in post"),
    "cw_purchased": ("经办人员购买", "Caseworkers purchased"),
    "cw_shortfall": ("经办人员缺口", "Caseworker shortfall"),
    "coverage": ("覆盖率", "Coverage"),
    "p90_wait": ("第90百分位等待（工作日）", "90th-percentile wait (working days)"),
    "failures": ("不符合的规则检查", "Rule checks failed"),
    "all_years": ("全部年度", "all years"),
    "years_converged": ("收敛年度", "Years converged"),
    "metric": ("指标", "Measure"),
    "compliance": ("政策规则符合情况", "Compliance with the policy rules"),
    "rule": ("规则", "Rule"),
    "text": ("内容", "Rule text"),
    "source": ("出处", "Source clause"),
    "status": ("结论", "Status"),
    "n_pass": ("符合", "pass"),
    "n_fail": ("不符合", "fail"),
    "n_na": ("不适用", "n/a"),
    "details": ("逐项检查", "Every check"),
    "year": ("年度", "Year"),
    "scope": ("范围", "Scope"),
    "value": ("实际值", "Value"),
    "limit": ("限值", "Limit"),
    "detail": ("说明", "Detail"),
    "explanations": ("未达标的原因与所需资金", "Why rules are not met and what it would cost"),
    "county": ("县（市、区）", "County"),
    "shortfall": ("缺口", "Shortfall"),
    "money": ("所需资金（万元）", "Money to close (万元)"),
    "no_explanations": ("无：所有人员配备规则均已满足。", "None: every staffing rule is met."),
    "constraints": ("约束的紧约束情况与影子价格", "Where the caps bind (shadow prices)"),
    "constraints_note": (
        "影子价格：限值增加一个单位（资金约束为1元）时目标值的变化（d目标/d限值）；“每万元”列为资金"
        "约束放宽1万元的效果。目标为最大覆盖时单位是按优先级加权的服务案件数，为最小成本时单位是元。",
        "Shadow price: change of the objective when the limit grows by one unit (one yuan for "
        "money constraints), d(objective)/d(limit); the per-万元 column is what 10,000 CNY more "
        "of a money cap buys. Objective units: priority-weighted cases served (max_coverage) or "
        "CNY (min_cost)."),
    "name": ("约束", "Constraint"),
    "slack": ("松弛量", "Slack"),
    "shadow_price": ("影子价格", "Shadow price"),
    "per_wan": ("每万元效果", "Per 万元 relaxed"),
    "binding_count": ("紧约束 {n} 个，非紧约束 {m} 个。", "{n} binding, {m} not binding."),
    "none_binding": ("没有紧约束。", "No constraint binds."),
    "allocation": ("资金分配", "Allocation"),
    "staffing": ("人员配备（2‰规则与儿童福利）", "Staffing (2 ‰ rule and child welfare)"),
    "required": ("需配备", "Required"),
    "in_post": ("在编", "In post"),
    "purchased": ("购买", "Purchased"),
    "service": ("各服务事项的覆盖率与等待", "Coverage and waits per item"),
    "item": ("服务事项", "Item"),
    "arrivals": ("到达案件", "Arrivals"),
    "served": ("已服务", "Served"),
    "ci": ("±95%CI", "±95 % CI"),
    "wait_mean": ("平均等待（工作日）", "Mean wait (days)"),
    "target": ("目标等待", "Target wait"),
    "utilisation": ("利用率", "Utilisation"),
    "satisfaction": ("满意度", "Satisfaction"),
    "cost": ("成本（万元）", "Cost (万元)"),
    "contracts": ("合同事件", "Contract events"),
    "notable": ("履约失败、退出与未续签", "Failures, exits and non-renewals"),
    "day": ("工作日", "Day"),
    "provider": ("承接机构", "Provider"),
    "event": ("事件", "Event"),
    "fte": ("人年", "FTE"),
    "convergence": ("逐年收敛情况", "Convergence per year"),
    "rounds": ("迭代轮数", "Rounds"),
    "converged": ("是否收敛", "Converged"),
    "reason": ("原因", "Reason"),
    "manifest": ("运行清单（manifest）", "Manifest"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "no_rows": ("无数据。", "No rows."),
    "truncated": ("仅显示前 {shown} 行（共 {total} 行），完整数据见 {file}。",
                  "Showing {shown} of {total} rows; the full table is in {file}."),
    "csv_note": ("CSV 文件为带 BOM 的 UTF-8 编码，可直接用 Excel 打开。金额在 CSV 中以元为单位，"
                 "在本报告中以万元为单位。", "CSV files are UTF-8 with a byte-order mark (opens in "
                 "Excel). Money is in CNY in the CSVs and in 万元 (10,000 CNY) in this report."),
    "mechanisms": ("政策机制（凭单、志愿者、协理员、考核付款、采购周期等）",
                   "Mechanisms (vouchers, volunteers, assistants, payment, lead time ...)"),
    "mechanism": ("机制", "Mechanism"),
    "measure": ("指标", "Measure"),
    "unit": ("单位", "Unit"),
    "mech_source": ("来源", "Source"),
    "mechanisms_note": ("全市合计（比例、评分、等待与价格为平均）；分县、分事项见 mechanisms.csv。",
                        "Prefecture totals (shares, scores, waits and prices averaged); by "
                        "county and item in mechanisms.csv."),
    "pass": ("符合", "pass"),
    "fail": ("不符合", "fail"),
    "not-applicable": ("不适用", "not applicable"),
}


def _t(lang: str) -> Callable[..., str]:
    index = 0 if lang == "zh" else 1

    def translate(key: str, **fields: object) -> str:
        text = TEXT[key][index] if key in TEXT else key
        return text.format(**fields) if fields else text

    return translate


@dataclass
class Table:
    """A table ready for the template: formatted cells, a CSS class per row."""

    headers: list[str]
    rows: list[tuple[list[str], str]] = field(default_factory=list)
    numeric: list[bool] = field(default_factory=list)
    note: str = ""

    def add(self, cells: list[Any], css: str = "") -> None:
        self.rows.append(([_cell(c) for c in cells], css))


# -- formatting -----------------------------------------------------------------------------------

def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def _cell(value: Any) -> str:
    if _missing(value):
        return "–"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def _wan(cny: Any) -> str:
    return "–" if _missing(cny) else f"{float(cny) / WAN:,.1f}"


def _pct(share: Any, digits: int = 1) -> str:
    return "–" if _missing(share) else f"{float(share):.{digits}%}"


def _num(value: Any, digits: int = 1) -> str:
    return "–" if _missing(value) else f"{float(value):,.{digits}f}"


def _year(value: Any) -> str:
    return "–" if _missing(value) else str(int(value))


def _rule_value(rule: str, value: Any) -> str:
    if _missing(value):
        return "–"
    if not isinstance(value, int | float):
        return str(value)
    if rule in _MONEY_RULES:
        return _wan(value) + " 万元"
    if rule in _SHARE_RULES:
        return _pct(value)
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _limit(frame: pd.DataFrame, lang: str, file: str) -> tuple[pd.DataFrame, str]:
    if len(frame) <= _MAX_ROWS:
        return frame, ""
    return frame.head(_MAX_ROWS), _t(lang)("truncated", shown=_MAX_ROWS, total=len(frame),
                                          file=file)


# -- sections -------------------------------------------------------------------------------------

def headline(tables: RunTables) -> pd.DataFrame:
    """Headline numbers per plan year (index: measure keys of :data:`TEXT`; columns: years).

    Money in CNY, shares 0–1, waits in working days. Rule checks that belong to no year
    (contract terms) are counted in every year.
    """
    alloc, staffing = tables.allocation, tables.staffing
    years = sorted(set(alloc["year"]) | set(staffing["year"]) | set(tables.kpis["year"]))
    summary = item_summary(tables.kpis) if not tables.kpis.empty else None
    compliance = tables.compliance
    undated = int(((compliance["status"] == "fail") & compliance["year"].isna()).sum())
    out = {}
    for year in years:
        part = alloc[alloc["year"] == year]
        checked = compliance[compliance["year"] == year]
        # the relief cap and the social-organisation share as the compliance check judged them
        caps = checked[checked["rule"] == "relief-cap"]
        relief, limit = (pd.to_numeric(caps[c]) for c in ("value", "limit"))
        shares = pd.to_numeric(checked.loc[checked["rule"] == "social-org-share", "value"],
                               errors="coerce").dropna()
        cw = staffing[(staffing["year"] == year) & (staffing["rule"] == "caseworker-ratio")]
        col: dict[str, Any] = {
            "total_spend": float(part["cost"].sum()),
            "relief_spend": float(relief.sum()),
            "cap_use": float(relief.sum() / limit.sum()) if limit.sum() > 0 else None,
            "max_cap_use": (float((relief / limit.where(limit > 0)).max())
                            if len(caps) else None),
            "social_share": float(shares.min()) if len(shares) else None,
            "cw_required": cw["required"].sum(), "cw_in_post": cw["in_post"].sum(),
            "cw_purchased": cw["purchased"].sum(), "cw_shortfall": cw["shortfall"].sum(),
            "coverage": None, "p90_wait": None,
            "failures": int(((compliance["year"] == year)
                             & (compliance["status"] == "fail")).sum()) + undated,
        }
        if summary is not None:
            s = summary[summary["year"] == year]
            w = s["arrivals"].sum()
            if w > 0:
                col["coverage"] = s["served"].sum() / w
                col["p90_wait"] = (s["wait_p90_days"].fillna(0) * s["arrivals"]).sum() / w
        out[year] = col
    return pd.DataFrame(out)


def _headline_table(tables: RunTables, t: Callable[..., str]) -> Table:
    frame = headline(tables)
    table = Table([t("metric"), *[str(y) for y in frame.columns]],
                  numeric=[False] + [True] * len(frame.columns))
    formats: dict[str, Callable[[Any], str]] = {
        "total_spend": _wan, "relief_spend": _wan, "cap_use": _pct, "max_cap_use": _pct,
        "social_share": _pct, "coverage": _pct, "p90_wait": _num,
        "cw_required": lambda v: _num(v, 0), "cw_in_post": lambda v: _num(v, 0),
        "cw_purchased": _num, "cw_shortfall": _num, "failures": lambda v: _num(v, 0)}
    for key, fmt in formats.items():
        if key in frame.index:
            values = list(frame.loc[key])
            css = "fail" if key == "failures" and any(v for v in values if not _missing(v)) else ""
            table.add([t(key), *[fmt(v) for v in values]], css)
    return table


def _compliance_tables(tables: RunTables, lang: str, names: Mapping[str, str]
                       ) -> tuple[Table, Table]:
    t = _t(lang)
    comp = tables.compliance
    summary = Table([t("rule"), t("text"), t("source"), t("n_pass"), t("n_fail"), t("n_na"),
                     t("status")], numeric=[False, False, False, True, True, True, False])
    rule_ids = list(RULES) + sorted(set(comp["rule"]) - set(RULES))
    for rule_id in rule_ids:
        rows = comp[comp["rule"] == rule_id]
        counts = rows["status"].value_counts()
        status = ("fail" if counts.get("fail", 0) else "pass" if counts.get("pass", 0)
                  else "not-applicable")
        rule = RULES.get(rule_id)
        text = (rule.text_zh if lang == "zh" else rule.text_en) if rule else ""
        source = rule.source if rule else (rows["source"].iloc[0] if len(rows) else "")
        summary.add([rule_id, text, source, counts.get("pass", 0), counts.get("fail", 0),
                     counts.get("not-applicable", 0), t(status)], status)
    frame, note = _limit(comp.sort_values("status", key=lambda s: s != "fail", kind="stable"),
                         lang, "compliance.csv")
    detail = Table([t("year"), t("rule"), t("scope"), t("value"), t("limit"), t("status"),
                    t("source"), t("detail")],
                   numeric=[False, False, False, True, True, False, False, False], note=note)
    for r in frame.itertuples(index=False):
        detail.add([_year(r.year), r.rule, names.get(r.scope, r.scope),
                    _rule_value(r.rule, r.value), _rule_value(r.rule, r.limit), t(r.status),
                    r.source, r.detail], r.status)
    return summary, detail


def _explanations_table(tables: RunTables, lang: str, names: Mapping[str, str]) -> Table:
    t = _t(lang)
    table = Table([t("year"), t("county"), t("rule"), t("shortfall"), t("money"), t("text")],
                  numeric=[False, False, False, True, True, False])
    text_col = "text_zh" if lang == "zh" else "text_en"
    frame, table.note = _limit(tables.explanations, lang, "explanations.csv")
    for r in frame.to_dict("records"):
        text = r[text_col] if not _missing(r[text_col]) and r[text_col] else r["text_en"]
        table.add([_year(r["year"]), names.get(r["county"], r["county"]), r["rule"],
                   _num(r["shortfall"]), _wan(r["money_cny"]), text])
    return table


def _constraints_table(tables: RunTables, lang: str, names: Mapping[str, str]
                       ) -> tuple[Table, str]:
    t = _t(lang)
    cons = tables.constraints
    binding = cons[cons["binding"].astype(bool)]
    binding = binding.assign(_abs=pd.to_numeric(binding["shadow_price"], errors="coerce").abs())
    binding = binding.sort_values(["year", "_abs"], ascending=[True, False], kind="stable")
    frame, note = _limit(binding, lang, "constraints.csv")
    table = Table([t("year"), t("name"), t("rule"), t("scope"), t("slack"), t("shadow_price"),
                   t("per_wan")], numeric=[False, False, False, False, True, True, True],
                  note=note)
    for r in frame.to_dict("records"):
        per_wan = r.get("shadow_price_per_10k_cny")
        if "shadow_price_per_10k_cny" not in r and r["rule"] in _MONEY_RULES:
            per_wan = r["shadow_price"] * WAN
        per_wan = "–" if _missing(per_wan) else f"{float(per_wan):.4g}"
        table.add([_year(r["year"]), r["name"], r["rule"], names.get(r["scope"], r["scope"]),
                   _num(r["slack"], 2), f"{r['shadow_price']:.4g}"
                   if not _missing(r["shadow_price"]) else "–", per_wan])
    summary = (t("binding_count", n=len(binding), m=len(cons) - len(binding)) if len(binding)
               else t("none_binding"))
    return table, summary


def _staffing_table(tables: RunTables, lang: str, names: Mapping[str, str]) -> Table:
    t = _t(lang)
    staff = tables.staffing
    if len(staff) > _MAX_ROWS:  # large scenarios: the counties short of staff first
        staff = staff.sort_values("shortfall", ascending=False, kind="stable")
    frame, note = _limit(staff, lang, "staffing.csv")
    table = Table([t("year"), t("county"), t("rule"), t("required"), t("in_post"),
                   t("purchased"), t("shortfall")],
                  numeric=[False, False, False, True, True, True, True], note=note)
    for r in frame.to_dict("records"):
        table.add([_year(r["year"]), names.get(r["county"], r["county"]), r["rule"],
                   _num(r["required"], 0), _num(r["in_post"], 0), _num(r["purchased"]),
                   _num(r["shortfall"])], "fail" if (r["shortfall"] or 0) > 1e-9 else "")
    return table


def _service_table(tables: RunTables, lang: str) -> Table:
    t = _t(lang)
    items = display_names(tables.scenario, "items", lang)
    targets = {i.id: i.target_wait_days for i in tables.scenario.items}
    table = Table([t("year"), t("item"), t("arrivals"), t("served"), t("coverage"), t("ci"),
                   t("wait_mean"), t("p90_wait"), t("ci"), t("target"), t("utilisation"),
                   t("satisfaction"), t("cost")],
                  numeric=[False, False] + [True] * 11)
    if tables.kpis.empty:
        return table
    for r in item_summary(tables.kpis).to_dict("records"):
        target = targets.get(r["item"])
        late = target is not None and not _missing(r["wait_p90_days"]) and (
            r["wait_p90_days"] > target)
        table.add([_year(r["year"]), items.get(r["item"], r["item"]), _num(r["arrivals"], 0),
                   _num(r["served"], 0), _pct(r["coverage"]), _pct(r["coverage_ci95"]),
                   _num(r["wait_mean_days"]), _num(r["wait_p90_days"]),
                   _num(r["wait_p90_days_ci95"]), _num(target), _pct(r["utilisation"], 0),
                   _num(r["satisfaction"], 2), _wan(r["cost"])], "fail" if late else "")
    return table


def _contract_tables(tables: RunTables, lang: str, names: Mapping[str, str]
                     ) -> tuple[Table, Table]:
    t = _t(lang)
    log_ = tables.contracts
    events = [e for e in EVENT_LABELS if e in set(log_["event"])]
    events += sorted(set(log_["event"]) - set(events))
    counts = Table([t("year"), *[EVENT_LABELS.get(e, {}).get(lang, e) for e in events]],
                   numeric=[False] + [True] * len(events))
    pivot = log_.groupby(["year", "event"]).size().unstack(fill_value=0)
    for year, row in pivot.iterrows():
        counts.add([_year(year), *[int(row.get(e, 0)) for e in events]])
    items = display_names(tables.scenario, "items", lang)
    types = display_names(tables.scenario, "provider_types", lang)
    notable, note = _limit(log_[log_["event"].isin(_NOTABLE_EVENTS)], lang, "contracts.csv")
    table = Table([t("year"), t("day"), t("county"), t("item"), t("provider"), t("event"),
                   t("fte"), t("detail")], numeric=[False, True, False, False, False, False,
                                                    True, False], note=note)
    for r in notable.to_dict("records"):
        table.add([_year(r["year"]), _num(r["day"], 0), names.get(r["county"], r["county"]),
                   items.get(r["item"], r["item"]),
                   f"{r['provider']} ({types.get(r['provider_type'], r['provider_type'])})",
                   EVENT_LABELS.get(r["event"], {}).get(lang, r["event"]), _num(r["fte"]),
                   r["detail"]], "fail" if r["event"] in ("failed", "barred") else "")
    return counts, table


def _mechanisms_table(tables: RunTables, lang: str) -> Table:
    """The run's mechanism figures (``mechanisms.csv``): the plan's and the simulation's."""
    t = _t(lang)
    table = Table([t("year"), t("mechanism"), t("provider"), t("measure"), t("value"),
                   t("unit"), t("mech_source")],
                  numeric=[False, False, False, False, True, False, False])
    mech = tables.mechanisms
    if mech.empty:
        return table
    # the prefecture's view: money, cases, people and FTE add up over counties and items;
    # shares, scores, waits and prices are averaged
    keys = ["year", "mechanism", "provider_type", "measure", "unit", "source"]
    additive = mech["unit"].isin(["CNY", "cases", "people", "FTE"])
    summed = mech[additive].groupby(keys, sort=False)["value"].sum()
    averaged = mech[~additive].groupby(keys, sort=False)["value"].mean()
    frame = pd.concat([summed, averaged]).reset_index().sort_values(
        ["year", "mechanism", "measure", "provider_type"], kind="stable")
    frame, note = _limit(frame, lang, "mechanisms.csv")
    table.note = note or _t(lang)("mechanisms_note")
    for r in frame.to_dict("records"):
        table.add([_year(r["year"]), r["mechanism"], r["provider_type"], r["measure"],
                   _num(r["value"], 3), r["unit"], r["source"]])
    return table


def _convergence_table(tables: RunTables, lang: str) -> Table:
    t = _t(lang)
    table = Table([t("year"), t("rounds"), t("converged"), t("reason")],
                  numeric=[False, True, False, False])
    for r in tables.convergence.to_dict("records"):
        ok = bool(r["converged"]) if not _missing(r["converged"]) else False
        table.add([_year(r["year"]), _num(r["rounds"], 0), t("yes") if ok else t("no"),
                   r["reason"]], "" if ok else "fail")
    return table


# -- page -----------------------------------------------------------------------------------------

def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("govsim", "templates"),
                              autoescape=True, trim_blocks=True, lstrip_blocks=True,
                              undefined=jinja2.StrictUndefined)


def render_report(tables: RunTables, images: Mapping[str, bytes], lang: str) -> str:
    """The report page as a string.

    Parameters
    ----------
    tables
        Checked run tables (see :meth:`govsim.report.RunTables.checked`).
    images
        PNG bytes by plot stem (see :data:`govsim.report.PLOTS`); embedded as data URIs.
    lang
        ``"zh"`` or ``"en"``.
    """
    t = _t(lang)
    scenario = tables.scenario
    header = scenario.scenario
    names = {**display_names(scenario, "counties", lang),
             "prefecture": "全市" if lang == "zh" else "prefecture"}
    title = (header.title_zh if lang == "zh" else header.title_en) or header.title_en or \
        header.title_zh or header.name
    compliance, compliance_detail = _compliance_tables(tables, lang, names)
    constraints, constraints_summary = _constraints_table(tables, lang, names)
    event_counts, notable = _contract_tables(tables, lang, names)
    conv = tables.convergence
    manifest = tables.manifest
    facts = [(t("scenario"), header.name), (t("base_year"), str(header.base_year)),
             (t("horizon"), str(header.horizon_years)),
             (t("seed"), str(manifest.get("seed", header.seed))),
             (t("replications"), str(manifest.get("replications", header.replications))),
             (t("hash"), scenario.content_hash()[:16])]
    cards = [
        (t("total_spend") + f" · {t('all_years')}", _wan(tables.allocation["cost"].sum())),
        (t("failures"), str(int((tables.compliance["status"] == "fail").sum()))),
        (t("years_converged"), f"{int(conv['converged'].astype(bool).sum())}/{len(conv)}"),
    ]
    images_uri = {stem: "data:image/png;base64," + base64.b64encode(png).decode("ascii")
                  for stem, png in images.items()}
    return _environment().get_template("report.html.j2").render(
        lang=lang, t=t, title=title, facts=facts, cards=cards, images=images_uri,
        headline=_headline_table(tables, t), compliance=compliance,
        compliance_detail=compliance_detail, compliance_open=len(compliance_detail.rows) <= 60,
        explanations=_explanations_table(tables, lang, names),
        constraints=constraints, constraints_summary=constraints_summary,
        staffing=_staffing_table(tables, lang, names), service=_service_table(tables, lang),
        event_counts=event_counts, notable=notable,
        convergence=_convergence_table(tables, lang),
        mechanisms=_mechanisms_table(tables, lang),
        manifest=json.dumps(manifest, ensure_ascii=False, indent=2, default=str),
    )
