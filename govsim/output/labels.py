"""THE zh/en label table: every word govsim shows a reader, in Chinese and in English.

:data:`LABELS` maps a key to its ``(Chinese, English)`` text; :func:`label` is the one lookup.
Keys are grouped by where they appear — ``plot.*`` (the plots of a run), ``event.*`` (contract
events), ``report.*`` (the HTML report), ``compare.*`` (the comparison page and chart),
``cap_range.*`` (the cap-range chart), ``unit.*`` (units of the comparison metrics) — so that
two places showing the same thing show the same words.

Policy numbers are never frozen into the text: a label that names one has a placeholder —
``{cap}`` (the relief-cap share), ``{ratio}`` (the caseworker ratio), ``{social}`` (the
social-organisation minimum share) — filled by :func:`policy_fields` from the scenario's
``[policy]``, whose defaults are the rules data (``govsim/data/rules.toml``). A what-if with a
2 % cap is labelled 2 %.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from govsim.scenario import Policy

__all__ = [
    "LABELS",
    "event_name",
    "label",
    "per_mille",
    "percent",
    "policy_fields",
    "unit_labels",
]

LANGS = ("zh", "en")

#: Key -> (Chinese, English). Placeholders in braces are filled by :func:`label`'s fields.
LABELS: dict[str, tuple[str, str]] = {
    # -- plots of a run (govsim.output.plots) ------------------------------------------------------
    "plot.allocation_title": ("购买服务资金分配（万元）", "Purchase allocation (10,000 CNY)"),
    "plot.wan": ("万元", "10,000 CNY (万元)"),
    "plot.year": ("年度", "Year"),
    "plot.relief_title": ("社会救助资金购买服务支出与{cap}上限",
                          "Relief-funded purchases against the {cap} relief cap"),
    "plot.cap": ("上限（上年社会救助专项资金的{cap}）", "cap ({cap} of last year's relief fund)"),
    "plot.prefecture": ("全市合计", "Prefecture"),
    "plot.caseworker_title": (
        "社会救助经办人员：需配备、在编与购买（{ratio}）",
        "Social-assistance caseworkers: required, in post, purchased ({ratio} rule)"),
    "plot.people": ("人", "people"),
    "plot.required": ("需配备", "required"),
    "plot.in_post": ("在编", "in post"),
    "plot.purchased": ("购买", "purchased"),
    "plot.social_title": ("向社会组织购买的比例", "Share bought from social organisations"),
    "plot.spend_by_type": ("按承接主体类型的支出（万元）", "Spend by provider type (10,000 CNY)"),
    "plot.share": ("社会组织占比", "social-organisation share"),
    "plot.minimum": ("下限 {social}", "minimum {social}"),
    "plot.service_title": ("各服务事项的覆盖率与等待时间（95%置信区间）",
                           "Coverage and waits per item (95 % CI)"),
    "plot.coverage": ("覆盖率（已服务/（到达+结转））",
                      "coverage (served / (arrivals + carried in))"),
    "plot.no_service": ("— 无服务", "— none served"),
    "plot.coverage_target": ("覆盖率目标", "coverage target"),
    "plot.p90_wait": ("第90百分位等待（工作日）", "90th-percentile wait (working days)"),
    "plot.target_wait": ("目标等待", "target wait"),
    "plot.timeline_title": ("购买合同时间线", "Contract timeline"),
    "plot.no_data": ("无数据", "no data"),
    "plot.top_note": ("仅显示{by}最高的{shown}个县（共{total}个）",
                      "showing the {shown} of {total} counties with the highest {by}"),
    "plot.by_spend": ("支出", "spend"),
    "plot.by_cap_use": ("上限使用率", "cap use"),
    "plot.by_shortfall": ("缺口", "shortfall"),
    "plot.by_gap": ("资金缺口", "money gap"),
    "plot.rows_note": ("仅显示{shown}行（共{total}行），事件多者优先",
                       "showing {shown} of {total} rows, most eventful first"),
    "plot.years_note": ("显示年度：{years}", "years shown: {years}"),
    # -- contract events ---------------------------------------------------------------------------
    "event.signed": ("签订", "signed"),
    "event.renewed": ("续签", "renewed"),
    "event.assessed": ("评估", "assessed"),
    "event.not_renewed": ("未续签", "not renewed"),
    "event.failed": ("履约失败", "failed"),
    "event.takeover": ("临时接管", "takeover"),
    "event.exit": ("退出", "exit"),
    "event.term_reached": ("合同期满", "term reached"),
    "event.barred": ("禁入", "barred"),
    # -- the run report (govsim.output.html) -------------------------------------------------------
    "report.report": ("运行报告", "Run report"),
    "report.contents": ("目录", "Contents"),
    "report.scenario": ("场景", "Scenario"),
    "report.base_year": ("基准年", "Base year"),
    "report.horizon": ("规划年数", "Plan years"),
    "report.hash": ("场景内容哈希", "Scenario content hash"),
    "report.seed": ("随机种子", "Seed"),
    "report.replications": ("重复次数", "Replications"),
    "report.headline": ("主要结果", "Headline numbers"),
    "report.total_spend": ("购买服务总支出（万元）", "Total purchase spend (万元)"),
    "report.relief_spend": ("社会救助资金购买支出（万元）", "Relief-funded spend (万元)"),
    "report.cap_use": ("{cap}上限使用率（合计）", "Relief-cap use (all scopes)"),
    "report.max_cap_use": ("单个县最高上限使用率", "Highest cap use of one scope"),
    "report.social_share": ("新增购买中社会组织占比（最低的县）",
                            "Social-organisation share of new purchases (lowest county)"),
    "report.cw_required": ("经办人员需配备", "Caseworkers required"),
    "report.cw_in_post": ("经办人员在编", "Caseworkers in post"),
    "report.cw_purchased": ("经办人员购买", "Caseworkers purchased"),
    "report.cw_shortfall": ("经办人员缺口", "Caseworker shortfall"),
    "report.coverage": ("覆盖率（已服务/（到达+结转））",
                        "Coverage (served / (arrivals + carried in))"),
    "report.weighted_coverage": ("需求加权覆盖率", "Need-weighted coverage"),
    "report.overdue": ("逾期法定案件", "Overdue statutory cases"),
    "report.no_service_cells": ("有需求无服务的县×事项",
                                "County × item cells with demand, none served"),
    "report.warning": ("警示", "Warning"),
    "report.n_unattainable": ("{n} 年受上限约束无法达到", "{n} unattainable under a cap"),
    "report.no_service": ("无服务", "none served"),
    "report.p90_wait": ("第90百分位等待（工作日）", "90th-percentile wait (working days)"),
    "report.failures": ("不符合的规则检查", "Rule checks failed"),
    "report.all_years": ("全部年度", "all years"),
    "report.years_converged": ("收敛年度", "Years converged"),
    "report.metric": ("指标", "Measure"),
    "report.compliance": ("政策规则符合情况", "Compliance with the policy rules"),
    "report.rule": ("规则", "Rule"),
    "report.text": ("内容", "Rule text"),
    "report.source": ("出处", "Source clause"),
    "report.status": ("结论", "Status"),
    "report.n_pass": ("符合", "pass"),
    "report.n_fail": ("不符合", "fail"),
    "report.n_na": ("不适用", "n/a"),
    "report.details": ("逐项检查", "Every check"),
    "report.year": ("年度", "Year"),
    "report.scope": ("范围", "Scope"),
    "report.value": ("实际值", "Value"),
    "report.limit": ("限值", "Limit"),
    "report.detail": ("说明", "Detail"),
    "report.explanations": ("未达标的原因与所需资金",
                            "Why rules are not met and what it would cost"),
    "report.county": ("县（市、区）", "County"),
    "report.shortfall": ("缺口", "Shortfall"),
    "report.money": ("所需资金（万元）", "Money to close (万元)"),
    "report.no_explanations": ("无：所有人员配备规则均已满足。",
                               "None: every staffing rule is met."),
    "report.constraints": ("约束的紧约束情况与影子价格", "Where the caps bind (shadow prices)"),
    "report.constraints_note": (
        "影子价格：限值增加一个单位（资金约束为1元）时重视资金的目标阶段的变化（d目标/d限值）；"
        "“每万元效果”为资金约束放宽1万元时需求满足目标（优先级×质量×小时）的增量，最小成本时单位"
        "是元。“上限每增加1万元”为这1万元在边际单元（有序目标下一元钱最先投向的县×事项）可买到的"
        "服务小时和服务人次。",
        "Shadow price: change of the stage that values money when the limit grows by one unit "
        "(one yuan for money constraints), d(goal)/d(limit); the per-万元 column is that change "
        "for 10,000 CNY (need met: priority × quality × hours; CNY for min_cost). The last "
        "column is what 10,000 CNY more of a cap buys in the marginal cell (where the ordered "
        "goals would spend the next yuan): hours of need met and people served."),
    "report.hours_per_wan": ("上限每增加1万元", "1 万元 more cap buys"),
    "report.buys": ("多满足 {hours} 小时需求（多服务 {people} 人次，{cell}）",
                    "{hours} more hours of need met ({people} more people served, {cell})"),
    "report.name": ("约束", "Constraint"),
    "report.slack": ("松弛量", "Slack"),
    "report.shadow_price": ("影子价格", "Shadow price"),
    "report.per_wan": ("每万元效果", "Per 万元 relaxed"),
    "report.binding_count": ("紧约束 {n} 个，非紧约束 {m} 个。", "{n} binding, {m} not binding."),
    "report.none_binding": ("没有紧约束。", "No constraint binds."),
    "report.allocation": ("资金分配", "Allocation"),
    "report.staffing": ("人员配备（{ratio}规则与儿童福利）",
                        "Staffing ({ratio} rule and child welfare)"),
    "report.required": ("需配备", "Required"),
    "report.in_post": ("在编", "In post"),
    "report.purchased": ("购买", "Purchased"),
    "report.service": ("各服务事项的覆盖率与等待", "Coverage and waits per item"),
    "report.item": ("服务事项", "Item"),
    "report.arrivals": ("到达案件", "Arrivals"),
    "report.served": ("已服务", "Served"),
    "report.ci": ("±95%CI", "±95 % CI"),
    "report.wait_mean": ("平均等待（工作日）", "Mean wait (days)"),
    "report.target": ("目标等待", "Target wait"),
    "report.utilisation": ("利用率", "Utilisation"),
    "report.satisfaction": ("满意度", "Satisfaction"),
    "report.cost": ("成本（万元）", "Cost (万元)"),
    "report.contracts": ("合同事件", "Contract events"),
    "report.notable": ("履约失败、退出与未续签", "Failures, exits and non-renewals"),
    "report.day": ("工作日", "Day"),
    "report.provider": ("承接机构", "Provider"),
    "report.event": ("事件", "Event"),
    "report.fte": ("人年", "FTE"),
    "report.convergence": ("逐年收敛情况", "Convergence per year"),
    "report.rounds": ("迭代轮数", "Rounds"),
    "report.converged": ("是否收敛", "Converged"),
    "report.reason": ("原因", "Reason"),
    "report.manifest": ("运行清单（manifest）", "Manifest"),
    "report.yes": ("是", "yes"),
    "report.no": ("否", "no"),
    "report.no_rows": ("无数据。", "No rows."),
    "report.truncated": ("仅显示前 {shown} 行（共 {total} 行），完整数据见 {file}。",
                         "Showing {shown} of {total} rows; the full table is in {file}."),
    "report.csv_note": (
        "CSV 文件为带 BOM 的 UTF-8 编码，可直接用 Excel 打开。金额在 CSV "
        "中以元为单位，在本报告中以万元为单位。",
        "CSV files are UTF-8 with a byte-order mark (opens in Excel). Money is in CNY in the "
        "CSVs and in 万元 (10,000 CNY) in this report."),
    "report.mechanisms": ("政策机制（凭单、志愿者、协理员、考核付款、采购周期等）",
                          "Mechanisms (vouchers, volunteers, assistants, payment, lead time ...)"),
    "report.mechanism": ("机制", "Mechanism"),
    "report.measure": ("指标", "Measure"),
    "report.unit": ("单位", "Unit"),
    "report.mech_source": ("来源", "Source"),
    "report.mechanisms_note": (
        "全市合计（比例、评分、等待与价格为平均）；分县、分事项见 mechanisms.csv。",
        "Prefecture totals (shares, scores, waits and prices averaged); by county and item in "
        "mechanisms.csv."),
    "report.pass": ("符合", "pass"),
    "report.fail": ("不符合", "fail"),
    "report.not-applicable": ("不适用", "not applicable"),
    # -- the comparison (govsim.output.compare) ----------------------------------------------------
    "compare.title": ("预算方案比较", "Budget options compared"),
    "compare.baseline": ("基准方案", "baseline"),
    "compare.significant": ("与基准差异显著（95%）", "differs from baseline (95 %)"),
    "compare.not": ("与基准差异不显著", "no significant difference"),
    "compare.metric": ("指标", "Measure"),
    "compare.unit": ("单位", "Unit"),
    "compare.note": (
        "Δ 为与基准方案的差异（方案 − "
        "基准），方括号内为配对重复的95%置信区间；加粗为显著，灰色为不显著（n.s.）。所有方案使用"
        "相同的随机数（共同随机数）。",
        "Δ is the difference from the baseline (option − baseline), with the 95 % interval of "
        "the paired replications in brackets; bold when significant, grey when not (n.s.). Every "
        "option runs on the same random numbers."),
    "compare.facts": (
        "场景 {name}，内容哈希 {hash}，随机种子 {seed}，重复 {reps} 次，年度 {years}。",
        "Scenario {name}, content hash {hash}, seed {seed}, {reps} replications, years {years}."),
    # -- the cap range (govsim.output.charts.plot_cap_range) ---------------------------------------
    "cap_range.title": ("救助资金上限比例的边际分析", "Marginal analysis of the relief-cap share"),
    "cap_range.coverage": ("计划优先级加权覆盖率（%）", "Planned priority-weighted coverage (%)"),
    "cap_range.caseworkers": ("经办人员缺口（人，{ratio}规则）",
                              "Caseworkers short of the {ratio} rule (people)"),
    "cap_range.shadow_price": ("上限影子价格（{unit}）", "Relief-cap shadow price ({unit})"),
    "cap_range.need_per_wan": ("需求满足分/万元", "points of need met per 10,000 CNY"),
    "cap_range.cny_per_wan": ("元/万元", "CNY per 10,000 CNY"),
    "cap_range.spend": ("购买服务总支出（万元/年）", "Total purchase spend (10,000 CNY per year)"),
    # -- money needed and input uncertainty (govsim budget, money_needed.png) ----------------------
    "budget.title": ("所需资金与上限允许的资金（万元）",
                     "Money needed and what the caps allow (10,000 CNY)"),
    "budget.need": ("所需资金", "money needed"),
    "budget.cap": ("上限允许", "caps allow"),
    "budget.gap": ("缺口", "gap"),
    "budget.band": ("所需资金 80% 区间", "money needed, 80 % band"),
    "budget.prefecture": ("全市：所需 {need}，上限允许 {cap}，缺口 {gap}",
                          "Prefecture: need {need}, caps allow {cap}, gap {gap}"),
    "budget.rules_note": (
        "所需资金：完成全部法定事务、满足人员配备规则（经办人员{ratio}、儿童福利督导员和主任）"
        "并使各服务事项覆盖率达到 {target} 的最少资金（不受上限约束）；上限允许：社会救助资金上限"
        "（上年支出的{cap}）加儿童福利资金；全市另加福彩公益金。",
        "Money needed: the least money that clears all statutory work, meets the staffing rules "
        "({ratio} caseworkers, child-welfare supervisors and directors) and serves {target} of "
        "each item's need, caps lifted; caps allow: the relief cap ({cap} of last year's relief "
        "fund) plus the child-welfare fund; the prefecture adds the welfare-lottery fund."),
    "budget.table_title": ("所需资金、上限与缺口（万元）",
                           "Money needed, caps and gap (10,000 CNY)"),
    "budget.year": ("年度", "year"),
    "budget.county": ("区县", "county"),
    "budget.need_wan": ("所需", "need"),
    "budget.cap_wan": ("上限允许", "caps allow"),
    "budget.gap_wan": ("缺口", "gap"),
    "budget.band_wan": ("所需 80% 区间", "need, 80 % band"),
    "budget.gap_band_wan": ("缺口 80% 区间", "gap, 80 % band"),
    "budget.unserved_hours": ("未满足小时", "hours unserved"),
    "budget.unserved_cases": ("未服务件数", "cases unserved"),
    "budget.staff_short": ("人员缺口（人）", "staff short (people)"),
    "budget.unserved_items": ("未满足最多的事项", "items left unserved, largest first"),
    "budget.unattainable": (
        "{n} 个（年度×区县×事项）即使不受上限约束，也因承接主体供给能力（或新增购买中社会组织"
        "比例的要求）不足达不到目标（共差 {hours} 小时）；其所需资金只含能达到的部分。",
        "{n} year × county × item cells cannot reach the targets even with the caps lifted "
        "(providers cannot field the workers, or the social-organisation share of new "
        "purchases holds others back; {hours} hours short in all); their money covers what "
        "can be reached."),
    "budget.written": ("结果：{folder}", "results: {folder}"),
    "uncertainty.table_title": ("输入不确定性：80% 区间（{n} 个拉丁超立方样本）",
                                "Uncertainty from the inputs: 80 % bands ({n} Latin-hypercube "
                                "samples)"),
    "uncertainty.drivers_title": ("驱动因素（标准化秩回归系数，全市、规划期）",
                                  "What drives them (standardised rank regression, prefecture, "
                                  "horizon)"),
    "uncertainty.metric": ("指标", "measure"),
    "uncertainty.input": ("不确定输入", "input"),
    "uncertainty.index": ("系数", "coefficient"),
    "uncertainty.point": ("点估计", "point estimate"),
    "uncertainty.r2": ("R²", "R²"),
    "metric.need_cny": ("所需资金（万元）", "money needed (10,000 CNY)"),
    "metric.gap_cny": ("资金缺口（万元）", "gap (10,000 CNY)"),
    "metric.coverage": ("覆盖率", "coverage"),
    "metric.staff_short": ("人员缺口（人）", "staff short (people)"),
    # -- units of the comparison metrics -----------------------------------------------------------
    "unit.wan": ("万元/年", "10,000 CNY/year"),
    "unit.share": ("比例", "share"),
    "unit.people": ("人", "people"),
    "unit.cases": ("件/年", "cases/year"),
    "unit.days": ("工作日", "working days"),
    "unit.cny_per_case": ("元/件", "CNY/case"),
    "unit.score": ("0–1", "0–1"),
    "unit.count": ("项", "checks"),
    "unit.cny": ("元", "CNY"),
    "unit.cases_total": ("件", "cases"),
    "unit.fte": ("全时当量", "FTE"),
    "unit.flag": ("0/1", "0/1"),
    "unit.model": ("模型单位", "model units"),
    "unit.per_wan": ("每万元", "per 10,000 CNY"),
}


def label(key: str, lang: str, **fields: object) -> str:
    """The text of ``key`` in ``lang`` (``"zh"`` or ``"en"``), formatted with ``fields``.

    >>> label("plot.cap", "en", cap="3%")
    "cap (3% of last year's relief fund)"

    Raises
    ------
    KeyError
        For a key that is not in :data:`LABELS`, or a placeholder without its field.
    """
    return LABELS[key][0 if lang == "zh" else 1].format(**fields)


def event_name(event: str, lang: str) -> str:
    """A contract event's display name (the event id itself when it has none)."""
    key = f"event.{event}"
    return label(key, lang) if key in LABELS else event


def unit_labels() -> dict[str, tuple[str, str]]:
    """Unit id -> (Chinese, English), from the ``unit.*`` labels."""
    return {key.removeprefix("unit."): text for key, text in LABELS.items()
            if key.startswith("unit.")}


def percent(share: float) -> str:
    """A share as a percentage with the digits it needs: 0.03 -> ``3%``, 0.025 -> ``2.5%``."""
    return f"{share * 100:.4g}%"


def per_mille(ratio: float, lang: str = "zh") -> str:
    """A ratio per thousand: 0.002 -> ``2‰`` (``2 ‰`` in English)."""
    return f"{ratio * 1000:.4g}" + ("‰" if lang == "zh" else " ‰")


def policy_fields(policy: Policy, lang: str) -> dict[str, str]:
    """The placeholders of the policy-number labels, from a scenario's ``[policy]``."""
    return {"cap": percent(policy.relief_cap_share),
            "ratio": per_mille(policy.caseworker_ratio, lang),
            "social": percent(policy.social_org_min_share)}
