"""``govsim budget`` and ``govsim run --uncertainty``: folders, language, options checked before
any work (exit code 2, nothing written), --out refused without --overwrite."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from govsim.budget import MONEY_NEEDED_COLUMNS
from govsim.cli import main
from tests.uncertainty.inputs import RATES, WAIT, with_inputs


def test_budget_command_writes_its_folder(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "budget"
    assert main(["budget", "tiny", "--out", str(out)]) == 0
    assert {p.name for p in out.iterdir()} == {"money_needed.csv", "plots", "manifest.json"}
    assert (out / "plots" / "money_needed.png").stat().st_size > 1000
    frame = pd.read_csv(out / "money_needed.csv", encoding="utf-8-sig",
                        keep_default_na=False, na_values=[""])
    assert list(frame.columns) == MONEY_NEEDED_COLUMNS
    assert (frame["need_cny"] % 1 == 0).all()  # whole yuan
    printed = capsys.readouterr().out
    assert "Money needed, caps and gap" in printed and "East County" in printed
    # the folder exists: refused before any work, naming --overwrite
    assert main(["budget", "tiny", "--out", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main(["budget", "tiny", "--out", str(out), "--overwrite", "--lang", "zh"]) == 0
    printed = capsys.readouterr().out
    assert "所需资金、上限与缺口" in printed and "东县" in printed
    assert "Money needed" not in printed


@pytest.mark.parametrize("flags, message", [
    (["--coverage-target", "1.5"], "--coverage-target"),
    (["--years", "0"], "--years"),
    (["--uncertainty", "1"], "--uncertainty"),
    (["--uncertainty", "5"], "declares no uncertain inputs"),
    (["--workers", "0"], "--workers"),
])
def test_budget_command_checks_options_first(tmp_path: Path, flags: list[str], message: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "never"
    assert main(["budget", "tiny", "--out", str(out), *flags]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_budget_command_with_uncertainty(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "tinyu.toml"
    file.write_text(with_inputs(RATES.format(low=0.8, high=1.2), WAIT), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["budget", str(file), "--uncertainty", "5", "--years", "1", "--workers", "1",
                 "--out", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"uncertainty.csv", "uncertainty_drivers.csv", "uncertainty_samples.csv"} <= names
    table = pd.read_csv(out / "money_needed.csv", encoding="utf-8-sig")
    assert table["need_cny_p10"].notna().all()
    assert (table["need_cny_p10"] <= table["need_cny_p90"]).all()
    assert "80 % bands (5 Latin-hypercube samples)" in capsys.readouterr().out


def test_run_with_uncertainty(tmp_path: Path) -> None:
    file = tmp_path / "tinyu.toml"
    file.write_text(with_inputs(RATES.format(low=0.8, high=1.2)), encoding="utf-8")
    out = tmp_path / "run"
    assert main(["run", str(file), "--years", "1", "--replications", "2", "--workers", "1",
                 "--uncertainty", "3", "--out", str(out)]) == 0
    bands = pd.read_csv(out / "uncertainty.csv", encoding="utf-8-sig", keep_default_na=False)
    assert set(bands["metric"]) == {"need_cny", "gap_cny", "staff_short", "coverage"}
    assert (bands["samples"] == 3).all()
    assert (out / "uncertainty_drivers.csv").exists()
    assert main(["run", "--replay", str(out / "manifest.json"), "--uncertainty", "3"]) == 2
