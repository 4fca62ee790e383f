"""Output folders and files (issue 12, items 1-4, 12 and 14): no data loss, checked up front.

Every writing subcommand prepares its ``--out`` through :mod:`govsim.output.folders`; these
tests plant the user's files where govsim writes and assert they survive, that the refusal comes
before any work (the work functions are replaced by ones that fail the test), and that the
hidden staging folders of a killed process are cleaned — only those.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import govsim
from govsim.cli import main
from govsim.errors import OutputError, OutputExistsError
from govsim.output import clean_stale, prepare_folder, write_atomic
from govsim.output.files import host_tag
from tests.hardening import ROOT, start_govsim, wait_until


def govsim_folder(path: Path, kind: str, files: dict[str, str] | None = None) -> Path:
    """A folder written by the output service, as a real govsim command leaves it."""
    target = prepare_folder(path, kind)
    with target.staging() as stage:
        for name, text in (files or {"table.csv": "a,b\n1,2\n"}).items():
            (stage.path / name).parent.mkdir(parents=True, exist_ok=True)
            (stage.path / name).write_text(text, encoding="utf-8")
        stage.write_manifest({"note": "test"})
    return target.path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def no_work(*args: object, **kwargs: object) -> None:
    raise AssertionError("the output folder must be checked before any work starts")


def user_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "thesis"
    (folder / "sub").mkdir(parents=True)
    (folder / "thesis.docx").write_bytes(b"my thesis")
    (folder / "sub" / "notes.txt").write_text("notes", encoding="utf-8")
    return folder


# -- item 1: allocate --out never deletes what is there --------------------------------------------

@pytest.mark.parametrize("overwrite", [False, True])
def test_allocate_keeps_a_folder_of_user_files(tmp_path: Path, overwrite: bool,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    folder = user_folder(tmp_path)
    before = snapshot(folder)
    monkeypatch.setattr("govsim.cli.allocate.allocate", no_work)
    argv = ["allocate", "tiny", "--out", str(folder)] + (["--overwrite"] if overwrite else [])
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"--out {folder}" in err and "Traceback" not in err
    assert snapshot(folder) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thesis"]  # nothing hidden left


def test_allocate_into_a_run_folder_is_refused_even_with_overwrite(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    run = govsim_folder(tmp_path / "run", "run", {"report.html": "<html>", "kpis.csv": "x\n",
                                                   "plots/a.png": "png"})
    before = snapshot(run)
    monkeypatch.setattr("govsim.cli.allocate.allocate", no_work)
    assert main(["allocate", "tiny", "--out", str(run), "--overwrite"]) == 2
    assert "run folder, not an allocation folder" in capsys.readouterr().err
    assert snapshot(run) == before


def test_allocate_onto_a_file_keeps_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "budget.xlsx"
    file.write_bytes(b"spreadsheet")
    monkeypatch.setattr("govsim.cli.allocate.allocate", no_work)
    assert main(["allocate", "tiny", "--out", str(file), "--overwrite"]) == 2
    assert "is not a folder" in capsys.readouterr().err
    assert file.read_bytes() == b"spreadsheet"
    assert [p.name for p in tmp_path.iterdir()] == ["budget.xlsx"]  # no hidden .FILE-old


def test_allocate_overwrite_replaces_its_own_folder_only(tmp_path: Path) -> None:
    out = tmp_path / "alloc"
    assert main(["allocate", "tiny", "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["kind"] == "allocate" and "allocation.csv" in manifest["files"]
    mode = stat.S_IMODE(out.stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o777 & ~umask  # normal permissions, not mkdtemp's 0700 (item 14)
    (out / "allocation.csv").write_text("edited in Excel\n", encoding="utf-8")
    assert main(["allocate", "tiny", "--out", str(out), "--overwrite"]) == 2  # changed file
    assert (out / "allocation.csv").read_text(encoding="utf-8") == "edited in Excel\n"


# -- item 2: run --overwrite never deletes unrelated files -----------------------------------------

def test_run_overwrite_refuses_a_run_folder_with_user_notes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    run = govsim_folder(tmp_path / "run", "run")
    (run / "my-budget-notes.txt").write_text("keep", encoding="utf-8")
    before = snapshot(run)
    monkeypatch.setattr("govsim.cli.run.run", no_work)
    assert main(["run", "tiny", "--out", str(run), "--overwrite"]) == 2
    err = capsys.readouterr().err
    assert "my-budget-notes.txt" in err and "did not write" in err
    assert snapshot(run) == before


def test_overwrite_replaces_an_unchanged_folder_of_the_same_kind(tmp_path: Path) -> None:
    old = govsim_folder(tmp_path / "run", "run", {"old.csv": "old\n"})
    target = prepare_folder(old, "run", overwrite=True)
    with target.staging() as stage:
        (stage.path / "new.csv").write_text("new\n", encoding="utf-8")
        stage.write_manifest({})
    assert sorted(snapshot(old)) == ["manifest.json", "new.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


# -- item 3: simulate and sweep run do not write into another command's folder ---------------------

def test_simulate_and_sweep_refuse_a_run_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    run = govsim_folder(tmp_path / "run", "run", {"kpis.csv": "run kpis\n",
                                                   "contracts.csv": "run contracts\n"})
    before = snapshot(run)
    monkeypatch.setattr("govsim.cli.simulate.simulate", no_work)
    assert main(["simulate", "tiny", "--out", str(run)]) == 2
    assert main(["simulate", "tiny", "--out", str(run), "--overwrite"]) == 2
    sweep = ROOT / "scenarios" / "sweeps" / "tiny.toml"
    assert main(["sweep", "run", str(sweep), "--out", str(run), "--workers", "1",
                 "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "not a sweep" in err and "Traceback" not in err
    assert snapshot(run) == before


# -- item 4: default names are unique, even for runs finishing in the same second ------------------

def test_default_names_never_collide(tmp_path: Path) -> None:
    name = tmp_path / "tiny" / "20250101T000000Z-abcdef12"
    first = prepare_folder(name, "run", default=True)
    second = prepare_folder(name, "run", default=True)  # both planned before either finished
    assert first.path == second.path == name
    for target in (first, second):
        with target.staging() as stage:
            (stage.path / "x.csv").write_text("x\n", encoding="utf-8")
            stage.write_manifest({})
    assert first.path == name and second.path == name.with_name(name.name + "-2")
    assert prepare_folder(name, "run", default=True).path == name.with_name(name.name + "-3")


@pytest.mark.slow
def test_concurrent_commands_with_default_folders_both_succeed(tmp_path: Path) -> None:
    args = ("compare", "tiny", "--cap-range", "0.02:0.03:0.01", "--results", str(tmp_path))
    procs = [start_govsim(*args) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    folders = sorted((tmp_path / "tiny").iterdir())
    assert len(folders) == 2 and all((f / "cap_range.csv").is_file() for f in folders)


def test_existing_folder_message_names_the_flag_not_the_python_argument(tmp_path: Path) -> None:
    folder = user_folder(tmp_path)
    with pytest.raises(OutputExistsError) as info:
        prepare_folder(folder, "run")
    assert "--overwrite" in str(info.value) and "overwrite=True" not in str(info.value)


# -- item 14: staging folders of killed processes are cleaned, messages name the user's path -------

def dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(proc.stdout)


def test_stale_staging_of_a_dead_process_is_cleaned_and_nothing_else(tmp_path: Path) -> None:
    gone = dead_pid()
    stale = tmp_path / f".govsim-tmp-{host_tag()}-{gone}-0123abcd-run"
    stale.mkdir()
    (stale / "kpis.csv").write_text("half\n", encoding="utf-8")
    stale_file = tmp_path / f".govsim-tmp-{host_tag()}-{gone}-0123abce-sweep.toml"
    stale_file.write_text("half", encoding="utf-8")
    live = tmp_path / f".govsim-tmp-{host_tag()}-{os.getpid()}-0123abcf-other"
    live.mkdir()
    other_host = tmp_path / f".govsim-tmp-ffffffff-{gone}-0123abd0-run"
    other_host.mkdir()
    mine = tmp_path / ".run.x.tmp"  # not a name govsim gives
    mine.mkdir()
    set_aside = tmp_path / f".govsim-old-{host_tag()}-{gone}-0123abd1-previous"
    set_aside.mkdir()
    (set_aside / "manifest.json").write_text("{}", encoding="utf-8")
    prepare_folder(tmp_path / "new", "run")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert stale.name not in left and stale_file.name not in left
    assert {live.name, other_host.name, mine.name, "previous"} <= set(left)
    assert (tmp_path / "previous" / "manifest.json").is_file()  # restored, not deleted


def test_sigkill_while_writing_leaves_staging_that_the_next_command_cleans(
        tmp_path: Path) -> None:
    results = tmp_path / "results"
    proc = start_govsim("run", "tiny", "--years", "1", "--replications", "1", "--workers", "1",
                        "--rounds", "1", "--results", str(results))

    def staging() -> list[Path]:
        folder = results / "tiny"
        return [p for p in folder.iterdir() if p.name.startswith(".govsim-tmp-")] \
            if folder.is_dir() else []

    assert wait_until(lambda: staging() or proc.poll() is not None, 120, 0.01)
    assert proc.poll() is None, "the run ended before it started writing"
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    left = staging()
    assert left and not [p for p in (results / "tiny").iterdir() if not p.name.startswith(".")]
    clean_stale(results / "tiny")
    assert list((results / "tiny").iterdir()) == []


def test_write_errors_name_the_users_path(tmp_path: Path) -> None:
    out = tmp_path / "run"
    target = prepare_folder(out, "run")
    with pytest.raises(OutputError) as info, target.staging() as stage:
        raise OSError(28, "No space left on device", str(stage.path / "kpis.csv"))
    assert str(out) in str(info.value) and ".govsim-tmp" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_atomic_file_writer_refuses_links_and_leaves_no_temp(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("outside", encoding="utf-8")
    link = tmp_path / "manifest.json"
    link.symlink_to(elsewhere)
    with pytest.raises(OutputError, match="symbolic link"):
        write_atomic(link, "x")
    assert elsewhere.read_text(encoding="utf-8") == "outside"
    write_atomic(tmp_path / "a.txt", "one")
    write_atomic(tmp_path / "a.txt", b"two")
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "elsewhere.txt",
                                                          "manifest.json"]


# -- item 12: generate -o never replaces a file it did not write -----------------------------------

def test_generate_refuses_existing_files_and_replaces_only_its_own(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mine = tmp_path / "mine.toml"
    mine.write_text("# my scenario\n", encoding="utf-8")
    for extra in ([], ["--overwrite"]):
        assert main(["generate", "--counties", "2", "-o", str(mine), *extra]) == 2
    assert mine.read_text(encoding="utf-8") == "# my scenario\n"
    generated = tmp_path / "gen.toml"
    assert main(["generate", "--counties", "2", "-o", str(generated)]) == 0
    assert main(["generate", "--counties", "2", "-o", str(generated)]) == 2
    assert main(["generate", "--counties", "3", "--seed", "2", "-o", str(generated),
                 "--overwrite"]) == 0
    assert len(govsim.load_scenario(generated).counties) == 3
    generated.write_text(generated.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    assert main(["generate", "--counties", "2", "-o", str(generated), "--overwrite"]) == 2
    assert "edited" in capsys.readouterr().err
    assert generated.read_text(encoding="utf-8").endswith("# edited\n")
