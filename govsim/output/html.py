"""The self-contained HTML report of a run, in Chinese or English.

:func:`render_report` turns :class:`~govsim.output.report.RunTables` and the PNG plots into one
HTML page that answers first (:mod:`govsim.output.first_screen`): does the plan comply, which
county is short of what, how much money is needed beyond the caps (from the run's
``money_needed.csv``), what the caps leave unserved; then unit costs and people purchased.
Everything else — headline numbers per year, compliance with every rule and its source
(document title and clause), why rules are not met, where the caps bind, the allocation,
staffing, coverage and waits, contract events, convergence, the manifest — follows, the long
tables folded (``<details>``). Plots are embedded as base64 ``data:`` URIs and the CSS is
inline, so the file opens offline and can be mailed as is. All data is escaped (Jinja2
autoescape). Every word comes from :mod:`govsim.output.labels` in one language.

Money is shown in 万元 (10,000 CNY), shares in per cent, waits in working days.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import jinja2
import pandas as pd

from govsim.citations import cite
from govsim.compliance import money_pair
from govsim.metrics import year_figures
from govsim.output.cells import MISSING, WAN, Table, translator
from govsim.output.cells import missing as _missing
from govsim.output.cells import num as _num
from govsim.output.cells import pct as _pct
from govsim.output.cells import wan as _wan
from govsim.output.cells import year as _year
from govsim.output.figure import display_names
from govsim.output.first_screen import answers, rule_name, scope_name
from govsim.output.labels import LABELS, event_name, label, policy_fields
from govsim.output.phrases import explanation_text, reason_text, status_words, warning_text
from govsim.output.plots import item_summary
from govsim.policy import RULES

if TYPE_CHECKING:
    from govsim.output.report import RunTables

__all__ = ["Table", "environment", "headline", "render_report"]

_MONEY_RULES = {"relief-cap", "funding-sources"}
_SHARE_RULES = {"social-org-share"}
_NOTABLE_EVENTS = ("failed", "takeover", "exit", "not_renewed", "term_reached", "barred")
_MAX_ROWS = 150
#: Units of mechanisms.csv -> their ``unit.*`` label.
_UNITS = {"people": "unit.people", "FTE": "unit.fte", "cases": "unit.cases_total",
          "share": "unit.share", "working days": "unit.days", "score": "unit.score"}


def _t(lang: str, **defaults: object) -> Callable[..., str]:
    return translator(lang, **defaults)


def _rule_value(rule: str, value: Any, lang: str = "en") -> str:
    if _missing(value):
        return MISSING
    if not isinstance(value, int | float):
        key = f"value.{value}"
        return label(key, lang) if key in LABELS else str(value)
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
    """Headline numbers per plan year (index: measure keys, ``report.*`` labels; columns: years).

    :func:`govsim.metrics.year_figures`, the figures the terminal summary shows too: money in
    CNY, shares 0–1, waits in working days; NaN where a figure cannot be computed.
    """
    return year_figures(tables)


def _headline_table(tables: RunTables, t: Callable[..., str], lang: str) -> Table:
    frame = headline(tables)
    table = Table([t("metric"), *[str(y) for y in frame.columns]],
                  numeric=[False] + [True] * len(frame.columns))
    formats: dict[str, Callable[[Any], str]] = {
        "total_spend": _wan, "relief_spend": _wan, "cap_use": _pct, "max_cap_use": _pct,
        "social_share": _pct, "coverage": _pct, "weighted_coverage": _pct, "p90_wait": _num,
        "overdue": lambda v: _num(v, 0), "no_service_cells": lambda v: _num(v, 0),
        "cw_required": lambda v: _num(v, 0), "cw_in_post": lambda v: _num(v, 0),
        "cw_purchased": _num, "cw_shortfall": _num, "failures": lambda v: _num(v, 0)}
    flagged = {"failures", "overdue", "no_service_cells"}
    for key, fmt in formats.items():
        if key in frame.index:
            values = list(frame.loc[key])
            css = "fail" if key in flagged and any(v for v in values if not _missing(v)) \
                else ""
            table.add([t(key), *[fmt(v) for v in values]], css)
    convergence = tables.convergence.set_index("year") if len(tables.convergence) else None
    if convergence is not None:
        table.add([t("status"), *[_short_status(convergence.loc[y], lang)
                                  if y in convergence.index else MISSING for y in frame.columns]])
    return table


def _short_status(row: Any, lang: str) -> str:
    """A year's status in one or two words (the reason is in the convergence section)."""
    key = "phrase.short_" + str(row.get("status", "")).replace(" ", "_")
    return label(key, lang) if key in LABELS else status_words(row, lang)


def _warnings_table(tables: RunTables, lang: str) -> Table:
    """The years' warnings (growing statutory backlogs, establishment staff short), worded in
    ``lang`` (:func:`govsim.output.phrases.warning_text`)."""
    table = Table([_t(lang)("year"), _t(lang)("warning")], numeric=[False, False])
    counties = display_names(tables.scenario, "counties", lang)
    items = display_names(tables.scenario, "items", lang)
    for r in tables.warnings.to_dict("records"):
        table.add([_year(r["year"]), warning_text(r, lang, counties, items)], "fail")
    return table


def _compliance_tables(tables: RunTables, lang: str, names: Mapping[str, str],
                       fields: Mapping[str, str]) -> tuple[Table, Table]:
    t = _t(lang)
    comp = tables.compliance
    summary = Table([t("rule"), t("text"), t("source"), t("n_pass"), t("n_fail"), t("n_na"),
                     t("status")], numeric=[False, False, False, True, True, True, False],
                    nowrap=[False] * 6 + [True])
    rule_ids = list(RULES) + sorted(set(comp["rule"]) - set(RULES))
    for rule_id in rule_ids:
        rows = comp[comp["rule"] == rule_id]
        counts = rows["status"].value_counts()
        status = ("fail" if counts.get("fail", 0) else "pass" if counts.get("pass", 0)
                  else "not-applicable")
        rule = RULES.get(rule_id)
        text = (rule.text_zh if lang == "zh" else rule.text_en) if rule else ""
        source = cite(rule.source if rule else (rows["source"].iloc[0] if len(rows) else ""),
                      lang)
        summary.add([rule_name(rule_id, lang, fields), text, source, counts.get("pass", 0),
                     counts.get("fail", 0),
                     counts.get("not-applicable", 0), t(status)], status)
    frame, note = _limit(comp.sort_values("status", key=lambda s: s != "fail", kind="stable"),
                         lang, "compliance.csv")
    english = lang == "en"
    detail = Table([t("year"), t("rule"), t("scope"), t("value"), t("limit"), t("status"),
                    t("source")] + ([t("detail")] if english else []),
                   numeric=[False, False, False, True, True, False, False] + [False] * english,
                   note=note, nowrap=[False] * 5 + [True] + [False] * (1 + english))
    for r in frame.itertuples(index=False):
        value, limit = _rule_value(r.rule, r.value, lang), _rule_value(r.rule, r.limit, lang)
        if r.rule in _MONEY_RULES and not (_missing(r.value) or _missing(r.limit)):
            value, limit = money_pair(float(r.value), float(r.limit))  # one rounding for both
        cells = [_year(r.year), rule_name(r.rule, lang, fields),
                 scope_name(r.scope, names, lang), value, limit, t(r.status),
                 cite(r.source, lang)]
        # the check's detail is an English sentence of the checker: shown in English only
        detail.add(cells + ([r.detail] if lang == "en" else []), r.status)
    return summary, detail


def _explanations_table(tables: RunTables, lang: str, names: Mapping[str, str],
                        fields: Mapping[str, str]) -> Table:
    t = _t(lang)
    table = Table([t("year"), t("county"), t("rule"), t("shortfall"), t("money"), t("text")],
                  numeric=[False, False, False, True, True, False])
    text_col = "text_zh" if lang == "zh" else "text_en"
    frame, table.note = _limit(tables.explanations, lang, "explanations.csv")
    counties = display_names(tables.scenario, "counties", lang)
    items = display_names(tables.scenario, "items", lang)
    for r in frame.to_dict("records"):
        text = r[text_col] if not _missing(r[text_col]) and r[text_col] else r["text_en"]
        text = explanation_text(str(text), counties, items)
        table.add([_year(r["year"]), names.get(r["county"], r["county"]),
                   rule_name(r["rule"], lang, fields),
                   _num(r["shortfall"]), _wan(r["money_cny"]), text])
    return table


def _constraints_table(tables: RunTables, lang: str, names: Mapping[str, str],
                       fields: Mapping[str, str]) -> tuple[Table, str]:
    t = _t(lang)
    cons = tables.constraints
    binding = cons[cons["binding"].astype(bool)]
    binding = binding.assign(_abs=pd.to_numeric(binding["shadow_price"], errors="coerce").abs())
    binding = binding.sort_values(["year", "_abs"], ascending=[True, False], kind="stable")
    frame, note = _limit(binding, lang, "constraints.csv")
    table = Table([t("year"), t("rule"), t("scope"), t("slack"), t("shadow_price"),
                   t("per_wan"), t("hours_per_wan")],
                  numeric=[False, False, False, True, True, True, False], note=note)
    for r in frame.to_dict("records"):
        per_wan = r.get("shadow_price_per_10k_cny")
        if "shadow_price_per_10k_cny" not in r and r["rule"] in _MONEY_RULES:
            per_wan = r["shadow_price"] * WAN
        per_wan = MISSING if _missing(per_wan) else f"{float(per_wan):.4g}"
        hours = r.get("hours_per_10k_cny")
        cell = scope_name(r.get("marginal_cell", ""), names, lang)
        buys = MISSING if _missing(hours) else t(
            "buys", hours=f"{float(hours):,.0f}",
            people=f"{float(r['people_per_10k_cny']):,.0f}", cell=cell)
        table.add([_year(r["year"]), rule_name(r["rule"], lang, fields),
                   scope_name(r["scope"], names, lang),
                   _num(r["slack"], 2), f"{r['shadow_price']:.4g}"
                   if not _missing(r["shadow_price"]) else MISSING, per_wan, buys])
    summary = (t("binding_count", n=len(binding), m=len(cons) - len(binding)) if len(binding)
               else t("none_binding"))
    return table, summary


def _staffing_table(tables: RunTables, lang: str, names: Mapping[str, str],
                    fields: Mapping[str, str]) -> Table:
    t = _t(lang)
    staff = tables.staffing
    if len(staff) > _MAX_ROWS:  # large scenarios: the counties short of staff first
        staff = staff.sort_values("shortfall", ascending=False, kind="stable")
    frame, note = _limit(staff, lang, "staffing.csv")
    table = Table([t("year"), t("county"), t("rule"), t("required"), t("in_post"),
                   t("purchased"), t("shortfall")],
                  numeric=[False, False, False, True, True, True, True], note=note)
    for r in frame.to_dict("records"):
        table.add([_year(r["year"]), names.get(r["county"], r["county"]),
                   rule_name(r["rule"], lang, fields),
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
        none = bool(r["no_service"])
        coverage = _pct(r["coverage"]) + (f" ({t('no_service')})" if none else "")
        table.add([_year(r["year"]), items.get(r["item"], r["item"]), _num(r["arrivals"], 0),
                   _num(r["served"], 0), coverage, _pct(r["coverage_ci95"]),
                   _num(r["wait_mean_days"]), _num(r["wait_p90_days"]),
                   _num(r["wait_p90_days_ci95"]), _num(target), _pct(r["utilisation"], 0),
                   _num(r["satisfaction"], 2), _wan(r["cost"])],
                  "fail" if late or none else "")
    return table


def _contract_tables(tables: RunTables, lang: str, names: Mapping[str, str]
                     ) -> tuple[Table, Table]:
    t = _t(lang)
    log_ = tables.contracts
    events = [key.removeprefix("event.") for key in LABELS if key.startswith("event.")
              and key.removeprefix("event.") in set(log_["event"])]
    events += sorted(set(log_["event"]) - set(events))
    counts = Table([t("year"), *[event_name(e, lang) for e in events]],
                   numeric=[False] + [True] * len(events))
    pivot = log_.groupby(["year", "event"]).size().unstack(fill_value=0)
    for year, row in pivot.iterrows():
        counts.add([_year(year), *[int(row.get(e, 0)) for e in events]])
    items = display_names(tables.scenario, "items", lang)
    types = display_names(tables.scenario, "provider_types", lang)
    notable, note = _limit(log_[log_["event"].isin(_NOTABLE_EVENTS)], lang, "contracts.csv")
    table = Table([t("year"), t("replication"), t("day"), t("county"), t("item"),
                   t("provider"), t("event"), t("fte")],
                  numeric=[False, True, True, False, False, False, False, True], note=note)
    for r in notable.to_dict("records"):
        table.add([_year(r["year"]), _num(r.get("replication"), 0), _num(r["day"], 0),
                   names.get(r["county"], r["county"]),
                   items.get(r["item"], r["item"]),
                   f"{r['provider']} ({types.get(r['provider_type'], r['provider_type'])})",
                   event_name(r["event"], lang), _num(r["fte"])],
                  "fail" if r["event"] in ("failed", "barred") else "")
    return counts, table


def _converged_card(conv: pd.DataFrame, t: Callable[..., str]) -> str:
    """``converged/years``, and how many of the others are unattainable under a cap."""
    if "status" not in conv:
        return f"{int(conv['converged'].astype(bool).sum())}/{len(conv)}"
    text = f"{int((conv['status'] == 'converged').sum())}/{len(conv)}"
    capped = int((conv["status"] == "unattainable").sum())
    return text + (f" ({t('n_unattainable', n=capped)})" if capped else "")


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
    table.note = note or t("mechanisms_note")
    types = display_names(tables.scenario, "provider_types", lang)

    def word(prefix: str, key: Any) -> str:
        return label(f"{prefix}.{key}", lang) if f"{prefix}.{key}" in LABELS else str(key)

    for r in frame.to_dict("records"):
        money = str(r["unit"]).startswith("CNY")  # shown in 万元, as the measure's name says
        value = _wan(r["value"]) if money else _num(r["value"], 3)
        unit = "万元" if money else label(_UNITS[r["unit"]], lang) if r["unit"] in _UNITS \
            else r["unit"]
        table.add([_year(r["year"]), word("mech", r["mechanism"]),
                   types.get(str(r["provider_type"]), str(r["provider_type"] or "")),
                   word("measure", r["measure"]), value, unit, word("mech", r["source"])])
    return table


def _convergence_table(tables: RunTables, lang: str) -> Table:
    t = _t(lang)
    table = Table([t("year"), t("rounds"), t("status"), t("reason")],
                  numeric=[False, True, False, False])
    for r in tables.convergence.to_dict("records"):
        ok = r.get("status", "converged" if r["converged"] else "") == "converged"
        table.add([_year(r["year"]), _num(r["rounds"], 0), status_words(r, lang),
                   reason_text(r, lang)],
                  "" if ok else "fail")
    return table


# -- page -----------------------------------------------------------------------------------------

def environment() -> jinja2.Environment:
    """THE template engine of govsim's HTML (``govsim/output/templates/``): autoescaped,
    undefined names are errors."""
    return jinja2.Environment(loader=jinja2.PackageLoader("govsim.output", "templates"),
                              autoescape=True, trim_blocks=True, lstrip_blocks=True,
                              undefined=jinja2.StrictUndefined)


def render_report(tables: RunTables, images: Mapping[str, bytes], lang: str,
                  money: pd.DataFrame | None = None) -> str:
    """The report page as a string.

    Parameters
    ----------
    tables
        Checked run tables (see :meth:`govsim.output.report.RunTables.checked`).
    images
        PNG bytes by plot stem (see :data:`govsim.output.report.PLOTS`); embedded as data URIs.
    lang
        ``"zh"`` or ``"en"``.
    money
        The run's money-needed table (:func:`govsim.output.answers.money_needed`), or None
        when the run has none (the report then says money needed is not available).
    """
    scenario = tables.scenario
    fields = policy_fields(scenario.policy, lang)
    t = _t(lang, **fields)
    header = scenario.header
    names = {**display_names(scenario, "counties", lang),
             **display_names(scenario, "items", lang),
             **display_names(scenario, "provider_types", lang),
             "prefecture": "全市" if lang == "zh" else "prefecture"}
    title = (header.title_zh if lang == "zh" else header.title_en) or header.title_en or \
        header.title_zh or header.name
    compliance, compliance_detail = _compliance_tables(tables, lang, names, fields)
    constraints, constraints_summary = _constraints_table(tables, lang, names, fields)
    event_counts, notable = _contract_tables(tables, lang, names)
    conv = tables.convergence
    manifest = tables.manifest
    years = sorted({int(y) for y in pd.to_numeric(tables.allocation["year"],
                                                   errors="coerce").dropna()})
    span = MISSING if not years else str(years[0]) if len(years) == 1 else \
        f"{years[0]}–{years[-1]}"
    facts = [(t("scenario"), header.name), (t("plan_years"), f"{span} ({len(years)})"),
             (t("seed"), str(manifest.get("seed", header.seed))),
             (t("replications"), str(manifest.get("replications", header.replications))),
             (t("hash"), scenario.content_hash()[:16])]
    cards = [
        (t("total_spend") + f" · {t('all_years')}", _wan(tables.allocation["cost"].sum())),
        (t("failures"), str(int((tables.compliance["status"] == "fail").sum()))),
        (t("years_converged"), _converged_card(conv, t)),
    ]
    images_uri = {stem: "data:image/png;base64," + base64.b64encode(png).decode("ascii")
                  for stem, png in images.items()}
    warnings = _warnings_table(tables, lang)
    return environment().get_template("report.html.j2").render(
        lang=lang, t=t, title=title, facts=facts, cards=cards, images=images_uri,
        answers=answers(tables, money, lang, fields, t),
        headline=_headline_table(tables, t, lang), warnings=warnings,
        warnings_title=t("warnings_n", n=len(warnings.rows)),
        compliance=compliance,
        compliance_detail=compliance_detail,
        explanations=_explanations_table(tables, lang, names, fields),
        constraints=constraints, constraints_summary=constraints_summary,
        staffing=_staffing_table(tables, lang, names, fields),
        service=_service_table(tables, lang),
        event_counts=event_counts, notable=notable,
        convergence=_convergence_table(tables, lang),
        mechanisms=_mechanisms_table(tables, lang),
        manifest=json.dumps(manifest, ensure_ascii=False, indent=2, default=str),
    )
