"""Plain-language explanations of an allocation, in English and Chinese (money in 万元).

One row per elastic rule that had to give (a staffing rule short of people, or — with
``min_cost`` — an item served below its coverage target), saying the requirement, what is in
post, what the purchases pay for, the shortfall and about how much money beyond the binding
caps would close it; and one row per binding relief cap saying what one more 万元 of cap buys.
Money to close a staffing gap is priced at the mean price of the posts bought for that rule in
the county, or at the cheapest provider type available there if none was bought.
"""

from __future__ import annotations

import pandas as pd

from govsim.allocation.model import WAN, AllocationModel

__all__ = ["EXPLANATION_COLUMNS", "explanations_table"]

EXPLANATION_COLUMNS = ["year", "county", "rule", "shortfall", "money_cny", "text_en", "text_zh"]

_RULE_ZH = {"caseworker-ratio": "社会救助经办人员（2‰）",
            "child-welfare-staff": "儿童福利督导员与儿童福利主任"}
_PAYERS = {"caseworker-ratio": ("the relief cap pays", "救助资金上限"),
           "child-welfare-staff": ("the child-welfare and lottery funds pay",
                                   "儿童福利资金与福彩公益金")}
#: Limits that can stop purchases for each staffing rule (row-name prefixes).
_LIMITS = {"caseworker-ratio": ("relief-cap", "fund[lottery]", "total-budget", "market",
                                "social-org-share"),
           "child-welfare-staff": ("fund[child", "fund[lottery]", "total-budget", "market",
                                   "social-org-share")}


def _num(x: float) -> str:
    return f"{x:,.0f}" if abs(x - round(x)) < 0.05 else f"{x:,.1f}"


def explanations_table(model: AllocationModel, allocation: pd.DataFrame,
                       staffing: pd.DataFrame, unmet: pd.DataFrame,
                       constraints: pd.DataFrame) -> pd.DataFrame:
    """Explanations of shortfalls and binding relief caps (see the module docstring)."""
    rows = _staffing_rows(model, allocation, staffing, constraints)
    rows += _coverage_rows(model, unmet)
    rows += _cap_rows(model, staffing, constraints)
    return pd.DataFrame(rows, columns=EXPLANATION_COLUMNS)


def _binding_limits(county: str, rule: str, constraints: pd.DataFrame) -> list[str]:
    binding = constraints[constraints["binding"]]
    names = [n for n in binding["name"] if n.startswith(_LIMITS[rule])]
    return [n for n in names if "[" not in n or f"[{county}" in n or "prefecture" in n
            or n in ("fund[lottery]", "fund[child]")]


def _post_price(model: AllocationModel, allocation: pd.DataFrame, county: str,
                rule: str) -> float:
    counts = "caseworker" if rule == "caseworker-ratio" else "child_staff"
    items = {i.id for i in model.scenario.items if i.counts_toward == counts}
    bought = allocation[(allocation["county"] == county) & allocation["item"].isin(items)]
    if bought["fte"].sum() > 1e-9:
        return float(bought["cost"].sum() / bought["fte"].sum())
    offered = [p for p, cap in model.scenario.county(county).market.items() if cap > 0]
    return min(model.cost[p] for p in offered or model.cost)


def _staffing_rows(model: AllocationModel, allocation: pd.DataFrame, staffing: pd.DataFrame,
                   constraints: pd.DataFrame) -> list[dict[str, object]]:
    rows = []
    for r in staffing[staffing["shortfall"] > 1e-6].itertuples(index=False):
        county = model.scenario.county(r.county)
        money = r.shortfall * _post_price(model, allocation, r.county, r.rule)
        payer_en, payer_zh = _PAYERS[r.rule]
        limits = ", ".join(_binding_limits(r.county, r.rule, constraints)) or "none"
        text_en = (f"{r.county}: {r.rule} needs {r.required}, {r.in_post} in post, {payer_en} "
                   f"for {_num(r.purchased)} more; {_num(r.shortfall)} posts short, about "
                   f"{money / WAN:,.1f} 万元 beyond the caps (binding: {limits})")
        text_zh = (f"{county.name_zh}：{_RULE_ZH[r.rule]}需 {r.required} 人，在岗 {r.in_post} 人，"
                   f"{payer_zh}可购买 {_num(r.purchased)} 人；尚缺 {_num(r.shortfall)} 人，"
                   f"约需上限之外 {money / WAN:,.1f} 万元（起约束作用：{limits}）")
        rows.append({"year": model.year, "county": r.county, "rule": r.rule,
                     "shortfall": float(r.shortfall), "money_cny": money,
                     "text_en": text_en, "text_zh": text_zh})
    return rows


def _coverage_rows(model: AllocationModel, unmet: pd.DataFrame) -> list[dict[str, object]]:
    rows = []
    target = model.scenario.policy.coverage_target
    for key, gap in model.coverage_gap.items():
        short = float(gap.varValue or 0.0)
        if short <= 1e-6:
            continue
        cell = model.cells[key]
        offers = [(model.cost[p] / cell[f"eff:{p}"], p) for (c, i, p) in model.w
                  if (c, i) == key]
        money = short * min(offers)[0] if offers else float("nan")
        county = model.scenario.county(key[0])
        item = model.scenario.item(key[1])
        text_en = (f"{key[0]}/{key[1]}: coverage target {target:.0%} of "
                   f"{_num(cell['cases'])} cases; {_num(short)} cases below it, about "
                   f"{money / WAN:,.1f} 万元 beyond the caps")
        text_zh = (f"{county.name_zh}/{item.name_zh}：服务覆盖目标 {target:.0%}（需求 "
                   f"{_num(cell['cases'])} 件），尚缺 {_num(short)} 件，约需上限之外 "
                   f"{money / WAN:,.1f} 万元")
        rows.append({"year": model.year, "county": key[0], "rule": "coverage-target",
                     "shortfall": short, "money_cny": money, "text_en": text_en,
                     "text_zh": text_zh})
    return rows


def _cap_rows(model: AllocationModel, staffing: pd.DataFrame,
              constraints: pd.DataFrame) -> list[dict[str, object]]:
    rows = []
    caps = constraints[(constraints["rule"] == "relief-cap") & constraints["binding"]]
    short_caseworkers = staffing[(staffing["rule"] == "caseworker-ratio")
                                 & (staffing["shortfall"] > 1e-6)]
    for r in caps.itertuples(index=False):
        scope_zh = ("全市" if r.scope == "prefecture"
                    else model.scenario.county(r.scope).name_zh)
        per_wan = r.shadow_price_per_10k_cny
        short = short_caseworkers if r.scope == "prefecture" else short_caseworkers[
            short_caseworkers["county"] == r.scope]
        if len(short):
            posts = WAN / min(model.cost.values())
            buys_en = f"up to {posts:.2f} more caseworker posts (the ratio is still short)"
            buys_zh = f"最多 {posts:.2f} 个经办人员岗位（2‰ 仍未达标）"
        elif model.objective == "max_coverage":
            buys_en = f"{per_wan:,.1f} priority-weighted cases"
            buys_zh = f"{per_wan:,.1f} 件（按优先级加权）服务"
        else:
            buys_en = f"a saving of {-per_wan / WAN:,.2f} 万元 of penalties and spend"
            buys_zh = f"节省 {-per_wan / WAN:,.2f} 万元（含惩罚项）"
        rows.append({
            "year": model.year, "county": r.scope, "rule": "relief-cap", "shortfall": 0.0,
            "money_cny": float(r.limit),
            "text_en": f"{r.scope}: the relief cap binds ({r.limit / WAN:,.1f} 万元); one more "
                       f"万元 of cap buys {buys_en}",
            "text_zh": f"{scope_zh}：救助资金购买上限已用满（{r.limit / WAN:,.1f} 万元）；"
                       f"上限每增加 1 万元可多购买{buys_zh}",
        })
    return rows
