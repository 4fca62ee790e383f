"""Plain-language explanations of an allocation, in English and Chinese (money in 万元).

One row for each thing a planner must be able to defend:

- a money cap or the social-organisation share that contracts in force alone break (the
  money over);
- statutory work (this year's cases and the carried backlog) the plan cannot clear, with the
  money that would clear it;
- a staffing rule short of people, with the money that would close it;
- a (county, item) cell below its floor — or a direct service with no service at all —
  naming the limits that stop it and the money that would reach the floor;
- a county below the equity floor;
- with money needed (``min_cost``), a cell the market cannot serve to the coverage target;
- a binding relief cap, with what one more 万元 of cap buys: hours of need met and people
  served in the marginal cell (``constraints.hours_per_10k_cny``, ``people_per_10k_cny``).

Limits are named in words (the relief cap, the child-welfare fund …), never by LP row names.
Money to close a gap is priced at the cheapest way the county can buy it (per person for
staffing, per hour of service for coverage).
"""

from __future__ import annotations

import math
from collections import defaultdict

import pandas as pd

from govsim.allocation.model import WAN, AllocationModel

__all__ = ["EXPLANATION_COLUMNS", "explanations_table", "limit_names"]

EXPLANATION_COLUMNS = ["year", "county", "item", "rule", "shortfall", "money_cny", "text_en",
                       "text_zh"]

_RULE_ZH = {"caseworker-ratio": "社会救助经办人员", "child-welfare-staff":
            "儿童福利督导员与儿童福利主任"}
_RULE_EN = {"caseworker-ratio": "caseworkers", "child-welfare-staff":
            "child-welfare supervisors and directors"}
#: Limits that can stop purchases, by the rule of the row (row rule -> words).
_LIMIT_WORDS = {
    "relief-cap": ("the relief cap", "救助资金购买上限"),
    "market": ("provider capacity", "承接主体供给能力"),
    "social-org-share": ("the social-organisation share", "社会组织购买比例"),
}


def _num(x: float) -> str:
    return f"{x:,.0f}" if abs(x - round(x)) < 0.05 else f"{x:,.1f}"


def _wan(cny: float) -> str:
    return f"{cny / WAN:,.1f}"


def limit_names(names: list[str], model: AllocationModel) -> tuple[str, str]:
    """Binding row names in words: (English, Chinese)."""
    en: list[str] = []
    zh: list[str] = []
    types = {p.id: p for p in model.scenario.provider_types}
    for name in names:
        if name.startswith("fund[child"):
            words = ("the child-welfare fund", "儿童福利资金")
        elif name == "fund[lottery]":
            words = ("the welfare-lottery fund", "福彩公益金")
        elif name == "total-budget":
            words = ("the total purchase budget", "购买服务总预算")
        elif name.startswith("market["):
            p = name.rstrip("]").split(",")[-1]
            ptype = types.get(p)
            words = (f"{ptype.name_en or p if ptype else p} capacity",
                     f"{ptype.name_zh if ptype else p}供给能力")
        else:
            words = _LIMIT_WORDS.get(name.split("[", 1)[0], (name, name))
        if words[0] not in en:
            en.append(words[0])
            zh.append(words[1])
    return ", ".join(en), "、".join(zh)


def explanations_table(model: AllocationModel, allocation: pd.DataFrame,
                       staffing: pd.DataFrame, unmet: pd.DataFrame,
                       constraints: pd.DataFrame) -> pd.DataFrame:
    """Explanations (see the module docstring), one row each."""
    binding = _BindingLimits(model, constraints)
    kinds = [_over_rows(model, constraints), _statutory_rows(model, unmet, binding),
             _staffing_rows(model, staffing, binding), _floor_rows(model, unmet, binding),
             _equity_rows(model), _coverage_rows(model, unmet), _cap_rows(model, constraints)]
    # each kind in the file's order of counties and items (the model is built in id order)
    frames = [model.in_listed_order(pd.DataFrame(rows, columns=EXPLANATION_COLUMNS))
              for rows in kinds if rows]
    if not frames:
        return pd.DataFrame(columns=EXPLANATION_COLUMNS)
    return pd.concat(frames, ignore_index=True)


#: Name prefixes of every limit :func:`_binding` may name.
_LIMIT_PREFIXES = ("total-budget", "market[", "social-org-share", "relief-cap", "fund[child",
                   "fund[lottery]")
_SHARED_SCOPES = ("prefecture", "total", "fund:lottery", "fund:child")


class _BindingLimits:
    """Names of binding limits that stop more purchases of an item paid by ``fund`` in
    ``county``: its fund's cap, the lottery fund (where it may pay), the total budget, the
    providers' capacity and the social-organisation share.

    The rows that can be named are picked out of the constraints table once, and each
    (county, fund) answered once: the table asks the same question for many cells.
    """

    def __init__(self, model: AllocationModel, constraints: pd.DataFrame) -> None:
        self.model = model
        names = constraints["name"]
        rows = constraints[[str(n).startswith(_LIMIT_PREFIXES) for n in names]]
        self.rows = list(zip(rows["name"], rows["scope"], rows["rule"], rows["binding"],
                             rows["slack"], strict=True))
        self.counties = {c.id for c in model.scenario.counties}
        self._known: dict[tuple[str, str], list[str]] = {}
        # the rows a county's question can name: shared ones, and those whose scope is the
        # county or starts or ends with it ("c/i/p") — found by key, not by a pass over every
        # row per county (quadratic in counties)
        self._shared: list[int] = []
        self._of: dict[str, list[int]] = defaultdict(list)
        for k, (_, scope, _, _, _) in enumerate(self.rows):
            if scope in _SHARED_SCOPES:
                self._shared.append(k)
                continue
            parts = str(scope).split("/")
            keys = {scope} | {"/".join(parts[:j]) for j in range(1, len(parts))} \
                | {"/".join(parts[j:]) for j in range(1, len(parts))}
            for key in keys:
                self._of[key].append(k)

    def __call__(self, county: str, fund: str) -> list[str]:
        key = (county, fund)
        if key not in self._known:
            self._known[key] = self._binding(county, fund)
        return self._known[key]

    def _binding(self, county: str, fund: str) -> list[str]:
        model = self.model
        prefixes = ["total-budget", "market[", "social-org-share"]
        lottery_pays = fund == "child" or (
            fund == "relief" and not model.scenario.policy.lottery_counts_toward_relief_cap)
        prefixes += {"relief": ["relief-cap"], "child": ["fund[child"]}.get(fund, [])
        if lottery_pays or fund in ("lottery", "none"):
            prefixes.append("fund[lottery]")
        wanted = tuple(prefixes)
        # with whole posts a money row stops purchases once it cannot pay one more post, and
        # a market once it cannot field one more person
        offered = [model.cost[p] for p, cap in model.scenario.county(county).market.items()
                   if cap > 0 and p in model.cost] if county in self.counties else []
        post = min(offered, default=0.0) if model.integer_posts else 0.0
        room = {"relief-cap": post, "funding-sources": post,
                "market": 1.0 if model.integer_posts else 0.0}
        candidates = sorted({*self._shared, *self._of.get(county, ())})
        return [name for name, scope, rule, binding, slack in map(self.rows.__getitem__,
                                                                   candidates)
                if (binding or slack < room.get(rule, 0.0))  # NaN slack: not binding
                and name.startswith(wanted)
                and (scope in _SHARED_SCOPES or scope == county
                     or scope.startswith(f"{county}/") or scope.endswith(f"/{county}"))]


def _served(unmet: pd.DataFrame) -> dict[tuple[str, str], float]:
    """Hours served per (county, item) of the unmet table."""
    return {(c, i): float(h) for c, i, h in zip(unmet["county"], unmet["item"],
                                                 unmet["hours_served"], strict=True)}


def _row(model: AllocationModel, county: str, item: str, rule: str, shortfall: float,
         money: float, en: str, zh: str) -> dict[str, object]:
    return {"year": model.year, "county": county, "item": item, "rule": rule,
            "shortfall": shortfall, "money_cny": money, "text_en": en, "text_zh": zh}


def _over_rows(model: AllocationModel, constraints: pd.DataFrame) -> list[dict[str, object]]:
    rows = []
    for r in constraints[constraints["over"] > 0.005].itertuples(index=False):
        scope_zh = _scope_zh(model, r.scope)
        money = float(r.over)
        if r.rule == "social-org-share":
            en = (f"{r.scope}: new purchases cannot reach the social-organisation share: "
                  f"{_wan(money)} 万元 more from social organisations would be needed")
            zh = (f"{scope_zh}：新增购买中社会组织比例不达标，尚需向社会组织多购买 "
                  f"{_wan(money)} 万元")
        else:
            en_name, zh_name = limit_names([r.name], model)
            en = (f"{r.scope}: contracts in force alone cost {_wan(r.value)} 万元 against "
                  f"{en_name} of {_wan(r.limit)} 万元 — {_wan(money)} 万元 over; no new "
                  "purchase is paid from it")
            zh = (f"{scope_zh}：在履行合同已需 {_wan(r.value)} 万元，超过{zh_name} "
                  f"{_wan(r.limit)} 万元，超出 {_wan(money)} 万元；不再新增购买")
        rows.append(_row(model, r.scope, "", r.rule, 0.0, money, en, zh))
    return rows


def _scope_zh(model: AllocationModel, scope: str) -> str:
    if scope in ("prefecture", "total") or scope.startswith("fund:"):
        return "全市"
    return model.scenario.county(scope.split("/")[0]).name_zh


def _person_price(model: AllocationModel, county: str, rule: str) -> float:
    """The cheapest money for one more person of a staffing rule in the county (CNY)."""
    if rule == "child-welfare-staff" and model.posts:
        return model.scenario.baseline.director_post_subsidy or 0.0
    offered = [p for p, cap in model.scenario.county(county).market.items() if cap > 0]
    return min(model.cost[p] for p in offered or model.cost)


def _staffing_rows(model: AllocationModel, staffing: pd.DataFrame,
                   binding: _BindingLimits) -> list[dict[str, object]]:
    rows = []
    for r in staffing[staffing["shortfall"] > 1e-6].itertuples(index=False):
        county = model.scenario.county(r.county)
        money = r.shortfall * _person_price(model, r.county, r.rule)
        fund = "relief" if r.rule == "caseworker-ratio" else "child"
        en_lim, zh_lim = limit_names(binding(r.county, fund), model)
        bought = r.purchased + r.part_time_posts
        en = (f"{r.county}: {_RULE_EN[r.rule]} — {r.required} needed, {r.in_post} in post, "
              f"{_num(bought)} purchased; {_num(r.shortfall)} short, about {_wan(money)} 万元 "
              f"more would close it (limited by {en_lim or 'nothing purchasable'})")
        zh = (f"{county.name_zh}：{_RULE_ZH[r.rule]}需 {r.required} 人，在岗 {r.in_post} 人，"
              f"购买 {_num(bought)} 人；尚缺 {_num(r.shortfall)} 人，约需再增加 {_wan(money)} 万元"
              f"（受{zh_lim or '无可购买项目'}限制）")
        rows.append(_row(model, r.county, "", r.rule, float(r.shortfall), money, en, zh))
    return rows


def _statutory_rows(model: AllocationModel, unmet: pd.DataFrame,
                    binding: _BindingLimits) -> list[dict[str, object]]:
    """Statutory work (this year's cases and the carried backlog) the plan cannot clear."""
    items = {i.id: i for i in model.scenario.items}
    served_hours = _served(unmet)
    rows = []
    for key, cell in model.cells.items():
        item = items[key[1]]
        if not item.statutory or cell["need"] <= 0:
            continue
        short = cell["need"] - served_hours[key]
        if short <= 1e-6 * cell["need"]:
            continue
        money = short * _hour_price(model, *key)
        en_lim, zh_lim = limit_names(binding(key[0], item.fund), model)
        county = model.scenario.county(key[0])
        en = (f"{key[0]}/{key[1]}: statutory work — {_num(short)} of {_num(cell['need'])} hours "
              f"(this year's cases and the backlog) cannot be cleared; about {_wan(money)} 万元 "
              f"more would clear it (limited by {en_lim or 'provider capacity'})")
        zh = (f"{county.name_zh}/{item.name_zh}：法定事务 {_num(cell['need'])} 小时（含积压）中有 "
              f"{_num(short)} 小时无法完成；约需再增加 {_wan(money)} 万元（受"
              f"{zh_lim or '承接主体供给能力'}限制）")
        rows.append(_row(model, key[0], key[1], "statutory", short, money, en, zh))
    return rows


def _hour_price(model: AllocationModel, county: str, item: str) -> float:
    """The cheapest money for one more hour of the item's service in the county (CNY)."""
    prices = [model.cost[p] / model.hours_per_fte[county, item, p]
              for p in model.offered.get((county, item), ())
              if model.hours_per_fte.get((county, item, p), 0.0) > 0
              and model.scenario.county(county).market.get(p, 0.0) > 0]
    return min(prices, default=math.nan)


def _floor_rows(model: AllocationModel, unmet: pd.DataFrame,
                binding: _BindingLimits) -> list[dict[str, object]]:
    """Cells below their floor, and direct services with need and nothing served."""
    items = {i.id: i for i in model.scenario.items}
    served_hours = _served(unmet)
    rows = []
    for key, cell in model.cells.items():
        item = items[key[1]]
        if cell["need"] <= 0:
            continue
        served = served_hours[key]
        floor = item.min_coverage
        below_floor = key in model.floor_gap and floor * cell["need"] - served > 1e-6
        nothing = item.kind == "service" and served <= 1e-6
        if not (below_floor or nothing):
            continue
        target = floor if below_floor else max(floor, 0.0)
        short = max(0.0, target * cell["need"] - served) if below_floor else cell["need"]
        money = short * _hour_price(model, *key)
        en_lim, zh_lim = limit_names(binding(key[0], item.fund), model)
        county = model.scenario.county(key[0])
        coverage = served / cell["need"]
        if below_floor:
            en = (f"{key[0]}/{key[1]}: {coverage:.0%} of the need served, below its floor of "
                  f"{floor:.0%}; about {_wan(money)} 万元 more would reach the floor "
                  f"(limited by {en_lim or 'the earlier goals'})")
            zh = (f"{county.name_zh}/{item.name_zh}：服务需求满足 {coverage:.0%}，低于最低保障 "
                  f"{floor:.0%}；约需再增加 {_wan(money)} 万元（受{zh_lim or '前序目标'}限制）")
        else:
            en = (f"{key[0]}/{key[1]}: no service bought (no floor set; other items meet more "
                  f"need per yuan); serving all of it would take about {_wan(money)} 万元 "
                  f"(limited by {en_lim or 'nothing'})")
            zh = (f"{county.name_zh}/{item.name_zh}：未购买服务（未设最低保障，其他项目单位资金满足"
                  f"的需求更多）；全部满足约需 {_wan(money)} 万元（受{zh_lim or '无'}限制）")
        rows.append(_row(model, key[0], key[1], "floor", short, money, en, zh))
    return rows


def _equity_rows(model: AllocationModel) -> list[dict[str, object]]:
    rows = []
    floor = model.scenario.policy.equity_floor
    for county_id, gap in model.equity_gap.items():
        short = float(gap.varValue or 0.0)
        if short <= 1e-6:
            continue
        county = model.scenario.county(county_id)
        en = (f"{county_id}: need-weighted coverage below {floor:.0%} of the prefecture's, by "
              f"{_num(short)} priority-weighted hours")
        zh = (f"{county.name_zh}：按需求加权的服务覆盖率低于全市的 {floor:.0%}，差 {_num(short)} "
              "（优先级加权小时）")
        rows.append(_row(model, county_id, "", "equity", short, math.nan, en, zh))
    return rows


def _coverage_rows(model: AllocationModel, unmet: pd.DataFrame) -> list[dict[str, object]]:
    rows = []
    target = model.scenario.policy.coverage_target
    for key, gap in model.coverage_gap.items():
        short = float(gap.varValue or 0.0)
        if short <= 1e-6:
            continue
        county = model.scenario.county(key[0])
        item = model.scenario.item(key[1])
        en = (f"{key[0]}/{key[1]}: providers here cannot serve the coverage target of "
              f"{target:.0%}; {_num(short)} hours a year short")
        zh = (f"{county.name_zh}/{item.name_zh}：承接主体供给能力不足以达到 {target:.0%} 的覆盖"
              f"目标，每年尚缺 {_num(short)} 小时")
        rows.append(_row(model, key[0], key[1], "coverage-target", short, math.nan, en, zh))
    return rows


def _cap_rows(model: AllocationModel, constraints: pd.DataFrame) -> list[dict[str, object]]:
    rows = []
    caps = constraints[(constraints["rule"] == "relief-cap") & constraints["binding"]
                       & (constraints["over"] <= 0.005)]
    for r in caps.itertuples(index=False):
        scope_zh = _scope_zh(model, r.scope)
        per_wan = r.shadow_price_per_10k_cny
        hours, people = r.hours_per_10k_cny, r.people_per_10k_cny
        if isinstance(r.marginal_cell, str) and r.marginal_cell and math.isfinite(hours):
            item_id = r.marginal_cell.split("/")[1]
            item = model.scenario.item(item_id)
            buys_en = (f"1 万元 more cap → {hours:,.0f} more hours of need met ({people:,.0f} "
                       f"more people served, {item_id})")
            buys_zh = (f"上限每增加 1 万元 → 多满足 {hours:,.0f} 小时需求（多服务 {people:,.0f} "
                       f"人次，{item.name_zh}）")
        else:
            buys_en = f"one more 万元 of cap adds {per_wan:,.1f} points of need met"
            buys_zh = f"上限每增加 1 万元，需求满足增加 {per_wan:,.1f} 分"
        en = (f"{r.scope}: the relief cap binds ({_wan(r.limit)} 万元, contracts in force "
              f"included); {buys_en}")
        zh = f"{scope_zh}：救助资金购买上限已用满（{_wan(r.limit)} 万元，含在履行合同）；{buys_zh}"
        rows.append(_row(model, r.scope, "", "relief-cap", 0.0, float(r.limit), en, zh))
    return rows

