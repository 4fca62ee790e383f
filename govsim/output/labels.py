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

from govsim.policy import per_mille, percent, policy_fields

__all__ = [
    "LABELS",
    "event_name",
    "label",
    "per_mille",
    "percent",
    "policy_fields",
    "rule_label",
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
    "plot.child_staff_title": (
        "儿童福利督导员与儿童福利主任：需配备、在岗与购买（每乡镇、每村至少{per_unit}名）",
        "Child-welfare supervisors and directors: required, in post, purchased ({per_unit} per "
        "township and village)"),
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
    "plot.replication_note": ("重复序号 {shown} 的合同（共{total}次重复；各次的失败与接管不同，"
                              "contracts.csv 含全部）",
                              "contracts of replication {shown} ({total} replications; failures "
                              "and takeovers differ between them, contracts.csv has all)"),
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
        "影子价格：限值增加一个单位（资金约束为1元）时重视资金的目标阶段的变化（d目标/d限值），"
        "法定事务、人员配备和底线等前序目标保持不变；“每万元效果”为放宽1万元时的这一变化（需求满足："
        "优先级×质量×小时；最小成本时单位是元）。前序目标仍需资金时，多出的钱先投向它们，这一数值会"
        "高估实际效果。“上限每增加1万元”为这1万元在边际单元（有序目标下一元钱最先投向的县×事项）"
        "可买到的服务小时和服务人次。",
        "Shadow price: change of the stage that values money when the limit grows by one unit "
        "(one yuan for money constraints), d(goal)/d(limit), with the earlier goals (statutory "
        "work, staffing, floors) held; the per-万元 column is that change for 10,000 CNY (need "
        "met: priority × quality × hours; CNY for min_cost). Where an earlier goal still takes "
        "money, the next yuan goes there first and this figure overstates what it buys. The last "
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
    # -- the report's first screen: the answers (govsim.output.answers) ----------------------------
    "report.answers": ("核心结论", "The answers"),
    "report.q_comply": ("方案是否合规？", "Does the plan comply?"),
    "report.complies": ("符合全部规则：{years}年度共 {n} 项检查均通过（救助资金上限计入当年支付的"
                        "每一份合同：新签、续签与延续合同）。",
                        "Yes: all {n} rule checks pass in {years} (the relief cap counts every "
                        "contract paid in the year: new, renewed and continuing)."),
    "report.not_comply": ("不符合：{years}年度共 {n} 项检查，{fails} 项不符合（救助资金上限计入当"
                          "年支付的每一份合同：新签、续签与延续合同）。",
                          "No: {fails} of {n} rule checks fail in {years} (the relief cap counts "
                          "every contract paid in the year: new, renewed and continuing)."),
    "report.fail_line": ("{rule}：{checks} 项不符合（{scopes}；{years}年）",
                         "{rule}: {checks} checks fail ({scopes}; {years})"),
    "report.see_plot": ("见图", "see the chart"),
    "report.q_counties": ("哪个县缺什么？", "Which county is short of what?"),
    "report.counties_note": ("按缺口排序：超出上限所需资金最多的县在前，其次为人员缺口与不符合的检"
                             "查；覆盖率为需求加权覆盖率（各规划年度合计）。人员缺口为最差年度。",
                             "Ranked by shortfall: the most money needed beyond the caps first, "
                             "then staff short and failed checks; coverage is need-weighted over "
                             "the plan years. Staff short: the worst year."),
    "report.staff_cw": ("社会救助经办人员缺口（人）", "Caseworkers short (people)"),
    "report.staff_child": ("儿童福利人员缺口（人）", "Child-welfare staff short (people)"),
    "report.gap_wan": ("超出上限所需资金（万元，全部年度）",
                       "Money needed beyond the caps (万元, all years)"),
    "report.band": ("80%区间", "80 % band"),
    "report.unserved_items": ("上限下未能提供的服务", "Left unserved under the caps"),
    "report.unserved_hours": ("未服务小时", "Hours unserved"),
    "report.checks_failed": ("不符合检查数", "Checks failed"),
    "report.q_money": ("超出上限还需要多少资金？", "How much money is needed beyond the caps?"),
    "report.money_missing": ("本次运行没有“所需资金”表（money_needed.csv），无法给出所需资金；请运"
                             "行 govsim budget 或在运行中计"
                             "算所需资金。上限不是所需资金。",
                             "Money needed is not available for this run (no money_needed.csv): "
                             "run govsim budget, or a run that computes it. The caps are not the "
                             "money needed."),
    "report.need_wan": ("所需资金（万元）", "Money needed (万元)"),
    "report.cap_wan": ("上限允许（万元）", "Caps allow (万元)"),
    "report.gap_only": ("缺口（万元）", "Gap (万元)"),
    "report.money_note": ("所需资金：满足法定职责、{ratio}经办人员与儿童福利人员配备规则及覆盖率目"
                          "标的最少资金（含工资指数化与滚动的救助基数）；缺口 = 所"
                          "需资金 − 上限允许。",
                          "Money needed: the least money that meets the statutory duties, the "
                          "{ratio} caseworker and child-welfare staffing rules and the coverage "
                          "target (wages indexed, relief base rolling); gap = needed − what the "
                          "caps allow."),
    "report.band_from": ("方括号为输入不确定性的80%区间（第10至第90百分位），来自场景 {k} 个"
                         "不确定输入的 {n} 个拉丁超立方样本（每个样本重新运行整个规划，随机数"
                         "相同）。",
                         "Brackets: the 80 % band from the uncertain inputs (10th to 90th "
                         "percentile), resting on {n} Latin-hypercube samples of the scenario's "
                         "{k} uncertain inputs (each sample re-runs the whole plan on the same "
                         "random numbers)."),
    "report.band_from_money": ("方括号为本次运行所需资金与缺口的80%区间（第10至第90百分位）：在场景"
                               " {k} 个不确定输入的 {n} 个拉丁超立方样本上，按本次运行自身的估计"
                               "重新求解所需资金（模拟的随机波动不重抽）。覆盖率与人员缺口的区间"
                               "需重新运行整个规划：{command}。",
                               "Brackets: the 80 % band of this run's money needed and gap (10th "
                               "to 90th percentile): its need plan re-solved on this run's own "
                               "estimates at {n} Latin-hypercube samples of the scenario's {k} "
                               "uncertain inputs (the simulation's chance variation is not "
                               "resampled). Bands of coverage and staff short re-run the whole "
                               "plan: {command}."),
    "report.band_missing": ("本次运行未计算80%区间（--uncertainty 0）：场景声明了 {k} 个不确定"
                            "输入；{command} 可在数秒内给出所需资金与缺口的80%区间，{runs} "
                            "还给出覆盖率与人员缺口的区间（每个样本重新运行整个规划，约为本次"
                            "运行时间的 {n} 倍）。",
                            "No 80 % band in this run (--uncertainty 0): the scenario declares "
                            "{k} uncertain inputs; {command} gives the 80 % bands of money "
                            "needed and the gap in seconds, {runs} also those of coverage and "
                            "staff short (each sample re-runs the whole plan: about {n} times "
                            "this run's time)."),
    "report.band_no_inputs": ("本场景未声明不确定输入（[[uncertainty]]），因此没有80%区间。",
                              "The scenario declares no uncertain inputs ([[uncertainty]]), so "
                              "there is no 80 % band."),
    "report.bands_title": ("输入不确定性：全市80%区间", "Uncertainty from the inputs: prefecture "
                           "80 % bands"),
    "report.point": ("本次运行", "This run"),
    "report.band_col": ("80%区间（第10–90百分位）", "80 % band (10th–90th percentile)"),
    "report.band_coverage": ("覆盖率（已服务/（到达+结转））",
                             "Coverage (served / (arrivals + carried in))"),
    "report.band_staff_short": ("上限下人员缺口（人，两项配备规则）",
                                "Staff short under the caps (people, both staffing rules)"),
    "report.band_need_cny": ("所需资金（万元）", "Money needed (万元)"),
    "report.band_gap_cny": ("缺口（万元）", "Gap (万元)"),
    # where a run's figure lies in its band (govsim.output.band_position)
    "report.metric_need_cny": ("所需资金", "money needed"),
    "report.metric_gap_cny": ("缺口", "gap"),
    "report.pct_col": ("本次运行值在样本中的位置", "Where this run lies among the samples"),
    "report.pct_above_all": ("高于全部 {n} 个样本", "above all {n} samples"),
    "report.pct_below_all": ("低于全部 {n} 个样本", "below all {n} samples"),
    "report.pct_of": ("{n} 个样本中的第 {p} 百分位", "{p} percentile of {n} samples"),
    "report.outside_year": ("{year}年 {point} 万元（{where}）", "{year}: {point} 万元 ({where})"),
    "report.outside_metric": ("全市{metric}：{figures}", "the prefecture's {metric}: {figures}"),
    "report.outside_head": ("本次运行的数值落在其80%区间之外——{figures}。",
                            "This run's figures lie outside their 80 % band — {figures}."),
    "report.outside_counties": ("部分县区的本次运行数值落在其80%区间之外。",
                                "Some counties' figures lie outside their 80 % band."),
    "report.outside_why": ("计算口径相同（各输入取场景写明值时，样本正好重现本次运行的数值），原因"
                           "在输入：{inputs}。",
                           " The definition is the same (with every input at its written value "
                           "the samples reproduce this run's figures); the reason is the inputs: "
                           "{inputs}."),
    "report.outside_why_unknown": ("计算口径相同（各输入取场景写明值时，样本正好重现本次运行的数"
                                   "值）；没有输入的写明值位于其声明范围的一端，样本少时区间本身"
                                   "不稳。",
                                   " The definition is the same (with every input at its written "
                                   "value the samples reproduce this run's figures); no input's "
                                   "written value is at an end of its declared range: a band of "
                                   "few samples is itself unsteady."),
    "report.scale_written": ("{value}，即写明值本身", "{value}, the written value itself"),
    "report.scale_range": ("写明值的 {low}–{high}", "{low}–{high} of the written value"),
    "report.money_written": ("各县合计 {value} 万元", "{value} 万元 over the counties"),
    "report.money_range": ("{low}–{high} 万元", "{low}–{high} 万元"),
    "report.written_below": ("{name}的场景写明值（{written}）低于其声明范围（{range}），每个"
                             "样本都取更高的值",
                             "the scenario's {name} ({written}) is below its declared range "
                             "({range}), so every sample takes a higher value"),
    "report.written_bottom": ("{name}的场景写明值（{written}）位于其声明范围（{range}）的底部"
                              "（{q}% 的抽样低于它），几乎每个样本都取更高的值",
                              "the scenario's {name} ({written}) is at the bottom of its "
                              "declared range ({range}; {q} % of draws below it), so nearly "
                              "every sample takes a higher value"),
    "report.written_top": ("{name}的场景写明值（{written}）位于其声明范围（{range}）的顶部"
                           "（{q}% 的抽样低于它），几乎每个样本都取更低的值",
                           "the scenario's {name} ({written}) is at the top of its declared "
                           "range ({range}; {q} % of draws below it), so nearly every "
                           "sample takes a lower value"),
    "report.written_above": ("{name}的场景写明值（{written}）高于其声明范围（{range}），每个"
                             "样本都取更低的值",
                             "the scenario's {name} ({written}) is above its declared range "
                             "({range}), so every sample takes a lower value"),
    "report.effect_up_relief_fund_last_year": ("，救助上限因而更高、缺口更小",
                                               ", hence a higher relief cap and a smaller gap"),
    "report.effect_down_relief_fund_last_year": ("，救助上限因而更低、缺口更大",
                                                 ", hence a lower relief cap and a larger gap"),
    "report.input_relief_fund_last_year": ("救助基数（上年度社会救助专项资金支出）",
                                           "relief base (last year's social-assistance "
                                           "special-fund expenditure)"),
    "report.input_rate": ("需求率", "demand rate"),
    "report.input_mean_hours": ("每件工时", "hours per case"),
    "report.input_cost_per_fte_year": ("每全职人年价格", "price per FTE-year"),
    "report.input_failure_hazard": ("服务机构年失败率", "provider failure rate"),
    "report.q_unserved": ("上限下哪些需求得不到服务？", "What do the caps leave unserved?"),
    "report.unserved_line": ("{year}年：{hours} 小时、{cases} 件未能服务；主要事项：{items}。",
                             "{year}: {hours} hours and {cases} cases unserved; mainly {items}."),
    "report.unserved_none": ("{year}年：上限内可满足全部需求。",
                             "{year}: the caps leave nothing unserved."),
    "report.unit_costs": ("单位成本", "Unit costs"),
    "report.per_case": ("每服务一件的购买支出（元）", "Purchase spend per case served (CNY)"),
    "report.per_recipient": ("每名低保与特困对象的购买支出（元/年）",
                             "Purchase spend per dibao and tekun recipient (CNY a year)"),
    "report.people_tiers": ("按职称层级的购买人员", "People purchased by title tier"),
    "report.people_by_type": ("购买人员（人，按承接主体类型）",
                              "People purchased (by provider type)"),
    "report.people": ("人数", "People"),
    "report.people_tier": ("职称层级（或承接主体类型）", "Title tier (or provider type)"),
    "report.tier_unqualified": ("无职称", "No social-work title"),
    "report.tier_assistant": ("助理社会工作师", "Assistant social worker"),
    "report.tier_intermediate": ("中级社会工作师", "Intermediate social worker"),
    "report.provider_type": ("承接主体类型", "Provider type"),
    "report.tiers_missing": ("本场景未设置职称层级，按承接主体类型显示。",
                             "The scenario sets no title tiers; shown by provider type."),
    "report.details_more": ("详细数据", "Details"),
    "report.warnings_n": ("警示（{n} 条）", "Warnings ({n})"),
    "report.plan_years": ("规划年度", "Plan years"),
    "report.child_staffing": ("儿童福利督导员与儿童福利主任",
                              "Child-welfare supervisors and directors"),
    "report.replication": ("重复序号", "Replication"),
    "report.limits": ("受限于", "Limited by"),
    "report.ptype_part_time_post": ("兼职村级儿童福利主任岗位",
                                    "Part-time village child-welfare posts"),
    # -- rule names (short, for titles and tables) -
    "rule.relief-cap": ("救助资金购买上限（{cap}）", "relief cap ({cap})"),
    "rule.social-org-share": ("社会组织购买比例（不低于{social}）",
                              "social-organisation share (at least {social})"),
    "rule.caseworker-ratio": ("社会救助经办人员配备（{ratio}）", "caseworkers ({ratio} rule)"),
    "rule.child-welfare-staff": ("儿童福利督导员与儿童福利主任配备", "child-welfare staff"),
    "rule.contract-term": ("合同期限", "contract term"),
    "rule.funding-sources": ("资金来源", "funding sources"),
    "rule.prohibited-items": ("禁止购买事项", "prohibited items"),
    "rule.purchasable-items": ("可购买事项", "purchasable items"),
    "rule.post-prices": ("岗位购买价格", "post prices"),
    "rule.volunteer-link": ("社工联动志愿者", "volunteer linkage"),
    "rule.blacklist": ("黑名单", "blacklist"),
    "rule.objection-window": ("评估异议答复时限", "objection window"),
    "rule.annual-report": ("年度报送", "annual report"),
    "rule.provider-rating": ("承接主体等级评估", "provider rating"),
    "rule.dispatched-staff": ("派遣人员学历", "dispatched staff"),
    "rule.not-lowest-price": ("不以最低价选择承接主体", "not lowest price"),
    "rule.assessment": ("年度评估", "annual assessment"),
    "rule.exit-takeover": ("退出与临时接管", "exit and interim takeover"),
    "rule.statutory": ("法定事务", "statutory work"),
    "rule.equity": ("县际公平", "equity between counties"),
    "rule.floor": ("服务下限", "service floor"),
    "rule.coverage": ("覆盖率", "coverage"),
    # -- the plan workbook (govsim.output.plan_workbook) and the comparison workbook ---------------
    "xlsx.title": ("购买服务方案", "Purchase plan"),
    "xlsx.sheet_allocation": ("资金分配", "Allocation"),
    "xlsx.sheet_staffing": ("人员配备", "Staffing"),
    "xlsx.sheet_compliance": ("合规检查", "Compliance"),
    "xlsx.sheet_money": ("所需资金", "Money needed"),
    "xlsx.sheet_about": ("说明", "About"),
    "xlsx.sheet_summary": ("汇总", "Summary"),
    "xlsx.year": ("年度", "Year"),
    "xlsx.county": ("县（市、区）", "County"),
    "xlsx.prefecture": ("全市合计", "Prefecture"),
    "xlsx.total_wan": ("合计（万元）", "Total (10,000 CNY)"),
    "xlsx.rule": ("规则", "Rule"),
    "xlsx.required": ("需配备（人）", "Required (people)"),
    "xlsx.in_post": ("在编（人）", "In post (people)"),
    "xlsx.purchased": ("购买（人）", "Purchased (people)"),
    "xlsx.short": ("缺口（人）", "Short (people)"),
    "xlsx.scope": ("范围", "Scope"),
    "xlsx.value": ("实际值", "Value"),
    "xlsx.limit": ("限值", "Limit"),
    "xlsx.unit": ("单位", "Unit"),
    "xlsx.status": ("结论", "Status"),
    "xlsx.source": ("出处（文件与条款）", "Source (document and clause)"),
    "xlsx.unit_wan": ("万元", "10,000 CNY"),
    "xlsx.unit_share": ("比例", "share"),
    "xlsx.unit_people": ("人", "people"),
    "xlsx.unit_years": ("年", "years"),
    "xlsx.unit_items": ("项", "items"),
    "xlsx.need_wan": ("所需资金（万元）", "Money needed (10,000 CNY)"),
    "xlsx.cap_wan": ("上限允许（万元）", "Caps allow (10,000 CNY)"),
    "xlsx.gap_wan": ("缺口（万元）", "Gap (10,000 CNY)"),
    "xlsx.need_p10": ("所需资金第10百分位（万元）", "Money needed, 10th percentile (10,000 CNY)"),
    "xlsx.need_p90": ("所需资金第90百分位（万元）", "Money needed, 90th percentile (10,000 CNY)"),
    "xlsx.gap_p10": ("缺口第10百分位（万元）", "Gap, 10th percentile (10,000 CNY)"),
    "xlsx.gap_p90": ("缺口第90百分位（万元）", "Gap, 90th percentile (10,000 CNY)"),
    "xlsx.need_pct": ("所需资金：本次运行值在样本中的百分位", "Money needed: this run's "
                      "percentile among the samples"),
    "xlsx.gap_pct": ("缺口：本次运行值在样本中的百分位", "Gap: this run's percentile among the "
                     "samples"),
    "xlsx.unserved_hours": ("未服务小时", "Hours unserved"),
    "xlsx.unserved_cases": ("未服务件数", "Cases unserved"),
    "xlsx.staff_short": ("人员缺口（人）", "Staff short (people)"),
    "xlsx.unserved_items": ("未能提供的服务（缺口最大者在前）",
                            "Items left unserved (largest first)"),
    "xlsx.sheet_assumptions": ("说明", "Assumptions"),
    "xlsx.metric": ("指标", "Measure"),
    "xlsx.notes": ("注", "Notes"),
    "xlsx.diff_low": ("Δ {option} 95%下限", "Δ {option} 95 % low"),
    "xlsx.diff_high": ("Δ {option} 95%上限", "Δ {option} 95 % high"),
    "xlsx.item": ("服务事项", "Item"),
    "xlsx.provider_type": ("承接主体类型", "Provider type"),
    "xlsx.fund": ("资金来源", "Fund"),
    "xlsx.fte": ("人年（全时当量）", "FTE (person-years)"),
    "xlsx.cost_wan": ("费用（万元）", "Cost (10,000 CNY)"),
    "xlsx.option": ("方案", "Option"),
    "xlsx.fund_relief": ("社会救助资金", "relief fund"),
    "xlsx.fund_child": ("儿童福利资金", "child-welfare fund"),
    "xlsx.fund_lottery": ("福彩公益金", "welfare-lottery fund"),
    "xlsx.fund_none": ("无需资金", "none"),
    "xlsx.comparison": ("比较", "Comparison"),
    "xlsx.scenario_source": ("场景来源", "Scenario source"),
    "xlsx.solver": ("求解器", "Solver"),
    "xlsx.baseline": ("基准方案", "Baseline option"),
    "xlsx.generated": ("生成时间（UTC）", "Generated (UTC)"),
    "xlsx.command": ("命令", "Command"),
    "xlsx.crn": ("共同随机数", "Common random numbers"),
    "xlsx.crn_text": ("每个方案使用相同的随机种子、重复次数与年度；第r次重复与基准的第r次"
                      "重复配对比较。",
                      "Every option uses the same seed, replications and years; replication r "
                      "of an option is paired with replication r of the baseline."),
    "xlsx.reading": ("差异的读法", "Reading the differences"),
    "xlsx.reading_text": (
        "Δ = 方案 − 基准，其后为配对重复的95%置信区间。黄色加粗：区间不含0（显著）；灰色“"
        "n.s.”：区间含0"
        "（不显著）。规划类指标每年只有一个方案，没有抽样区间，不作显著性判断（不标记）。"
        "比例的差异以百分点"
        "（pp）表示。",
        "Δ = option − baseline, then the 95 % interval of the paired replications. Yellow and "
        "bold: the interval excludes 0 (significant); grey 'n.s.': it covers 0. Plan metrics "
        "have one plan per year and no sampling interval: they are not tested (no mark). "
        "Differences of shares are in percentage points (pp)."),
    "xlsx.compare_units_text": ("金额为万元/年（每案成本为元），保留一位小数；比例以百分"
                                "比显示，比例之差为百分点；等待为工作日（8小时）。",
                                "Money in 10,000 CNY per year (cost per case in CNY), one "
                                "decimal; shares as per cent, differences of shares in "
                                "percentage points; waits in working days of 8 hours."),
    "xlsx.scenario_file": ("场景文件", "Scenario file"),
    "xlsx.hash_short": ("场景内容哈希", "Content hash"),
    "xlsx.overrides": ("覆盖参数", "Overrides"),
    "xlsx.description": ("说明", "Description"),
    "xlsx.kind": ("类型", "Kind"),
    "xlsx.kind_plan": ("规划", "plan"),
    "xlsx.kind_simulation": ("模拟", "simulation"),
    "xlsx.definition": ("定义", "Definition"),
    "xlsx.scenario": ("场景", "Scenario"),
    "xlsx.plan_years": ("规划年度", "Plan years"),
    "xlsx.seed": ("随机种子", "Seed"),
    "xlsx.replications": ("重复次数", "Replications"),
    "xlsx.hash": ("场景内容哈希（SHA-256）", "Scenario content hash (SHA-256)"),
    "xlsx.units": ("单位", "Units"),
    "xlsx.band": ("80%区间", "80 % band"),
    "xlsx.band_money": ("“所需资金”表的p10–p90：对情景声明的{inputs}个不确定输入做{samples}次"
                        "拉丁超立方抽样（种子{seed}），每次在本次运行的估计上重解所需资金；"
                        "仿真随机性与结转积压不重抽。",
                        "p10–p90 of the money-needed sheet: {samples} Latin-hypercube samples "
                        "(seed {seed}) of the scenario's {inputs} uncertain inputs, the money "
                        "needed re-solved for each on this run's estimates; simulation noise "
                        "and carried backlog are not resampled."),
    "xlsx.band_runs": ("“所需资金”表的p10–p90：对情景声明的{inputs}个不确定输入做{samples}次"
                       "拉丁超立方抽样（种子{seed}），每次完整重跑一次。",
                       "p10–p90 of the money-needed sheet: {samples} Latin-hypercube samples "
                       "(seed {seed}) of the scenario's {inputs} uncertain inputs, one whole run "
                       "each."),
    "xlsx.band_none": ("无：本次运行未计算区间（情景未声明不确定输入，或 --uncertainty 0）。",
                       "None: this run has no band (the scenario declares no uncertain inputs, "
                       "or --uncertainty 0)."),
    "xlsx.units_text": ("金额为万元（1万元 = 10,000 元），保留一位小数；人员为人；比例以"
                        "百分比显示。",
                        "Money in 10,000 CNY (万元) with one decimal; staff in people; shares "
                        "as per cent."),
    # -- the terminal (govsim.cli) -----------------------------------------------------------------
    "cli.year": ("年度", "year"),
    "cli.rep_years": ("重复×年度", "replication-years"),
    "cli.starting": ("开始", "starting"),
    "cli.writing": ("写出报告", "writing report"),
    "cli.money_band": ("所需资金的80%区间", "money-needed band"),
    "cli.uncertainty_samples": ("不确定性样本", "uncertainty samples"),
    "cli.round": ("{year}年 第{round}轮", "{year} round {round}"),
    "cli.stage_baseline": ("{year}年 基线模拟", "{year} baseline"),
    "cli.spend": ("支出（万元）", "spend 万元"),
    "cli.cap_use": ("救助上限使用率", "relief cap use"),
    "cli.social_share": ("社会组织占比（最低县）", "social-org share (lowest county)"),
    "cli.cw_short": ("经办人员缺口", "caseworkers short"),
    "cli.child_short": ("儿童福利人员缺口", "child-welfare staff short"),
    "cli.coverage": ("覆盖率", "coverage"),
    "cli.p90_wait": ("90%等待（工作日）", "p90 wait (d)"),
    "cli.overdue": ("逾期法定案件", "overdue statutory"),
    "cli.failures": ("不符合检查", "rule failures"),
    "cli.status": ("状态", "status"),
    "cli.status_line": ("{year}年状态：{text}", "status {year}: {text}"),
    "cli.warning_line": ("{year}年警示：{text}", "warning {year}: {text}"),
    "cli.why": ("{year}年未达标的原因：", "Why rules are not met, {year}:"),
    "cli.results": ("结果：{folder}/（report.html、plan.xlsx、*.csv、plots/、manifest.json）",
                    "results: {folder}/  (report.html, plan.xlsx, *.csv, plots/, manifest.json)"),
    "cli.compare_title": ("govsim 方案比较 {name}：{reps} 次重复，随机种子 {seed}，共同随机数",
                          "govsim compare {name}: {reps} replications, seed {seed}, common "
                          "random numbers"),
    # -- govsim rules / show / allocate / simulate (the terminal) ---------------------------------
    "cli.rules_title": ("政策规则", "Policy rules"),
    "cli.rule_id": ("编号", "id"),
    "cli.rule_value": ("数值", "value"),
    "cli.rule_text": ("规则", "rule"),
    "cli.rule_source": ("出处", "source"),
    "cli.rule_modelled": ("在模型中的体现", "modelled"),
    "modelled.allocation": ("分配模型", "allocation"),
    "modelled.simulation": ("模拟", "simulation"),
    "modelled.both": ("分配模型与模拟", "allocation and simulation"),
    "modelled.input check": ("输入检查", "input check"),
    "modelled.not modelled": ("未建模", "not modelled"),
    "rule_value.relief-cap": ("上年社会救助专项资金支出的{v}", "{v} of last year's relief fund"),
    "rule_value.social-org-share": ("不低于{v}", "at least {v}"),
    "rule_value.caseworker-ratio": ("低保与特困对象的{v}（向上取整）",
                                    "{v} of dibao and tekun recipients (rounded up)"),
    "rule_value.contract-term": ("连续不超过 {v} 年", "at most {v} years in a row"),
    "rule_value.child-welfare-staff": ("每乡镇、每村至少 {v} 名", "{v} per township and village"),
    "rule_value.post-prices": ("每人每年 {v} 万元（助理社会工作师）",
                               "{v} CNY per person-year (assistant social worker)"),
    "rule_value.volunteer-link": ("每名社工联系 {v} 名志愿者", "{v} volunteers per social worker"),
    "rule_value.blacklist": ("{v} 年内禁止承接", "barred for {v} years"),
    "rule_value.objection-window": ("{v} 个工作日内答复", "answer within {v} working days"),
    "rule_value.annual-report": ("每年{month}月{day}日前", "by {month}/{day} each year"),
    "cli.show_facts": ("场景 {name}，基准年 {base_year}，规划 {years} 年，内容哈希 {hash}",
                       "scenario {name}, base year {base_year}, {years} plan years, hash {hash}"),
    "cli.show_title": ("各县：经办人员不少于低保与特困对象的{ratio}；救助资金购买上限为上年社会救助"
                       "专项资金的{cap}",
                       "Counties: caseworkers at least {ratio} of dibao and tekun recipients; "
                       "relief cap {cap} of last year's relief fund"),
    "cli.show_county": ("县（市、区）", "county"),
    "cli.show_population": ("人口", "population"),
    "cli.show_dibao": ("低保", "dibao"),
    "cli.show_tekun": ("特困", "tekun"),
    "cli.show_need": ("经办人员需配", "caseworkers required"),
    "cli.show_post": ("在编", "in post"),
    "cli.show_gap": ("缺口", "short"),
    "cli.show_cap": ("上限（万元）", "cap (10,000 CNY)"),
    "cli.show_child": ("儿童福利人员需配", "child-welfare staff required"),
    "cli.show_child_post": ("在岗", "in post"),
    "cli.show_total": ("合计", "total"),
    "cli.show_pooled": ("全市统筹上限：{wan} 万元", "cap pooled over the prefecture: {wan} "
                        "10,000 CNY"),
    "cli.items_title": ("服务事项", "Service items"),
    "cli.item_id": ("编号", "id"),
    "cli.item_name": ("名称", "name"),
    "cli.item_kind": ("类别", "kind"),
    "cli.item_fund": ("资金来源", "fund"),
    "cli.item_driver": ("需求依据", "driver"),
    "cli.item_rate": ("年发生率", "rate a year"),
    "cli.item_hours": ("每件小时", "hours a case"),
    "cli.item_priority": ("优先级", "priority"),
    "cli.item_counts": ("计入", "counts toward"),
    "kind.service": ("服务性", "service"),
    "kind.administrative": ("事务性", "administrative"),
    "kind.prohibited": ("禁止购买", "prohibited"),
    "counts.none": ("—", "—"),
    "counts.caseworker": ("社会救助经办人员", "caseworkers"),
    "counts.child_staff": ("儿童福利人员", "child-welfare staff"),
    "driver.county": ("每县", "per county"),
    "driver.villages": ("村", "villages"),
    "driver.townships": ("乡镇", "townships"),
    "driver.population": ("人口", "population"),
    "driver.dibao": ("低保", "dibao"),
    "driver.tekun": ("特困", "tekun"),
    "driver.left_behind_children": ("留守儿童", "left-behind children"),
    "driver.children_in_difficulty": ("困境儿童", "children in difficulty"),
    "cli.alloc_head": ("{name} {year}年：{objective}，求解器 {solver} — {status}",
                       "{name} {year}: {objective} with {solver} — {status}"),
    "objective.ordered_goals": ("按序目标", "ordered goals"),
    "objective.min_cost": ("最低成本（所需资金）", "least cost (money needed)"),
    "status.optimal": ("最优", "optimal"),
    "status.relaxed": ("放宽弹性规则后的最优解", "optimal after relaxing an elastic rule"),
    "cli.goal_line": ("  目标{order}：{text}", "  goal {order}: {text}"),
    "goal.caps": ("超出上限 {value} 万元", "{value} 10,000 CNY over the caps"),
    "goal.statutory": ("法定事务未完成 {value} 小时", "{value} hours of statutory work unmet"),
    "goal.staffing": ("人员缺口 {value} 人", "{value} people short"),
    "goal.floors": ("低于服务下限 {value} 加权小时",
                    "{value} priority-weighted hours below the floors"),
    "goal.coverage": ("低于覆盖率目标 {value} 加权小时",
                      "{value} priority-weighted hours below the coverage target"),
    "goal.need": ("满足需求 {value}（优先级×质量×小时，边际递减）",
                  "{value} priority × quality × hours of need met (diminishing)"),
    "goal.cost": ("新增购买 {value} 万元", "{value} 10,000 CNY of new purchases"),
    "cli.alloc_title": ("支出（含在履行合同）与救助资金上限（万元），经办人员与配备规则（人）",
                        "Spend (contracts in force included) against the relief cap (10,000 CNY) "
                        "and caseworkers against the staffing rule (people)"),
    "cli.alloc_county": ("县（市、区）", "county"),
    "cli.alloc_spend": ("支出", "spend"),
    "cli.alloc_relief": ("救助资金支出", "relief spend"),
    "cli.alloc_cap": ("上限", "cap"),
    "cli.alloc_buys": ("上限每增加1万元多满足小时", "hours 1 万元 more cap buys"),
    "cli.alloc_caseworkers": ("经办人员", "caseworkers"),
    "cli.alloc_required": ("需配", "required"),
    "cli.alloc_short": ("缺口", "short"),
    "cli.fte": ("{value} 个全时当量", "{value} FTE"),
    "cli.alloc_fails": ("合规检查：{n} 项不符合：{list}", "compliance checks failed: {n} — {list}"),
    "cli.wrote": ("已写出 {folder}", "wrote {folder}"),
    "cli.simulating": ("模拟中", "simulating"),
    "cli.sim_title": ("govsim 模拟 {name}：{reps} 次重复，随机种子 {seed}"
                      "（均值 ± 95%置信区间半宽）",
                      "govsim simulate {name}: {reps} replications, seed {seed} (mean ± 95 % "
                      "half-width)"),
    "cli.sim_year": ("年度", "year"),
    "cli.sim_arrivals": ("到达案件", "arrivals"),
    "cli.sim_served": ("已服务", "served"),
    "cli.sim_abandoned": ("放弃", "abandoned"),
    "cli.sim_backlog": ("年末积压", "backlog at year end"),
    "cli.sim_wait": ("平均等待（工作日）", "mean wait (working days)"),
    "cli.sim_cost": ("购买成本（万元）", "purchase cost (10,000 CNY)"),
    "cli.sim_wrote": ("已写出 {folder}/（kpis.csv、summary.csv、contracts.csv、providers.csv、"
                      "manifest.json）",
                      "wrote {folder}/ (kpis.csv, summary.csv, contracts.csv, providers.csv, "
                      "manifest.json)"),
    # -- rule values that are words (the limit column of compliance.csv) --------------------------
    "value.college diploma": ("大专以上", "college diploma"),
    "value.quality first": ("质量优先", "quality first"),
    "value.satisfaction first": ("满意度优先", "satisfaction first"),
    "value.interim takeover": ("临时接管", "interim takeover"),
    "value.administrative | service": ("事务性 | 服务性", "administrative | service"),
    "value.prohibited": ("禁止购买", "prohibited"),
    "value.yearly plan": ("年度计划", "yearly plan"),
    "value.competitive": ("竞争性方式", "competitive"),
    "value.post | project": ("岗位 | 项目", "post | project"),
    "value.voucher": ("凭单", "voucher"),
    "value.fee follows the task": ("费随事转", "fee follows the task"),
    "value.part-time post": ("兼职岗位", "part-time post"),
    "value.yearly re-plan": ("逐年调整计划", "yearly re-plan"),
    "value.county": ("县级", "county"),
    "value.relief | child | lottery": ("救助资金 | 儿童福利资金 | 福彩公益金",
                                       "relief | child | lottery"),
    # -- mechanisms (mechanisms.csv: mechanism, measure, source) -----------------------------------
    "mech.vouchers": ("凭单制", "vouchers"),
    "mech.volunteers": ("社工联动志愿者", "volunteers"),
    "mech.village_assistants": ("村级协理员", "village assistants"),
    "mech.public_welfare_posts": ("公益性岗位", "public-welfare posts"),
    "mech.payment_by_assessment": ("按考核付款", "payment by assessment"),
    "mech.lead_time": ("采购周期", "procurement lead time"),
    "mech.title_tiers": ("职称层级价格", "title-tier prices"),
    "mech.eligibility": ("承接资格", "provider eligibility"),
    "measure.posts": ("岗位数（人）", "posts (people)"),
    "measure.subsidy_cny": ("补贴（万元）", "subsidy (10,000 CNY)"),
    "measure.assistants": ("协理员（人）", "assistants (people)"),
    "measure.volunteer_fte": ("志愿者全时当量", "volunteer FTE"),
    "measure.volunteers_at_work": ("在岗志愿者（人）", "volunteers at work (people)"),
    "measure.volunteers_linked": ("联系志愿者（人）", "volunteers linked (people)"),
    "measure.social_worker_fte": ("社工全时当量", "social-worker FTE"),
    "measure.budget_cny": ("凭单预算（万元）", "voucher budget (10,000 CNY)"),
    "measure.face_value_cny": ("凭单面值（万元）", "voucher face value (10,000 CNY)"),
    "measure.redeemed_cny": ("已兑现（万元）", "redeemed (10,000 CNY)"),
    "measure.choice_probability": ("选择概率", "choice probability"),
    "measure.cases_choosing": ("选择的案件数", "cases choosing"),
    "measure.redemptions": ("兑现件数", "redemptions"),
    "measure.redemption_share": ("兑现份额", "redemption share"),
    "measure.wait_mean_days": ("平均等待（工作日）", "mean wait (working days)"),
    "measure.true_satisfaction": ("实际满意度", "true satisfaction"),
    "measure.surveyed_satisfaction": ("抽样调查满意度", "surveyed satisfaction"),
    "measure.withheld_cny": ("暂扣款（万元）", "withheld (10,000 CNY)"),
    "measure.withheld_paid_cny": ("暂扣款中已支付（万元）", "withheld and paid (10,000 CNY)"),
    "measure.assessment_failed": ("考核未通过", "assessments failed"),
    "measure.year_share_not_delivered": ("年内未交付比例", "share of the year not delivered"),
    "measure.price_per_fte_cny": ("每全时当量价格（万元/人·年）",
                                  "price per FTE (10,000 CNY per person-year)"),
    "mech.plan": ("计划", "plan"),
    "mech.simulation": ("模拟", "simulation"),
    "rule.annual-cycle": ("年度购买周期", "annual cycle"),
    "rule.procurement-methods": ("采购方式", "procurement methods"),
    "rule.posts-vs-projects": ("购买岗位与购买项目", "posts or projects"),
    "rule.vouchers": ("凭单制", "vouchers"),
    "rule.village-assistants": ("村级协理员（费随事转）", "village assistants"),
    "rule.public-welfare-posts": ("公益性岗位", "public-welfare posts"),
    "rule.dynamic-matching": ("动态匹配需求", "dynamic matching"),
    "rule.levels": ("分级购买", "purchasing levels"),
    # -- the year's status, reason and warnings (govsim.output.phrases) -
    "phrase.converged": ("已收敛", "converged"),
    "phrase.short_converged": ("已收敛", "converged"),
    "phrase.short_unattainable": ("受上限约束", "unattainable"),
    "phrase.short_not_converged": ("未收敛", "not converged"),
    "phrase.not_converged": ("未收敛", "not converged"),
    "phrase.unattainable": ("受{caps}约束无法达到，缺 {wan} 万元",
                            "unattainable under {caps}, {wan} 万元 short"),
    "phrase.cap_relief": ("救助资金购买上限", "the relief cap"),
    "phrase.cap_child": ("儿童福利资金", "the child-welfare fund"),
    "phrase.cap_lottery": ("福彩公益金", "the welfare-lottery fund"),
    "phrase.cap_market": ("承接主体供给能力", "provider capacity"),
    "phrase.cap_total": ("购买服务总预算", "the total purchase budget"),
    "phrase.reason_converged": ("模拟在全部 {checked} 个检查单元中兑现了计划{within}，"
                                "计划满足每个单元的需求（第 {rounds} 轮）",
                                "the simulation delivers the plan in all {checked} checked "
                                "cells{within} and the plan covers every cell's need (round "
                                "{rounds})"),
    "phrase.reason_unattainable": ("模拟在全部 {checked} 个检查单元中兑现了计划{within}，"
                                   "但计划对 {rationed} 个单元限量供给：{status}",
                                   "the simulation delivers the plan in all {checked} checked "
                                   "cells{within}, but the plan rations {rationed} cells: "
                                   "{status}"),
    # with more than one replication: the check read each figure's sampling interval
    "phrase.within_intervals": ("（在抽样误差之内）", " within their sampling intervals"),
    "phrase.reason_not_converged": ("{checked} 个检查单元中仍有 {missed} 个未达到计划承诺（{rounds}"
                                    " 轮）",
                                    "{missed} of {checked} checked cells still miss what the "
                                    "plan promised ({rounds} rounds)"),
    "phrase.reason_inconclusive": ("{n} 个单元低于计划的差距在抽样误差之内：{replications} 次重复"
                                   "无法判定（最多约需 {need} 次重复才能判定）",
                                   "{n} cells fall short only within their sampling interval: "
                                   "{replications} replications cannot tell (up to "
                                   "~{need} would decide)"),
    "phrase.late": ("{county}{item}：{late} 件超过 {days} 天时限（逾期服务或年末仍在等待）",
                    "{item} in {county}: {late} cases past the {days}-day deadline (served late "
                    "or still waiting at year end)"),
    "phrase.backlog": ("积压 {before} → {after}", "backlog {before} → {after}"),
    "phrase.rationed": ("计划有 {rationed} 件的工作量未配备人员",
                        "the plan leaves {rationed} cases' work unstaffed"),
    "phrase.stop_money": ("约再需 {fte} 个全时当量（每年 {wan} 万元）即可消除",
                          "about {fte} more FTE ({wan} 万元 a year) would stop it"),
    "phrase.stop_nobody": ("约再需 {fte} 个全时当量，但本地没有承接主体提供该服务",
                           "about {fte} more FTE would stop it (no provider offers it here)"),
    "phrase.government_late": ("{item}（仅限政府履行）：{n} 个县有案件超过 {days} 天时限（{where}"
                               "）；共约再需 {fte} 个全时当量"
                               "的在编人员（不得购买：{rule}）",
                               "{item} (government-only): cases past the {days}-day deadline in "
                               "{n} counties ({where}); about {fte} more FTE of establishment "
                               "staff in all would stop it (not purchasable: {rule})"),
    "phrase.posts_short": ("{county}：仅限政府履行的职责（{items}）在 {rho} 利用率下需在"
                           "编人员 {need}"
                           " 个全时当量，现有 {assigned}，缺 {short}（不得购买：{rule}）",
                           "{county}: government-only duties ({items}) need {need} FTE of "
                           "establishment staff at the {rho} utilisation target; {assigned} in "
                           "post for them, {short} short (they may not be purchased: {rule})"),
    # -- the comparison (govsim.output.compare) ----------------------------------------------------
    "compare.title": ("预算方案比较", "Budget options compared"),
    "compare.baseline": ("基准方案", "baseline"),
    "compare.significant": ("与基准差异显著（95%）", "differs from baseline (95 %)"),
    "compare.not": ("与基准差异不显著", "no significant difference"),
    "compare.plan": ("规划值（无抽样区间，不作检验）", "plan figure (no interval, not tested)"),
    "compare.metric": ("指标", "Measure"),
    "compare.unit": ("单位", "Unit"),
    "compare.note": (
        "Δ 为与基准方案的差异（方案 − 基准），方括号内为配对重复的95%置信区间；加粗为显著"
        "，灰色为不显著"
        "（n.s.）；规划类指标每年只有一个方案、没有抽样区间，不作显著性判断。比例之差以百分点表示。"
        "所有方案使用相同的随机数（共同随机数）。",
        "Δ is the difference from the baseline (option − baseline), with the 95 % interval of "
        "the paired replications in brackets; bold when significant, grey when not (n.s.); "
        "plan metrics have one plan per year and no sampling interval, so they are not tested. "
        "Differences of shares are in percentage points (pp). Every option runs on the same "
        "random numbers."),
    "compare.na_pooled": ("本方案为全市统筹上限，县级上限不适用", "pooled prefecture cap: "
                          "county caps do not apply"),
    "compare.plan_note": ("规划类指标：每年一个方案，无抽样区间，不作显著性判断",
                          "plan metric: one plan per year, no sampling interval, not tested"),
    "compare.pp_note": ("Δ以百分点表示", "Δ in percentage points"),
    "compare.pp": ("百分点", "percentage points"),
    "compare.not_applicable": ("不适用", "n/a"),
    "compare.facts": (
        "场景 {name}，内容哈希 {hash}，随机种子 {seed}，重复 {reps} 次，年度 {years}。",
        "Scenario {name}, content hash {hash}, seed {seed}, {reps} replications, years {years}."),
    # -- the cap range (govsim.output.charts.plot_cap_range) ---------------------------------------
    "cap_range.title": ("救助资金上限比例的边际分析", "Marginal analysis of the relief-cap share"),
    "cap_range.coverage": ("计划优先级加权覆盖率（%）", "Planned priority-weighted coverage (%)"),
    "cap_range.caseworkers": ("经办人员缺口（人，{ratio}规则）",
                              "Caseworkers short of the {ratio} rule (people)"),
    "cap_range.gain": ("每多1万元上限可多得（{unit}，全部目标重新求解）",
                       "What one more 10,000 CNY of cap buys ({unit}, every goal re-solved)"),
    "cap_range.need_per_wan": ("需求满足分/万元", "points of need met per 10,000 CNY"),
    "cap_range.cny_per_wan": ("元/万元", "CNY per 10,000 CNY"),
    "cap_range.spend": ("购买服务总支出（万元/年）", "Total purchase spend (10,000 CNY per year)"),
    "cap_range.sheet": ("上限比例边际分析", "Cap range"),
    "cap_range.sheet_title": ("救助资金上限比例的边际分析（仅分配模型，{name}，{year}年）",
                              "Marginal analysis of the relief-cap share (allocation only, "
                              "{name}, {year})"),
    "cap_range.col.relief_cap_share": ("救助资金上限比例", "Relief-cap share"),
    "cap_range.col.spend_total_wan": ("购买服务总支出（万元）", "Total spend (10,000 CNY)"),
    "cap_range.col.spend_relief_wan": ("社会救助资金支出（万元）",
                                       "Relief-fund spend (10,000 CNY)"),
    "cap_range.col.coverage_planned": ("计划需求加权覆盖率", "Planned need-weighted coverage"),
    "cap_range.col.caseworker_shortfall": ("经办人员缺口（人，{ratio}规则）",
                                           "Caseworkers short of the {ratio} rule (people)"),
    "cap_range.col.child_staff_shortfall": ("儿童福利工作人员缺口（人）",
                                            "Child-welfare staff short (people)"),
    "cap_range.col.objective_value": ("需求满足（分）", "Need met (points)"),
    "cap_range.col.gain_per_wan": ("每多1万元上限可多满足的需求（分，全部目标重新求解）",
                                   "Need met per 10,000 CNY more cap (points, every goal "
                                   "re-solved)"),
    "cap_range.col.shadow_price_per_wan": ("上限影子价格（对偶值，前序目标不变；每万元，加权平均）",
                                           "Cap shadow price per 10,000 CNY (dual, earlier "
                                           "goals held; weighted mean)"),
    "cap_range.col.shadow_price_per_wan_max": (
        "上限影子价格（对偶值，前序目标不变；每万元，最高县）",
        "Cap shadow price per 10,000 CNY (dual, earlier goals held; highest county)"),
    "cap_range.col.binding_scopes": ("上限为紧约束的范围数（个）", "Cap scopes binding (count)"),
    "cap_range.col.status": ("求解状态", "Solver status"),
    "compare.written": ("结果：{folder}/（comparison.xlsx、comparison.csv、comparison.png、"
                        "comparison.html、manifest.json）",
                        "results: {folder}/  (comparison.xlsx, comparison.csv, comparison.png, "
                        "comparison.html, manifest.json)"),
    "cap_range.solving": ("求解分配", "solving allocations"),
    "cap_range.written": ("结果：{folder}/（cap_range.csv、cap_range.xlsx、cap_range.png、"
                          "manifest.json）",
                          "results: {folder}/  (cap_range.csv, cap_range.xlsx, cap_range.png, "
                          "manifest.json)"),
    "cap_range.terminal_title": ("govsim 方案比较 --cap-range {name}：仅分配模型",
                                 "govsim compare --cap-range {name}: allocation only"),
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
    "uncertainty.drivers_too_few": ("驱动因素：样本过少（{n} 个样本、{d} 个不确定输入，至少需要 "
                                    "{need} 个），未计算",
                                    "What drives them: too few samples ({n} samples of {d} "
                                    "uncertain inputs; at least {need} needed), not computed"),
    "uncertainty.metric": ("指标", "measure"),
    "uncertainty.input": ("不确定输入", "input"),
    "uncertainty.index": ("系数", "coefficient"),
    "uncertainty.point": ("点估计", "point estimate"),
    "uncertainty.point_percentile": ("点估计在样本中的百分位", "point's percentile among samples"),
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


def rule_label(rule_id: str, lang: str) -> str:
    """A rule's short name (``rule.*``) in ``lang``, with the default policy numbers; its id
    when it has none. (Names that quote the scenario's numbers take
    :func:`policy_fields` of that scenario: :func:`govsim.output.first_screen.rule_name`.)"""
    from govsim.scenario import Policy

    key = f"rule.{rule_id}"
    return label(key, lang, **policy_fields(Policy(), lang)) if key in LABELS else rule_id


def event_name(event: str, lang: str) -> str:
    """A contract event's display name (the event id itself when it has none)."""
    key = f"event.{event}"
    return label(key, lang) if key in LABELS else event


def unit_labels() -> dict[str, tuple[str, str]]:
    """Unit id -> (Chinese, English), from the ``unit.*`` labels."""
    return {key.removeprefix("unit."): text for key, text in LABELS.items()
            if key.startswith("unit.")}
