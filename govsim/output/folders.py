"""Output folders: the one way every writing subcommand prepares and fills its ``--out``.

``run``, ``allocate``, ``simulate``, ``compare`` (and ``--cap-range``), ``sweep run`` and
``sweep export`` all go through here, with the same rules:

1. :func:`prepare_folder` checks the target **before any work starts** (it reads a manifest
   and hashes a few files: well under a second) and raises :class:`~govsim.errors.OutputError`
   naming the user's path and the flag.
2. Govsim **never deletes or overwrites what it did not write.** An existing non-empty folder
   is used only with ``--overwrite``, and only when it holds a govsim ``manifest.json`` of the
   same kind whose file list covers every file there, unchanged since govsim wrote it.
   (A sweep folder is never replaced: running the same sweep into it resumes it.)
3. :meth:`OutputFolder.staging` yields a hidden temporary folder beside the target (normal
   permissions); :meth:`Staging.write_manifest` records the kind and the SHA-256 of every file;
   the folder is renamed into place only when complete. An error or Ctrl-C removes it; the
   target is untouched. When ``--overwrite`` replaces a folder, the old one is set aside, the
   new one renamed in, and only then the old one deleted.
4. Default folder names (``results/<scenario>/<UTC time>-<hash>``) are unique: a name already
   taken — even by a run finishing in the same second, in another process — gets ``-2``,
   ``-3``, ... at the moment of the rename.
5. :func:`clean_stale` removes the hidden temporary folders and files a killed govsim left
   beside a target — only names govsim gives (:data:`~govsim.output.files.STAGING_PATTERN`),
   only from this machine, only once their process is gone — and puts back a folder that a
   killed ``--overwrite`` had set aside.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govsim.errors import GovsimError, OutputError, OutputExistsError
from govsim.output.files import STAGING_PATTERN, host_tag, sha256_file, staging_name
from govsim.output.manifest import manifest_json

__all__ = [
    "KINDS",
    "MANIFEST",
    "OutputFolder",
    "Staging",
    "clean_stale",
    "folder_kind",
    "prepare_folder",
]

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
#: Kinds of govsim output folders, with how messages call them.
KINDS: dict[str, str] = {
    "run": "run folder",
    "allocate": "allocation folder",
    "simulate": "simulation folder",
    "compare": "comparison folder",
    "cap-range": "cap-range folder",
    "budget": "money-needed folder",
    "sweep": "sweep folder",
    "sweep-export": "sweep export folder",
}
#: A manifest larger than this is not govsim's (the largest real ones are a few hundred kB).
MAX_MANIFEST_BYTES = 64 << 20
#: The file a sweep folder is recognised by, and every name a sweep writes into its folder.
SWEEP_STORE = "sweep.duckdb"
SWEEP_FILES = frozenset({SWEEP_STORE, f"{SWEEP_STORE}.wal", "runs.log", MANIFEST, "sweep.toml",
                         "analysis", "export"})


def prepare_folder(path: str | Path, kind: str, *, overwrite: bool = False,
                   default: bool = False, flag: str = "--out") -> OutputFolder:
    """Check an output folder before any work starts.

    Parameters
    ----------
    path
        The folder the user asked for (or the default name, with ``default=True``).
    kind
        A key of :data:`KINDS`: what the folder will hold.
    overwrite
        Allow replacing an existing govsim folder of the same ``kind`` (never anything else).
    default
        The name was chosen by govsim: when it is taken, the next free ``name-2``, ``name-3``
        ... is used instead of failing.
    flag
        The command-line flag that names the folder, for messages.

    Raises
    ------
    OutputError
        When the folder cannot be used; the message says why and what to do.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown output kind {kind!r}; known: {', '.join(KINDS)}")
    path = Path(path)
    if path.parent.is_dir():
        clean_stale(path.parent)
    if default:
        path = _free_name(path)
    _check_parent(path, flag)
    target = OutputFolder(path, kind, flag=flag, overwrite=overwrite, default=default)
    if path.is_symlink():
        raise OutputError(f"{flag} {path} is a symbolic link; give the folder it points to")
    if not path.exists():
        return target
    if not path.is_dir():
        raise OutputExistsError(f"{flag} {path} exists and is not a folder; govsim will not "
                                "replace a file with a folder")
    if not _has_entries(path):
        return target
    if kind == "sweep":
        _check_sweep(path, flag)
    elif not overwrite:
        raise OutputExistsError(
            f"{flag} {path} exists and is not empty; choose another {flag} folder, or pass "
            f"--overwrite to replace {_a(KINDS[kind])} that govsim wrote there")
    else:
        check_replaceable(path, kind, flag)
    return target


@dataclass
class OutputFolder:
    """A checked output folder (from :func:`prepare_folder`); ``path`` is where it ends up."""

    path: Path
    kind: str
    flag: str = "--out"
    overwrite: bool = False
    default: bool = False

    @contextlib.contextmanager
    def staging(self) -> Iterator[Staging]:
        """A hidden temporary folder to write into; renamed to :attr:`path` on success.

        Call :meth:`Staging.write_manifest` last. Any exception removes the temporary folder
        and leaves :attr:`path` as it was; an operating-system error becomes an
        :class:`~govsim.errors.OutputError` naming :attr:`path`.
        """
        parent = self.path.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            tmp = parent / staging_name(self.path.name)
            tmp.mkdir()  # umask permissions (mkdtemp would make it private)
        except OSError as exc:
            raise OutputError(f"cannot write {self.flag} {self.path}: "
                              f"{exc.strerror or exc}") from exc
        stage = Staging(tmp, self.kind)
        try:
            yield stage
            if not stage.manifest:
                raise RuntimeError("write the manifest (Staging.write_manifest) before the "
                                   "folder is moved into place")
            self._commit(tmp)
        except GovsimError:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise OutputError(f"cannot write {self.flag} {self.path}: "
                              f"{exc.strerror or exc}") from exc
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def _commit(self, tmp: Path) -> None:
        path = self.path
        if self.overwrite and path.is_dir() and not path.is_symlink() and _has_entries(path):
            check_replaceable(path, self.kind, self.flag)  # again: it may have changed
            old = path.with_name(staging_name(path.name, "old"))
            os.rename(path, old)
            try:
                os.rename(tmp, path)
            except BaseException:
                os.rename(old, path)
                raise
            shutil.rmtree(old, ignore_errors=True)
            return
        while True:
            try:
                # rename() replaces only an absent or empty folder: atomic "create if free".
                os.rename(tmp, path)
                return
            except OSError as exc:
                if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR,
                                     errno.EISDIR):
                    raise
            if self.default:
                self.path = path = _free_name(path)
                continue
            kept = _free_name(path.with_name(path.name + "-new"))
            os.rename(tmp, kept)
            raise OutputExistsError(f"{self.flag} {path} was filled by another program while "
                                    f"govsim was working; the results were kept in {kept}")


@dataclass
class Staging:
    """The temporary folder being written (:attr:`path`) and the manifest once written."""

    path: Path
    kind: str
    manifest: dict[str, Any] = field(default_factory=dict)

    def write_manifest(self, manifest: Mapping[str, Any]) -> dict[str, Any]:
        """Write ``manifest.json`` with ``kind`` and ``files`` (SHA-256 by relative path) added.

        Returns the record written. Call it after every other file is in place.
        """
        files = {p.relative_to(self.path).as_posix(): sha256_file(p)
                 for p in sorted(self.path.rglob("*")) if p.is_file() and p.name != MANIFEST}
        record = {**manifest, "kind": self.kind, "files": files}
        (self.path / MANIFEST).write_text(manifest_json(record), encoding="utf-8")
        self.manifest = record
        return record


def folder_kind(path: str | Path) -> str | None:
    """The ``kind`` recorded in a folder's govsim manifest, or ``None``."""
    manifest = _read_manifest(Path(path))
    kind = manifest.get("kind") if manifest else None
    return kind if isinstance(kind, str) else None


def check_replaceable(path: Path, kind: str, flag: str = "--out") -> None:
    """Raise unless ``path`` is a govsim folder of ``kind`` holding only its own, unchanged
    files (what ``--overwrite`` may replace)."""
    manifest = _read_manifest(path)
    advice = f"choose another {flag} folder, or move its contents away"
    if manifest is None:
        raise OutputExistsError(f"{flag} {path} is not empty and holds no govsim manifest; "
                                f"--overwrite replaces only a folder govsim wrote: {advice}")
    found = manifest.get("kind")
    if found != kind:
        what = KINDS.get(found, "an unknown kind of folder") if isinstance(found, str) else \
            "a folder of an unknown kind"
        raise OutputExistsError(f"{flag} {path} holds a govsim {what}, not {_a(KINDS[kind])}; "
                                f"--overwrite replaces only a folder of the same kind: {advice}")
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise OutputExistsError(f"{flag} {path}: its manifest lists no files (written by an "
                                f"older govsim?), so govsim cannot tell its files from "
                                f"others: {advice}")
    foreign, changed = _foreign_files(path, files)
    if foreign:
        raise OutputExistsError(f"{flag} {path} holds files govsim did not write "
                                f"({_listing(foreign)}); --overwrite never deletes those: "
                                f"{advice}")
    if changed:
        raise OutputExistsError(f"{flag} {path} holds files changed since govsim wrote them "
                                f"({_listing(changed)}); --overwrite never deletes those: "
                                f"{advice}")


def clean_stale(folder: str | Path) -> list[Path]:
    """Remove what killed govsim processes left in ``folder``; returns the paths handled.

    Only hidden names govsim gives (``.govsim-tmp-...``, ``.govsim-old-...``) written on this
    machine by a process that no longer runs. A folder set aside by a killed ``--overwrite``
    is renamed back when nothing took its place, so no previous result is lost.
    """
    folder = Path(folder)
    handled: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return handled
    for entry in entries:
        match = STAGING_PATTERN.match(entry.name)
        if not match:
            continue
        role, host, pid, _token, target = match.groups()
        if host != host_tag() or process_alive(int(pid)):
            continue
        stale = Path(entry.path)
        original = folder / target
        try:
            if role == "old" and entry.is_dir(follow_symlinks=False) and \
                    not os.path.lexists(original):
                os.rename(stale, original)
                log.warning("restored %s, set aside by an interrupted --overwrite", original)
            elif entry.is_dir(follow_symlinks=False):
                shutil.rmtree(stale)
                log.info("removed %s, left by a killed govsim process", stale)
            else:
                stale.unlink()
                log.info("removed %s, left by a killed govsim process", stale)
        except OSError as exc:
            log.info("could not clean %s: %s", stale, exc)
            continue
        handled.append(stale)
    return handled


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine (a zombie counts as gone)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    with contextlib.suppress(OSError, IndexError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return True


# -- helpers ---------------------------------------------------------------------------------

def _check_parent(path: Path, flag: str) -> None:
    """The nearest existing ancestor must be a folder we may write into."""
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputError(f"{flag} {path}: {ancestor} is not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise OutputError(f"{flag} {path}: cannot write into {ancestor} (permission denied)")


def _check_sweep(path: Path, flag: str) -> None:
    store = path / SWEEP_STORE
    kind = folder_kind(path)
    if store.is_symlink():
        raise OutputExistsError(f"{flag} {path}: {SWEEP_STORE} is a symbolic link; govsim "
                                "does not write through links")
    with os.scandir(path) as entries:
        names = {e.name for e in entries if not STAGING_PATTERN.match(e.name)}
    # a sweep stopped before its store was created holds only sweep files
    only_sweep_files = names <= SWEEP_FILES
    if not (store.is_file() or only_sweep_files) or kind not in (None, "sweep"):
        what = f"a govsim {KINDS[kind]}" if kind in KINDS and kind != "sweep" else \
            "files govsim did not write"
        raise OutputExistsError(f"{flag} {path} is not empty and holds {what}, not a sweep; "
                                f"choose another {flag} folder (running a sweep into its own "
                                "folder again resumes it)")


def _has_entries(path: Path) -> bool:
    with os.scandir(path) as entries:
        return any(True for _ in entries)


def _free_name(path: Path) -> Path:
    if not os.path.lexists(path):
        return path
    stem = path.name
    for n in range(2, 10_000):
        candidate = path.with_name(f"{stem}-{n}")
        if not os.path.lexists(candidate):
            return candidate
    raise OutputError(f"no free folder name like {path} (tried 10,000)")


def _read_manifest(path: Path) -> dict[str, Any] | None:
    manifest = path / MANIFEST
    try:
        if manifest.is_symlink() or not manifest.is_file():
            return None
        if manifest.stat().st_size > MAX_MANIFEST_BYTES:
            return None
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _foreign_files(path: Path, files: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    listed = {str(k) for k in files}
    parents = {p.rsplit("/", 1)[0] for p in listed if "/" in p}
    foreign: list[str] = []
    changed: list[str] = []
    for root, dirs, names in os.walk(path):
        here = Path(root)
        for name in dirs:
            rel = (here / name).relative_to(path).as_posix()
            if (here / name).is_symlink() or not any(p == rel or p.startswith(rel + "/")
                                                     for p in parents):
                foreign.append(rel + "/")
        dirs[:] = [d for d in dirs if (here / d).relative_to(path).as_posix() + "/"
                   not in foreign]
        for name in names:
            file = here / name
            rel = file.relative_to(path).as_posix()
            if rel == MANIFEST:
                continue
            if rel not in listed or file.is_symlink():
                foreign.append(rel)
            elif sha256_file(file) != files[rel]:
                changed.append(rel)
    return sorted(foreign), sorted(changed)


def _a(noun: str) -> str:
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


def _listing(names: list[str], limit: int = 5) -> str:
    text = ", ".join(names[:limit])
    return text + (f" and {len(names) - limit} more" if len(names) > limit else "")
