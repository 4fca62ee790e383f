"""The notebooks of ``notebooks/``: committed without outputs, public API only, and each one
executed end to end with small parameters (the harness is ``tests/notebook_runner.py``)."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import duckdb
import nbformat
import openpyxl
import openpyxl.worksheet.worksheet
import pandas as pd
import pytest

import govsim
from govsim.compare import METRICS
from govsim.compliance import COMPLIANCE_COLUMNS
from tests.notebook_runner import (
    INJECTED_TAG,
    NOTEBOOKS,
    code_cells,
    error_outputs,
    execute,
    inject,
    parameters_index,
    read,
    tags,
)
from tests.workbook_headers import (
    ALLOCATION_HEADERS,
    COMPLIANCE_HEADERS,
    NOTES_HEADER,
    SHEETS,
    SUMMARY_LABEL_HEADERS,
    diff_headers,
)

PLANNER = NOTEBOOKS / "01_planner_quickstart.ipynb"
FINANCE = NOTEBOOKS / "02_finance_budget_options.ipynb"
RESEARCH = NOTEBOOKS / "03_research_sweep.ipynb"
ALL = [PLANNER, FINANCE, RESEARCH]
CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH = re.compile(r"\b[A-Za-z]{3,}\b")


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


# -- the committed files ------------------------------------------------------------------------

def test_every_notebook_is_listed_in_the_readme() -> None:
    on_disk = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    assert on_disk == sorted(p.name for p in ALL)
    readme = (NOTEBOOKS / "README.md").read_text(encoding="utf-8")
    for path in ALL:
        assert path.name in readme
    assert "pip install '.[notebooks]'" in readme
    assert "jupyter lab notebooks/" in readme


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")),
                         ids=lambda p: p.stem)
def test_committed_notebook_has_no_outputs(path: Path) -> None:
    """Outputs are stripped before commit: every code cell has no outputs, no count."""
    data = json.loads(path.read_text(encoding="utf-8"))
    dirty = [i for i, cell in enumerate(data["cells"]) if cell["cell_type"] == "code"
             and (cell.get("outputs") != [] or cell.get("execution_count") is not None)]
    assert dirty == [], f"{path.name}: cells {dirty} have outputs or execution counts; " \
                        "clear them (jupyter nbconvert --clear-output --inplace)"


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_notebook_is_valid_with_one_parameters_cell(path: Path) -> None:
    nb = read(path)
    nbformat.validate(nb)
    index = parameters_index(nb)
    assert not any(INJECTED_TAG in tags(cell) for cell in nb.cells)
    # the parameters cell holds plain assignments only, so that a value can be injected
    tree = ast.parse(nb.cells[index].source)
    assert tree.body and all(isinstance(node, ast.Assign) for node in tree.body)
    injected = inject(nb, {"answer": 42})
    assert injected.cells[index + 1].source.endswith("answer = 42\n")
    assert INJECTED_TAG in tags(injected.cells[index + 1])
    assert len(injected.cells) == len(nb.cells) + 1


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_markdown_is_bilingual(path: Path) -> None:
    """Every markdown cell says it in Chinese and in English."""
    for i, cell in enumerate(read(path).cells):
        if cell.cell_type == "markdown":
            assert CJK.search(cell.source), f"{path.name} cell {i}: no Chinese"
            assert ENGLISH.search(cell.source), f"{path.name} cell {i}: no English"


def _govsim_names(source: str) -> list[str]:
    """Every dotted govsim name a code cell imports or uses (``govsim.x.y``)."""
    python = "\n".join(line for line in source.splitlines()
                       if not line.lstrip().startswith(("%", "!")))
    names = []
    for node in ast.walk(ast.parse(python)):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names if a.name.split(".")[0] == "govsim"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "govsim":
            names += [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Attribute):
            parts, inner = [node.attr], node.value
            while isinstance(inner, ast.Attribute):
                parts.append(inner.attr)
                inner = inner.value
            if isinstance(inner, ast.Name) and inner.id == "govsim":
                names.append(".".join(["govsim", *reversed(parts)]))
    return names


def test_private_name_finder_sees_private_names() -> None:
    source = ("%matplotlib inline\nimport govsim.sim._x\nfrom govsim.report import _png\n"
              "govsim.pipeline._options(1)\n")
    private = {n for n in _govsim_names(source) if _is_private(n)}
    assert private == {"govsim.sim._x", "govsim.report._png", "govsim.pipeline._options"}
    assert not _is_private("govsim.__version__")


def _is_private(name: str) -> bool:
    """``govsim.x._y`` is private; ``govsim.__version__`` (a dunder) is not."""
    return any(part.startswith("_") and not (part.startswith("__") and part.endswith("__"))
               for part in name.split(".")[1:])


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_notebook_uses_public_api_only(path: Path) -> None:
    names = [name for cell in code_cells(read(path)) for name in _govsim_names(cell.source)]
    assert any(name.startswith("govsim") for name in names)
    private = [n for n in names if _is_private(n)]
    assert private == []


# -- executed with small parameters ---------------------------------------------------------------

def _images(nb: nbformat.NotebookNode) -> int:
    return sum("image/png" in out.get("data", {}) for cell in code_cells(nb)
               for out in cell.get("outputs", []))


def test_planner_notebook_runs_and_leaves_a_run_folder(tmp_path: Path) -> None:
    results = tmp_path / "results"
    nb = execute(PLANNER, {"scenario_name": "tiny", "county_id": "east", "dibao_factor": 1.5,
                           "relief_cap_share": 0.05, "years": 1, "replications": 1,
                           "workers": 1, "results_root": str(results)}, tmp_path)
    assert error_outputs(nb) == []
    assert _images(nb) >= 6  # the six plots, inline

    folders = [p for p in (results / "tiny").iterdir() if p.is_dir()]
    assert len(folders) == 1
    folder = folders[0]
    for name in ("allocation.csv", "staffing.csv", "kpis.csv", "report.html", "manifest.json",
                 "plots/caseworkers.png"):
        assert (folder / name).is_file(), name

    compliance = pd.read_csv(folder / "compliance.csv", encoding="utf-8-sig")
    assert list(compliance.columns) == COMPLIANCE_COLUMNS
    assert COMPLIANCE_COLUMNS == ["year", "rule", "scope", "value", "limit", "unit", "status",
                                  "source", "detail"]
    assert set(compliance.rule) == set(govsim.RULES)
    assert set(compliance.status) <= {"pass", "fail", "not-applicable"}
    assert compliance.source.notna().all()
    assert set(compliance.year.dropna()) == {2025}

    # the run is the what-if: the notebook's overrides reached the recorded scenario
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    recorded = manifest["scenario"]["data"]
    tiny = govsim.load_scenario("tiny")
    assert recorded["policy"]["relief_cap_share"] == 0.05
    east = next(c for c in recorded["counties"] if c["id"] == "east")
    assert east["dibao"] == round(tiny.county("east").dibao * 1.5)
    assert manifest["options"]["years"] == 1
    assert manifest["options"]["replications"] == 1


def _row(sheet: openpyxl.worksheet.worksheet.Worksheet, row: int, first: int,
         count: int) -> list[object]:
    return [sheet.cell(row=row, column=first + k).value for k in range(count)]


def test_finance_notebook_runs_and_exports_the_workbook(tmp_path: Path) -> None:
    results = tmp_path / "results"
    nb = execute(FINANCE, {"scenario_name": "tiny", "years": 1, "replications": 2,
                           "workers": 1, "cap_shares": [0.02, 0.03, 0.05],
                           "results_root": str(results)}, tmp_path)
    assert error_outputs(nb) == []
    assert _images(nb) >= 2  # the comparison chart and coverage against spend

    folders = list((results / "tiny").glob("compare-*"))
    assert len(folders) == 1
    folder = folders[0]
    table = pd.read_csv(folder / "comparison.csv", encoding="utf-8-sig").set_index("option")
    options = list(table.index)
    assert 3 <= len(options) <= 5
    assert table.is_baseline.tolist() == [True] + [False] * (len(options) - 1)

    book = openpyxl.load_workbook(folder / "comparison.xlsx")
    lang = "zh"  # the notebook's lang parameter (its charts and workbook language)
    summary_name, compliance_name, assumptions_name = SHEETS[lang]
    assert book.sheetnames == [summary_name, *options, compliance_name, assumptions_name]

    # the headers documented in docs/compare.md ("The workbook comparison.xlsx")
    labels = list(SUMMARY_LABEL_HEADERS[lang])
    summary = book[summary_name]
    others = options[1:]
    differences = [h for name in others for h in diff_headers(name, lang)]
    assert _row(summary, 1, 1, len(labels) + len(options) + len(differences) + 1) == \
        labels + options + differences + [NOTES_HEADER[lang]]
    assert summary.freeze_panes == "C2"
    names = [m.name(lang) for m in METRICS]
    assert [summary.cell(row=r, column=1).value for r in range(2, 2 + len(names))] == names
    assert summary.cell(row=2 + len(names), column=1).value is None
    row = 2 + [m.id for m in METRICS].index("weighted_coverage")
    for k, name in enumerate(options):  # shown to 0.1 %
        assert summary.cell(row=row, column=len(labels) + 1 + k).value == \
            pytest.approx(table.at[name, "weighted_coverage"], abs=0.0005 + 1e-12)

    for name in options:
        sheet = book[name]
        assert _row(sheet, 1, 1, len(ALLOCATION_HEADERS[lang])) == \
            list(ALLOCATION_HEADERS[lang])
        assert sheet.max_row > 1  # the option's allocation
    assert _row(book[compliance_name], 1, 1, len(COMPLIANCE_HEADERS[lang])) == \
        list(COMPLIANCE_HEADERS[lang])
    assumptions = [cell for row in book[assumptions_name].iter_rows(values_only=True)
                   for cell in row if cell is not None]
    assert govsim.load_scenario("tiny").content_hash() in {str(v) for v in assumptions}

    cap_folders = list((results / "tiny").glob("cap-range-*"))
    assert len(cap_folders) == 1
    cap = pd.read_csv(cap_folders[0] / "cap_range.csv", encoding="utf-8-sig")
    assert cap.relief_cap_share.tolist() == pytest.approx([0.02, 0.03, 0.05])
    assert (cap_folders[0] / "cap_range.xlsx").is_file()


def _stream_text(nb: nbformat.NotebookNode) -> str:
    return "".join(out.get("text", "") for cell in code_cells(nb)
                   for out in cell.get("outputs", []) if out.get("output_type") == "stream")


def _plain_text(nb: nbformat.NotebookNode) -> str:
    return "".join(out.get("data", {}).get("text/plain", "") for cell in code_cells(nb)
                   for out in cell.get("outputs", []))


def test_research_notebook_runs_a_sweep_and_its_sobol_analysis(tmp_path: Path) -> None:
    results = tmp_path / "results"
    nb = execute(RESEARCH, {"scenario_name": "tiny", "base_points": 8, "workers": 1,
                            "dask_scheduler": "local", "results_root": str(results)}, tmp_path)
    assert error_outputs(nb) == []
    assert _images(nb) >= 2  # the Sobol indices and the scatter plots

    folder = results / "sweeps" / "nb-tiny-allocate-sobol8"
    parameters = ["demand", "public_staff", "post_price", "cap_share"]
    with duckdb.connect(str(folder / "sweep.duckdb"), read_only=True) as con:
        points = con.sql("SELECT * FROM points ORDER BY point").df()
        runs = con.sql("SELECT * FROM runs ORDER BY point, replication").df()
    assert list(points.columns) == ["point", *parameters]
    assert len(points) == 8 * (len(parameters) + 2)  # Saltelli: N × (D + 2)
    assert points.cap_share.between(0.02, 0.05).all()
    assert len(runs) == len(points)
    assert (runs.status == "ok").all()
    metrics = ["spend_cny", "weighted_coverage", "staffing_shortfall", "cap_shadow_price"]
    assert set(metrics) <= set(runs.columns)
    assert runs[metrics].notna().all().all()

    # the Dask cell ran the same sweep on a local Dask cluster, with identical results
    assert (folder.parent / f"{folder.name}-dask" / "sweep.duckdb").is_file()
    assert "identical to the local sweep 与本机结果相同: True" in _stream_text(nb)
    # the answer: the top parameter of each metric with its Sobol indices
    text = _plain_text(nb)
    assert "S1_conf" in text
    assert "ST_conf" in text


# -- the README's commands, exactly as written -----------------------------------------------------

_RUN_MARK = "<!-- run by tests/test_notebooks.py"


def _readme_commands() -> list[str]:
    """The command lines of the ``bash`` blocks that notebooks/README.md marks as run here."""
    text = (NOTEBOOKS / "README.md").read_text(encoding="utf-8")
    commands = []
    for part in text.split(_RUN_MARK)[1:]:
        block = part.split("```bash\n", 1)[1].split("```", 1)[0]
        commands += [line for line in block.splitlines() if line.strip()]
    return commands


def test_readme_marks_the_commands_it_documents() -> None:
    commands = _readme_commands()
    assert any(c.startswith("papermill ") and "-p scenario_name tiny" in c for c in commands)
    assert any(c.startswith("jupyter nbconvert --clear-output") for c in commands)


def test_readme_commands_run_as_written(tmp_path: Path) -> None:
    """Each marked command runs in a copy of the repository's notebooks folder, from the
    copy's root (as the README says: from the repository's root), with the venv's tools."""
    import os
    import shutil
    import subprocess
    import sys

    root = tmp_path / "repo"
    shutil.copytree(NOTEBOOKS, root / "notebooks")
    before = {p.name: p.read_bytes() for p in (root / "notebooks").glob("*.ipynb")}
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    for command in _readme_commands():
        done = subprocess.run(["bash", "-c", command], cwd=root, env=env, text=True,
                              capture_output=True, timeout=600)
        assert done.returncode == 0, f"{command}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    out = root / "out.ipynb"
    assert out.is_file()
    nb = nbformat.read(out, as_version=4)
    assert error_outputs(nb) == []
    assert list((tmp_path / "results" / "tiny").iterdir())  # results_root = "../results"
    after = {p.name: p.read_bytes() for p in (root / "notebooks").glob("*.ipynb")}
    assert after.keys() == before.keys()
    for name in before:  # committed notebooks hold no outputs: clearing changes no cell
        assert nbformat.reads(after[name].decode(), as_version=4).cells == \
            nbformat.reads(before[name].decode(), as_version=4).cells
