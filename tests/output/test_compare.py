"""The compare folder: the workbook reads back equal to the CSV, layout as documented, the
chart, the HTML section, the manifest, atomic writing, and the ``govsim compare`` command."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import govsim
from govsim.cli import main
from govsim.compare import (
    METRICS,
    Comparison,
    compare,
    comparison_html,
    write_comparison,
)
from govsim.errors import GovsimError
from govsim.output.compare import FILES
from tests.workbook_headers import (
    ALLOCATION_HEADERS,
    COMPLIANCE_HEADERS,
    NOTES_HEADER,
    SHEETS,
    STATUS_WORDS,
    SUMMARY_LABEL_HEADERS,
    diff_headers,
)

NAMES = ["base", "same", "cap5", "lottery+"]

@pytest.fixture(scope="module")
def comparison(tiny: govsim.Scenario) -> Comparison:
    return compare(tiny, ["base:", "same:", "cap5: policy.relief_cap_share=0.05",
                          "lottery+: funds.lottery=150000"], years=1, replications=2, workers=1)


@pytest.fixture(scope="module")
def folder(comparison: Comparison, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("compare") / "out"
    return write_comparison(comparison, out, command="govsim compare tiny (test)")


def test_folder_holds_every_file(folder: Path) -> None:
    assert sorted(p.name for p in folder.iterdir()) == sorted([*FILES, "manifest.json"])
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]


def test_workbook_sheets_and_headers_as_documented(folder: Path) -> None:
    lang = "en"  # the tiny scenario's language
    summary_name, compliance_name, assumptions_name = SHEETS[lang]
    book = openpyxl.load_workbook(folder / "comparison.xlsx")
    assert book.sheetnames == [summary_name, *NAMES, compliance_name, assumptions_name]
    summary = book[summary_name]
    headers = [c.value for c in summary[1]]
    expected = [*SUMMARY_LABEL_HEADERS[lang], *NAMES]
    for name in NAMES[1:]:
        expected += diff_headers(name, lang)
    assert headers == [*expected, NOTES_HEADER[lang]]
    assert summary.freeze_panes == "C2"
    assert [summary.cell(row=r, column=1).value for r in range(2, len(METRICS) + 2)] == \
        [m.name(lang) for m in METRICS]
    assert summary.cell(row=2, column=3).number_format == "#,##0.0"  # spend in 万元
    for name in NAMES:  # one table per sheet: the allocation only
        sheet = book[name]
        assert tuple(c.value for c in sheet[1]) == ALLOCATION_HEADERS[lang]
    compliance = pd.read_excel(folder / "comparison.xlsx", sheet_name=compliance_name)
    assert tuple(compliance.columns) == COMPLIANCE_HEADERS[lang]
    assert set(compliance[COMPLIANCE_HEADERS[lang][0]]) == set(NAMES)
    assert set(compliance[COMPLIANCE_HEADERS[lang][7]]) <= STATUS_WORDS[lang]
    assert not compliance[COMPLIANCE_HEADERS[lang][8]].astype(str).str.contains(
        r"\.txt").any()  # sources by document title, never by file name
    assert len(book.sheetnames) == len(set(s.lower() for s in book.sheetnames))


def test_every_sheet_prints_one_page_wide_landscape(folder: Path) -> None:
    book = openpyxl.load_workbook(folder / "comparison.xlsx")
    for sheet in book.worksheets:
        assert sheet.page_setup.orientation == "landscape", sheet.title
        assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        if sheet.title != SHEETS["en"][2]:
            assert sheet.print_title_rows == "$1:$1", sheet.title  # header repeated


_DIGITS = {"wan": 1, "share": 3, "people": 1, "cases": 0, "days": 1, "cny_per_case": 0,
           "score": 3, "count": 0}


def _assert_shown(got: np.ndarray, want: np.ndarray, digits: int) -> None:
    """``got`` is ``want`` rounded to ``digits`` decimals (what the cell's format shows)."""
    got, want = np.atleast_1d(np.asarray(got, dtype=float)), np.atleast_1d(want)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    known = ~np.isnan(want)
    np.testing.assert_array_equal(got[known], np.round(got[known], digits))
    assert (np.abs(got[known] - want[known]) <= 0.5 * 10.0 ** -digits + 1e-9).all(), (got, want)


def test_workbook_numbers_are_the_csv_rounded_as_shown(folder: Path) -> None:
    lang = "en"
    csv = pd.read_csv(folder / "comparison.csv", encoding="utf-8-sig").set_index("option")
    assert csv.index.tolist() == NAMES
    summary = pd.read_excel(folder / "comparison.xlsx", sheet_name=SHEETS[lang][0])
    summary = summary.set_index(SUMMARY_LABEL_HEADERS[lang][0])
    for m in METRICS:
        row, digits = m.name(lang), _DIGITS[m.unit]
        for name in NAMES:
            _assert_shown(summary.at[row, name], np.array([csv.at[name, m.id]]), digits)
        for name in NAMES[1:]:
            got = summary.loc[row, list(diff_headers(name, lang))].to_numpy(dtype=float)
            want = csv.loc[name, [f"{m.id}_diff", f"{m.id}_diff_low", f"{m.id}_diff_high"]]\
                .to_numpy(dtype=float)
            if m.unit == "share":  # differences of shares: percentage points, one decimal
                _assert_shown(got, want * 100, 1)
            else:
                _assert_shown(got, want, digits)


def test_significant_differences_are_highlighted(folder: Path, comparison: Comparison) -> None:
    sheet = openpyxl.load_workbook(folder / "comparison.xlsx")[SHEETS["en"][0]]
    headers = [c.value for c in sheet[1]]
    table = comparison.table.set_index("option")
    seen = set()
    for row, m in enumerate(METRICS, start=2):
        for name in NAMES[1:]:
            cell = sheet.cell(row=row, column=headers.index(diff_headers(name)[0]) + 1)
            flag = table.at[name, f"{m.id}_significant"]
            if m.kind == "plan":  # zero-width interval: never flagged either way
                assert flag is pd.NA
                assert not cell.fill.fgColor.rgb.endswith("FFF2CC")
                assert "n.s." not in cell.number_format
                continue
            if flag is pd.NA:
                continue
            filled = cell.fill.fgColor.rgb.endswith("FFF2CC")
            assert filled == bool(flag), (m.id, name)
            assert ("n.s." in cell.number_format) == (not flag)
            seen.add(bool(flag))
        if m.unit == "share":
            cell = sheet.cell(row=row, column=headers.index(diff_headers("cap5")[0]) + 1)
            assert "pp" in cell.number_format and "%" not in cell.number_format
    assert seen == {True, False}


def test_option_sheet_allocation_in_wan(folder: Path, comparison: Comparison) -> None:
    headers = ALLOCATION_HEADERS["en"]
    sheet = pd.read_excel(folder / "comparison.xlsx", sheet_name="cap5")
    allocation = comparison.result("cap5").tables.allocation
    sheet = sheet.dropna(how="all")
    assert len(sheet) == len(allocation)
    np.testing.assert_allclose(sheet[headers[-1]].to_numpy(),
                               (allocation["cost"].to_numpy() / 1e4).round(1))


def test_pooled_option_notes_that_county_caps_do_not_apply(tiny: govsim.Scenario,
                                                           tmp_path: Path) -> None:
    pooled = compare(tiny, ["base:", "pooled: policy.cap_scope=prefecture"], years=1,
                     replications=2, workers=1)
    for lang in ("zh", "en"):
        out = write_comparison(pooled, tmp_path / lang, lang=lang)
        book = openpyxl.load_workbook(out / "comparison.xlsx")
        sheet = book[SHEETS[lang][0]]
        headers = [c.value for c in sheet[1]]
        rows = {sheet.cell(row=r, column=1).value: r for r in range(2, sheet.max_row + 1)}
        from govsim.metrics import metric
        row = rows[metric("cap_use_mean").name(lang)]
        assert sheet.cell(row=row, column=headers.index("pooled") + 1).value is None
        note = sheet.cell(row=row, column=len(headers)).value
        assert "pooled" in note and ("county caps do not apply" in note or "县级上限不适用" in note)
        html = (out / "comparison.html").read_text(encoding="utf-8")
        assert ("county caps do not apply" in html) or ("县级上限不适用" in html)


def test_assumptions_and_manifest(folder: Path, comparison: Comparison) -> None:
    sheet = openpyxl.load_workbook(folder / "comparison.xlsx")[SHEETS["en"][2]]
    cells = {str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None}
    assert comparison.scenario.content_hash() in cells
    assert "policy.relief_cap_share = 0.05" in cells
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == comparison.seed == govsim.load_scenario("tiny").header.seed
    assert manifest["replications"] == 2 and manifest["years"] == [2025]
    assert [o["name"] for o in manifest["options"]] == NAMES
    assert manifest["options"][2]["overrides"] == {"policy.relief_cap_share": 0.05}
    assert manifest["options"][0]["baseline"] is True
    assert set(manifest["files"]) == set(FILES)


def test_replications_csv(folder: Path, comparison: Comparison) -> None:
    reps = pd.read_csv(folder / "replications.csv", encoding="utf-8-sig")
    assert len(reps) == len(NAMES) * 2
    pd.testing.assert_frame_equal(reps, comparison.replication_table, check_dtype=False)


def test_html_section_is_self_contained(comparison: Comparison, folder: Path) -> None:
    section = comparison_html(comparison, "zh", image=b"")
    assert section.startswith('<section class="govsim-compare"') and "<script" not in section
    for name in NAMES:
        assert f">{name}<" in section
    assert "需求加权覆盖率" in section and "n.s." in section
    page = (folder / "comparison.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "data:image/png;base64," in page


def test_existing_folder_is_not_overwritten(comparison: Comparison, folder: Path) -> None:
    before = (folder / "comparison.csv").read_bytes()
    with pytest.raises(GovsimError, match="not empty"):
        write_comparison(comparison, folder)
    assert (folder / "comparison.csv").read_bytes() == before
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]


def test_parallel_workers_give_the_serial_result(tiny: govsim.Scenario,
                                                 comparison: Comparison) -> None:
    parallel = compare(tiny, ["base:", "cap5: policy.relief_cap_share=0.05"], years=1,
                       replications=2, workers=2)
    serial = comparison.table.set_index("option").loc[["base", "cap5"]].reset_index()
    pd.testing.assert_frame_equal(parallel.table, serial)


# -- the command -----------------------------------------------------------------------------------

def test_cli_compare_writes_the_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cmp"
    code = main(["compare", "tiny", "--option", "cap5: policy.relief_cap_share=0.05",
                 "--years", "1", "--replications", "2", "--workers", "1", "--out", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "baseline" in text and "cap5" in text and "Need-weighted coverage" in text
    book = openpyxl.load_workbook(out / "comparison.xlsx")
    assert book.sheetnames == ["Summary", "baseline", "cap5", "Compliance", "Assumptions"]
    # in Chinese every line is Chinese, the last one (where the results are) too
    zh = tmp_path / "cmp-zh"
    assert main(["compare", "tiny", "--option", "cap5: policy.relief_cap_share=0.05",
                 "--years", "1", "--replications", "2", "--workers", "1", "--lang", "zh",
                 "--out", str(zh)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("结果：") and "results" not in last


def test_cli_bad_option_exits_two_naming_option_and_path(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "never"
    code = main(["compare", "tiny", "--option", "wide: policy.cap_scop=prefecture",
                 "--out", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert "option 'wide'" in err and "policy.cap_scop" in err and "Traceback" not in err
    assert not out.exists()


def test_cli_needs_something_to_compare(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "tiny"]) == 2
    assert "nothing to compare" in capsys.readouterr().err


def test_cli_cap_range(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "caps"
    assert main(["compare", "tiny", "--cap-range", "0.01:0.05:0.01", "--out", str(out)]) == 0
    table = pd.read_csv(out / "cap_range.csv", encoding="utf-8-sig")
    assert table["relief_cap_share"].tolist() == pytest.approx([0.01, 0.02, 0.03, 0.04, 0.05])
    sheet = pd.read_excel(out / "cap_range.xlsx", sheet_name="Cap range")  # tiny: English
    # values rounded as the sheet shows them (万元 to one decimal)
    np.testing.assert_allclose(sheet.iloc[:, 1].to_numpy(),
                               table["spend_total_wan"].round(1).to_numpy())
    assert (out / "cap_range.png").stat().st_size > 10_000
    # the terminal shows what one more 万元 buys (the duals stay in the CSV and the workbook)
    printed = capsys.readouterr().out
    assert "Need met per 10,000" in printed and "shadow price" not in printed
    gains = [f"{v:,.1f}" for v in table["gain_per_wan"]]
    assert all(g in printed for g in gains)
    assert "Cap shadow price per 10,000 CNY (dual, earlier goals held; weighted mean)" in \
        sheet.columns


def test_cap_range_workbook_is_in_one_language_and_print_ready(tmp_path: Path) -> None:
    what_if = tmp_path / "ratio.toml"
    text = (Path(govsim.__file__).parent / "scenarios" / "tiny.toml").read_text("utf-8")
    assert "[policy]" in text
    what_if.write_text(text.replace("[policy]", "[policy]\ncaseworker_ratio = 0.003", 1),
                       encoding="utf-8")
    for lang in ("zh", "en"):
        out = tmp_path / lang
        assert main(["compare", str(what_if), "--cap-range", "0.02:0.04:0.01", "--lang", lang,
                     "--out", str(out)]) == 0
        book = openpyxl.load_workbook(out / "cap_range.xlsx")
        assert len(book.sheetnames) == 1
        sheet = book.active
        headers = [c.value for c in sheet[1]]
        words = " ".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row)
        if lang == "zh":
            assert sheet.title == "上限比例边际分析"
            assert "经办人员缺口（人，3‰规则）" in headers
            assert not re.search(r"[A-Za-z]{2,}", words)  # statuses in words too
        else:
            assert sheet.title == "Cap range"
            assert "Caseworkers short of the 3 ‰ rule (people)" in headers
            assert not re.search(r"[\u3400-\u9fff]", words)
        assert sheet.print_title_rows == "$1:$1"
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage


def test_cli_options_file_settings_and_inline_options(tmp_path: Path) -> None:
    options = tmp_path / "opts.toml"
    options.write_text('[compare]\nscenario = "tiny"\nseed = 11\nyears = 1\nreplications = 2\n\n'
                       '[[options]]\nname = "keep"\n\n[[options]]\nname = "pool"\n'
                       'overrides = { "policy.cap_scope" = "prefecture" }\n', encoding="utf-8")
    out = tmp_path / "cmp"
    assert main(["compare", "--options", str(options), "--option", "cap4: "
                 "policy.relief_cap_share=0.04", "--workers", "1", "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 11 and manifest["replications"] == 2
    assert [o["name"] for o in manifest["options"]] == ["keep", "pool", "cap4"]
    assert manifest["scenario"]["name"] == "tiny"
