"""The report's first screen as tables and sentences: the answers, then unit costs and people.

Built from :mod:`govsim.output.answers` (the figures) for the template ``report.html.j2``.
Counties, items and rules are named in words in the reader's language (never ids or LP row
names); money in 万元, with the 80 % band where the money-needed table has one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from govsim.output.answers import (
    county_shortfalls,
    failing_rules,
    prefecture_money,
    unit_costs,
)
from govsim.output.band_position import HORIZON, BandRow, band_rows, outside_note, percentile_text
from govsim.output.cells import MISSING, Table, missing, num, pct, wan, wan_range
from govsim.output.figure import display_names
from govsim.output.labels import LABELS, label

if TYPE_CHECKING:
    from govsim.output.report import RunTables

__all__ = ["RULE_PLOTS", "SUGGESTED_SAMPLES", "Answers", "answers", "band_command",
           "band_method", "has_band", "rule_name", "scope_name"]

#: The plot that shows each rule with a number (file stem in ``plots/``).
RULE_PLOTS: dict[str, str] = {"relief-cap": "relief_cap_use",
                              "social-org-share": "social_org_share",
                              "caseworker-ratio": "caseworkers",
                              "child-welfare-staff": "child_welfare_staff"}


def rule_name(rule_id: str, lang: str, fields: Mapping[str, str]) -> str:
    """A rule's short name in ``lang`` (policy numbers from the scenario), else its id."""
    key = f"rule.{rule_id}"
    return label(key, lang, **fields) if key in LABELS else rule_id


_FUNDS = {"relief": "xlsx.fund_relief", "child": "xlsx.fund_child",
          "lottery": "xlsx.fund_lottery"}


def scope_name(scope: Any, names: Mapping[str, str], lang: str) -> str:
    """A check's or constraint's scope in words: ``county/item/provider type`` by display
    names, ``fund:child/west`` as the fund and the county, ``prefecture`` and ``total``."""
    if missing(scope) or not str(scope):
        return ""
    parts = []
    for part in str(scope).split("/"):
        if part.startswith("fund:"):
            key = _FUNDS.get(part.removeprefix("fund:"))
            parts.append(label(key, lang) if key else part)
        elif part == "total":
            parts.append(label("xlsx.prefecture", lang))
        else:
            parts.append(names.get(part, part))
    return " / ".join(parts)


@dataclass
class Answers:
    """What the first screen shows."""

    complies: bool
    verdict: str
    failing: list[tuple[str, str | None]] = field(default_factory=list)  # (line, plot stem)
    counties: Table | None = None
    money: Table | None = None
    money_note: str = ""
    band_note: str = ""
    band_why: str = ""        # why a figure lies outside its band ("" when none does)
    bands: Table | None = None
    unserved: list[str] = field(default_factory=list)
    costs: Table | None = None
    people: Table | None = None
    people_note: str = ""


def _years_text(years: list[int], lang: str) -> str:
    if not years:
        return MISSING
    text = str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"
    return text


def _band(low: Any, high: Any, row: BandRow | None = None, lang: str = "en") -> str:
    """`` [p10–p90]`` in 万元, and where the point lies among the samples when it lies outside
    (``row``: its ``uncertainty.csv`` row)."""
    if missing(low) or missing(high):
        return ""
    where = percentile_text(row, lang) if row is not None and row.outside else ""
    if where:
        where = f"（{where}）" if lang == "zh" else f" ({where})"
    return f" [{wan_range(low, high)}]{where}"


def answers(tables: RunTables, money: pd.DataFrame | None, lang: str,
            fields: Mapping[str, str], t: Callable[..., str]) -> Answers:
    """The first screen of the report of ``tables`` (``money``: the money-needed table)."""
    scenario = tables.scenario
    counties = {**display_names(scenario, "counties", lang),
                "prefecture": "全市" if lang == "zh" else "prefecture"}
    items = display_names(scenario, "items", lang)
    comp = tables.compliance
    years = sorted({int(y) for y in pd.to_numeric(tables.allocation["year"],
                                                   errors="coerce").dropna()})
    span = _years_text(years, lang)
    fails = int((comp["status"] == "fail").sum())
    checks = int(comp["status"].isin(["pass", "fail"]).sum())
    verdict = (t("not_comply", fails=fails, n=checks, years=span) if fails
               else t("complies", n=checks, years=span))
    out = Answers(complies=not fails, verdict=verdict)
    sep = "、" if lang == "zh" else ", "
    for r in failing_rules(comp).to_dict("records"):
        scopes = sep.join(scope_name(s, counties, lang) for s in r["scopes"][:8])
        if len(r["scopes"]) > 8:
            scopes += "…"
        out.failing.append((t("fail_line", rule=rule_name(r["rule"], lang, fields),
                              checks=r["checks"], scopes=scopes,
                              years=sep.join(str(y) for y in r["years"])),
                            RULE_PLOTS.get(r["rule"])))
    out.counties = _county_table(tables, money, lang, counties, items, t)
    out.money, out.unserved = _money(money, lang, items, t, band_rows(tables.uncertainty))
    out.money_note = t("money_note") if money is not None else t("money_missing")
    out.band_note = _band_note(tables, has_band(money), t)
    if has_band(money):
        out.band_why = outside_note(tables.uncertainty, getattr(tables, "manifest", {}), lang,
                                    lambda m: t(f"metric_{m}"))
    out.bands = _bands_table(tables.uncertainty, t, lang)
    out.costs = _costs_table(tables, t)
    out.people, out.people_note = _people_table(tables, lang, t)
    return out


def has_band(money: pd.DataFrame | None) -> bool:
    """Whether the money-needed table carries 80 % bands (its band columns are empty when the
    scenario declares no uncertain inputs or the run was made with ``--uncertainty 0``)."""
    return money is not None and "need_cny_p10" in money.columns and bool(
        pd.to_numeric(money["need_cny_p10"], errors="coerce").notna().any())


#: Whole runs suggested for bands of coverage and staff short too (the smallest that gives a
#: usable 80 % band: with 10 Latin-hypercube points the 10th and 90th percentiles are
#: interpolated between the two lowest and two highest samples).
SUGGESTED_SAMPLES = 10


def band_command(tables: RunTables, samples: int = SUGGESTED_SAMPLES) -> tuple[str, str]:
    """The run's own command line (without ``--out``/``--overwrite``/``--uncertainty``): as
    it is (a default run: the band of money needed) and with ``--uncertainty samples`` (whole
    runs: bands of coverage and staff short too)."""
    import shlex

    manifest = getattr(tables, "manifest", {}) or {}
    scenario = tables.scenario
    record = manifest.get("scenario")
    source = str((record.get("source") if isinstance(record, dict) else None)
                 or scenario.name)
    source = source.removeprefix("builtin:")
    words = shlex.split(str(manifest.get("command") or ""))
    if words[:2] != ["govsim", "run"] or "--replay" in words:
        words = ["govsim", "run", source]
    kept: list[str] = []
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word in ("--out", "--uncertainty", "--results"):
            skip = True
        elif not (word == "--overwrite" or word.startswith(("--out=", "--uncertainty=",
                                                            "--results="))):
            kept.append(word)
    return shlex.join(kept), shlex.join([*kept, "--uncertainty", str(samples)])


def band_method(tables: RunTables) -> str:
    """How a run's bands were made: ``money`` (its need plan re-solved at sampled inputs, the
    default) or ``runs`` (``--uncertainty N`` whole runs): from the manifest, else from the
    metrics banded."""
    record = (getattr(tables, "manifest", {}) or {}).get("uncertainty") or {}
    if record.get("method") in ("money", "runs"):
        return str(record["method"])
    bands = getattr(tables, "uncertainty", None)
    metrics = set(bands["metric"]) if isinstance(bands, pd.DataFrame) and len(bands) else set()
    return "money" if metrics and metrics <= {"need_cny", "gap_cny"} else "runs"


def _band_note(tables: RunTables, banded: bool, t: Callable[..., str]) -> str:
    inputs = len(getattr(tables.scenario, "uncertainty", ()) or ())
    if not banded and not inputs:
        return t("band_no_inputs")
    run, whole = band_command(tables)
    if banded:
        samples = pd.to_numeric(tables.uncertainty.get("samples", pd.Series(dtype=float)),
                                errors="coerce").dropna()
        n = int(samples.max()) if len(samples) else MISSING
        return t("band_from_money", n=n, k=inputs, command=whole) \
            if band_method(tables) == "money" else t("band_from", n=n, k=inputs)
    return t("band_missing", k=inputs, command=run, runs=whole, n=SUGGESTED_SAMPLES + 1)


#: The metrics of ``uncertainty.csv`` the bands table shows, in order, and how.
_BAND_METRICS = (("need_cny", "wan"), ("gap_cny", "wan"), ("coverage", "pct"),
                 ("staff_short", "people"))


def _band_value(value: Any, how: str) -> str:
    if how == "wan":
        return wan(value)
    if how == "pct":
        return pct(value)
    return num(value, 1)


def _bands_table(bands: pd.DataFrame, t: Callable[..., str], lang: str) -> Table | None:
    """The prefecture's 80 % bands per metric and year from ``uncertainty.csv`` (None when the
    run has none): this run's figure, the 10th–90th percentile and where the figure lies among
    the samples; money also over all plan years (the band of the total)."""
    rows = {key: row for key, row in band_rows(bands).items() if key[1] == ""}
    if not rows:
        return None
    table = Table([t("metric"), t("year"), t("point"), t("band_col"), t("pct_col")],
                  numeric=[False, False, True, True, False])
    for metric, how in _BAND_METRICS:
        years = sorted(y for m, _, y in rows if m == metric and y is not None)
        for year in [*years, *([HORIZON] if (metric, "", HORIZON) in rows else [])]:
            r = rows[metric, "", year]
            table.add([t(f"band_{metric}"), t("all_years") if year is None else str(year),
                       _band_value(r.point, how),
                       MISSING if missing(r.p10) or missing(r.p90) else
                       f"{_band_value(r.p10, how)}–{_band_value(r.p90, how)}",
                       percentile_text(r, lang) or MISSING], "fail" if r.outside else "")
    return table


def _county_table(tables: RunTables, money: pd.DataFrame | None, lang: str,
                  counties: Mapping[str, str], items: Mapping[str, str],
                  t: Callable[..., str]) -> Table:
    band = has_band(money)
    headers = [t("county"), t("weighted_coverage"), t("staff_cw"), t("staff_child"),
               t("gap_wan") + (f" [{t('band')}]" if band else ""), t("unserved_items"),
               t("checks_failed")]
    table = Table(headers, numeric=[False, True, True, True, True, False, True],
                  note=t("counties_note"))
    sep = "、" if lang == "zh" else ", "
    for c in county_shortfalls(tables, money):
        short = any(v > 1e-9 for v in c.staff_short.values() if not math.isnan(v))
        gap = MISSING if missing(c.gap_cny) else \
            wan(c.gap_cny) + _band(c.gap_p10, c.gap_p90, c.gap_band, lang)
        unserved = sep.join(items.get(i, i) for i in c.unserved_items[:4]) or (
            MISSING if money is None else "")
        css = "fail" if (not missing(c.gap_cny) and c.gap_cny > 0.5) or short or c.failures \
            else ""
        table.add([counties.get(c.county, c.county), pct(c.coverage),
                   num(c.staff_short["caseworker-ratio"]),
                   num(c.staff_short["child-welfare-staff"]), gap, unserved, c.failures],
                  css)
    return table


def _money(money: pd.DataFrame | None, lang: str, items: Mapping[str, str],
           t: Callable[..., str], bands: Mapping[tuple[str, str, int | None], BandRow]
           ) -> tuple[Table | None, list[str]]:
    rows = prefecture_money(money)
    if rows.empty:
        return None, []
    band = has_band(rows)
    suffix = f" [{t('band')}]" if band else ""
    table = Table([t("year"), t("need_wan") + suffix, t("cap_wan"), t("gap_only") + suffix,
                   t("unserved_hours")], numeric=[False, True, True, True, True])
    lines = []
    sep = "、" if lang == "zh" else ", "
    for r in rows.to_dict("records"):
        year = None if missing(r["year"]) else int(r["year"])
        need = wan(r["need_cny"]) + (_band(r.get("need_cny_p10"), r.get("need_cny_p90"),
                                           bands.get(("need_cny", "", year)), lang)
                                     if band else "")
        gap = wan(r["gap_cny"]) + (_band(r.get("gap_cny_p10"), r.get("gap_cny_p90"),
                                         bands.get(("gap_cny", "", year)), lang)
                                   if band else "")
        table.add([str(r["year"]), need, wan(r["cap_cny"]), gap, num(r["unserved_hours"], 0)],
                  "fail" if not missing(r["gap_cny"]) and float(r["gap_cny"]) > 0.5 else "")
        hours, cases = r["unserved_hours"], r["unserved_cases"]
        named = [items.get(i.strip(), i.strip()) for i in str(r["unserved_items"]).split(";")
                 if i.strip() and i.strip() != "nan"]
        if not missing(hours) and float(hours) <= 0.5:
            lines.append(t("unserved_none", year=r["year"]))
        else:
            lines.append(t("unserved_line", year=r["year"], hours=num(hours, 0),
                           cases=num(cases, 0), items=sep.join(named[:5]) or MISSING))
    return table, lines


def _costs_table(tables: RunTables, t: Callable[..., str]) -> Table:
    costs = unit_costs(tables)
    table = Table([t("metric"), t("value")], numeric=[False, True])
    table.add([t("total_spend") + f" · {t('all_years')}", wan(costs["spend"])])
    table.add([t("per_case"), num(costs["per_case"], 0)])
    table.add([t("per_recipient"), num(costs["per_recipient"], 0)])
    return table


_TIERS = ("unqualified", "assistant", "intermediate")


def _tier_mix(scenario: Any) -> dict[str, dict[str, float]]:
    """Provider type -> normalised shares of its staff by title tier, when the scenario's title
    tiers are on (``[mechanisms.title_tiers]``); empty otherwise."""
    tiers = getattr(getattr(scenario, "mechanisms", None), "title_tiers", None)
    if tiers is None or not getattr(tiers, "enabled", False):
        return {}
    out = {}
    for mix in getattr(tiers, "mix", ()):
        shares = {tier: float(getattr(mix, tier, 0.0)) for tier in _TIERS}
        total = sum(shares.values())
        if total > 0:
            out[mix.id] = {tier: share / total for tier, share in shares.items()}
    return out


def _people_table(tables: RunTables, lang: str, t: Callable[..., str]) -> tuple[Table, str]:
    """People purchased per year (the ``persons`` of the allocation): by title tier where the
    scenario gives a provider type's mix of titles (the post-price tiers), the rest by
    provider type."""
    alloc = tables.allocation
    types = display_names(tables.scenario, "provider_types", lang)
    persons = pd.to_numeric(alloc["persons"], errors="coerce")
    frame = alloc.assign(persons=persons).dropna(subset=["persons"])
    years = sorted({int(y) for y in frame["year"]})
    mixes = _tier_mix(tables.scenario)
    rows: dict[str, dict[int, float]] = {}
    for r in frame.to_dict("records"):
        mix = mixes.get(str(r["provider_type"]))
        if mix:
            for tier, share in mix.items():
                key = t(f"tier_{tier}")
                rows.setdefault(key, {}).setdefault(int(r["year"]), 0.0)
                rows[key][int(r["year"])] += share * float(r["persons"])
        else:
            name = str(r["provider_type"])
            name = types.get(name) or (label(f"report.ptype_{name}", lang)
                                       if f"report.ptype_{name}" in LABELS else name)
            rows.setdefault(name, {}).setdefault(int(r["year"]), 0.0)
            rows[name][int(r["year"])] += float(r["persons"])
    first = t("people_tier") if mixes else t("provider_type")
    table = Table([first, *[str(y) for y in years]], numeric=[False] + [True] * len(years))
    tier_names = [t(f"tier_{tier}") for tier in _TIERS]
    for name in [n for n in tier_names if n in rows] + sorted(set(rows) - set(tier_names)):
        table.add([name, *[num(rows[name].get(y, 0.0), 0) for y in years]])
    return table, "" if mixes else t("tiers_missing")
