"""report.html and comparison.html in a real browser (Debian's chromium, headless, driven by
playwright with the system executable — no browser download).

Asserts what a planner on a desktop and on a phone sees: the answers section starts within the
first 1,000 px at 1,400 px width; no table column is narrower than four characters; the page
does not scroll sideways at 400 px (wide tables scroll inside their box); every image loads.
Screenshots go to ``results/browser/`` (git-ignored; CI keeps them as artefacts).

In CI (``CI=true``) a missing chromium or playwright FAILS these tests (``.ci/run`` installs
chromium); elsewhere they skip with the reason.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

import govsim
from govsim.compare import compare, write_comparison
from govsim.output.report import write_run
from tests.output.browser import PageMeasure, measure_page, require_chromium

SHOTS = Path(__file__).resolve().parents[2] / "results" / "browser"
WIDTHS = (1400, 400)


@pytest.fixture(scope="module")
def browser() -> str:
    return require_chromium()


def _report(result: govsim.RunResult, folder: Path, lang: str, money: bool) -> Path:
    """The run's report: with the run's own money-needed table, or with none at all."""
    assert len(result.tables.money_needed) > 0  # every run computes money needed
    tables = result.tables if money else dataclasses.replace(result.tables,
                                                             money_needed=pd.DataFrame())
    write_run(tables, folder, lang)
    return folder / "report.html"


def _check(measures: dict[int, PageMeasure], section: str | None) -> None:
    wide, phone = measures[1400], measures[400]
    if section:
        assert wide.section_top is not None, f"no #{section} on the page"
        assert wide.section_top < 1000, f"#{section} starts at {wide.section_top:.0f} px"
    for m in measures.values():
        assert m.narrow_columns == [], f"columns under 4 characters at {m.width} px: " \
            f"{m.narrow_columns[:5]}"
        assert m.broken_images == [], f"images that did not load: {m.broken_images}"
    assert phone.scroll_width <= phone.client_width, \
        f"the page scrolls sideways at 400 px ({phone.scroll_width} > {phone.client_width})"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_answers_first_on_desktop_and_phone(browser: str, guangan_run: govsim.RunResult,
                                                   tmp_path: Path, lang: str) -> None:
    html = _report(guangan_run, tmp_path / f"guangan-{lang}", lang, money=True)
    measures = measure_page(html, WIDTHS, "answers", SHOTS / f"report-{lang}", browser)
    _check(measures, "answers")
    assert measures[1400].images >= 7  # every plot, each loaded


def test_report_without_money_needed_says_so(guangan_run: govsim.RunResult,
                                             tmp_path: Path) -> None:
    """No money_needed.csv: the answers say money needed is not available — no caps shown
    as money needed, no 0 (a text check; the layout is the same as with the table)."""
    html = _report(guangan_run, tmp_path / "no-money", "en", money=False)
    text = html.read_text(encoding="utf-8")
    answers = text[text.index('id="answers"'):text.index('id="costs"')]
    assert "Money needed is not available for this run" in answers
    assert "Caps allow" not in answers and "Money needed (万元)" not in answers


def test_comparison_page_in_the_browser(browser: str, tiny: govsim.Scenario,
                                        tmp_path: Path) -> None:
    comparison = compare(tiny, ["base:", "cap5: policy.relief_cap_share=0.05",
                                "pooled: policy.cap_scope=prefecture"],
                         years=1, replications=2, workers=1)
    folder = write_comparison(comparison, tmp_path / "cmp", lang="zh")
    measures = measure_page(folder / "comparison.html", WIDTHS, "comparison",
                            SHOTS / "comparison", browser)
    _check(measures, "comparison")
    assert measures[1400].images == 1
