"""``govsim run --out`` at a folder that exists: refused before the run starts, naming
``--overwrite`` (issue 16)."""

from __future__ import annotations

from pathlib import Path

import pytest

from govsim.cli import main


def test_existing_out_is_refused_before_the_run_starts(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    import govsim.cli.run as run_cli

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the run started")

    monkeypatch.setattr(run_cli, "run", never)
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["run", "tiny", "--out", str(taken)]) == 2
    err = capsys.readouterr().err
    assert "--overwrite" in err and str(taken) in err and "Traceback" not in err
