"""Writing one file atomically, and opening files in govsim's folders without following links.

:func:`write_atomic` is the one way govsim writes a single file (a sweep's manifest, an analysis
table, a generated scenario): the content goes to a hidden sibling named
``.govsim-tmp-<host>-<pid>-<token>-<name>`` and is renamed over the target only when complete,
so a reader (or a crash) never sees half a file. The temporary name carries the writing host
and process id so that :func:`~govsim.output.folders.clean_stale` can remove what a killed
process left behind — only govsim's own, and only once that process is gone.

Nothing here follows a symbolic link planted where govsim writes: a target that is a link is
refused, and :func:`open_append` opens with ``O_NOFOLLOW``. Errors name the user's path, never
the temporary one.

Every CSV govsim writes is :data:`CSV_ENCODING` (UTF-8 with a byte-order mark, which Excel on
Chinese Windows needs to read Chinese text), written by :func:`write_csv`.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
import socket
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TextIO

import pandas as pd

from govsim.errors import OutputError

__all__ = [
    "CSV_ENCODING",
    "MONEY_COLUMNS",
    "STAGING_PATTERN",
    "for_csv",
    "host_tag",
    "open_append",
    "real_folder",
    "sha256_file",
    "staging_name",
    "write_atomic",
    "write_csv",
]

#: Encoding of every CSV: UTF-8 with a BOM, which Excel needs to recognise UTF-8.
CSV_ENCODING = "utf-8-sig"

#: Hidden names govsim gives its temporary files and folders, and folders set aside while an
#: ``--overwrite`` replaces them: role, host tag, process id, random token, the target's name.
STAGING_PATTERN = re.compile(r"^\.govsim-(tmp|old)-([0-9a-f]{8})-(\d+)-([0-9a-f]{8})-(.+)$")

Writer = Callable[[Path], None]


@cache
def host_tag() -> str:
    """Eight hex digits naming this machine (a process id means nothing on another host)."""
    return hashlib.sha256(socket.gethostname().encode("utf-8")).hexdigest()[:8]


def staging_name(target: str, role: str = "tmp") -> str:
    """A hidden sibling name for ``target`` owned by this process (see :data:`STAGING_PATTERN`)."""
    return f".govsim-{role}-{host_tag()}-{os.getpid()}-{secrets.token_hex(4)}-{target}"


def write_atomic(path: str | Path, content: str | bytes | Writer, *,
                 encoding: str = "utf-8") -> Path:
    """Write ``content`` to ``path`` through a temporary sibling and one rename.

    Parameters
    ----------
    path
        The file to write; its folder must exist. A symbolic link there is refused.
    content
        Text (encoded with ``encoding``), bytes, or a function that writes the file at the
        path it is given (``lambda p: frame.to_csv(p)``).

    Raises
    ------
    OutputError
        Naming ``path``, when it is a link or a folder, or the file cannot be written.
    """
    path = Path(path)
    if path.is_symlink():
        raise OutputError(f"{path} is a symbolic link; govsim does not write through links")
    if path.is_dir():
        raise OutputError(f"{path} is a folder, not a file")
    tmp = path.with_name(staging_name(path.name))
    try:
        if callable(content):
            content(tmp)
        else:
            data = content.encode(encoding) if isinstance(content, str) else content
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o666)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return path


#: Columns holding money in CNY (besides every ``*_cny`` column), written in whole yuan.
MONEY_COLUMNS: frozenset[str] = frozenset({"cost", "cost_lottery", "cost_mean", "cost_ci95"})
#: Columns holding a calendar year, written as integers.
YEAR_COLUMNS: frozenset[str] = frozenset({"year"})


def _is_money(column: str) -> bool:
    """A column of money amounts (not a ratio such as CNY per case or per 10,000 CNY)."""
    if "_per_" in column or column.startswith("shadow_price"):
        return False
    return column in MONEY_COLUMNS or column.endswith("_cny") or "_cny_" in column


def for_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """A table as the CSVs show it: money in whole yuan (every money column, and ``value`` and
    ``limit`` of rows whose ``unit`` is ``CNY``), years as integers; other figures as they are.

    Missing values stay missing (empty cells). Rounding happens here, at write time, once: the
    tables in memory keep their exact figures (a rule's pass or fail is judged on them).
    """
    out = frame.copy()
    for column in out.columns:
        if not isinstance(column, str):
            continue
        if column in YEAR_COLUMNS:
            numbers = pd.to_numeric(out[column], errors="coerce")
            whole = numbers.dropna()
            if numbers.notna().sum() == out[column].notna().sum() and (whole % 1 == 0).all():
                out[column] = numbers.astype("Int64")
        elif _is_money(column) and pd.api.types.is_numeric_dtype(out[column]):
            out[column] = out[column].round(0).astype("Int64")
    if {"unit", "value", "limit"} <= set(out.columns):
        cny = out["unit"].astype(str).eq("CNY")
        for column in ("value", "limit"):
            numbers = pd.to_numeric(out.loc[cny, column], errors="coerce").round(0)
            out[column] = out[column].astype(object)
            out.loc[cny, column] = numbers.map(
                lambda v: v if pd.isna(v) else int(v)).astype(object)
    return out


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a table as CSV (no index, :data:`CSV_ENCODING`) atomically; returns the path.

    Money is written in whole yuan and years as integers (:func:`for_csv`).
    """
    table = for_csv(frame)
    return write_atomic(path, lambda target: table.to_csv(target, index=False,
                                                          encoding=CSV_ENCODING))


def open_append(path: str | Path) -> TextIO:
    """Open a text file for appending (created if absent), refusing a symbolic link."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NOFOLLOW, 0o666)
    except OSError as exc:
        if exc.errno == errno.ELOOP or path.is_symlink():
            raise OutputError(f"{path} is a symbolic link; govsim does not write through "
                              "links") from exc
        raise OutputError(f"cannot open {path}: {exc.strerror or exc}") from exc
    return os.fdopen(fd, "a", encoding="utf-8")


def real_folder(path: str | Path, *, create: bool = True) -> Path:
    """``path`` as a real folder (created if absent), refusing a link or a file there."""
    path = Path(path)
    if path.is_symlink():
        raise OutputError(f"{path} is a symbolic link; govsim does not write through links")
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path} exists and is not a folder")
    if create:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create {path}: {exc.strerror or exc}") from exc
    return path


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
