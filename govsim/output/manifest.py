"""THE manifest builder: what every output folder records about how it was made.

Every output folder of govsim (a run, an allocation, a simulation, a comparison, a cap range, a
sweep) carries a ``manifest.json`` made by :func:`build_manifest`, so that a result can be
traced to the exact scenario content (its hash), seed, solver and software that produced it,
and a run replayed. Every manifest has the same keys for the same things:

``kind``
    ``run``, ``allocate``, ``simulate``, ``compare``, ``cap-range``, ``sweep`` ...
``command``
    The command line (``govsim run tiny --years 2``), or ``null`` from the library.
``scenario``
    ``{name, source, content_hash}`` and, where the folder can be replayed, ``data`` (the
    validated content); a sweep records its base scenario here.
``versions``
    :func:`package_versions`: govsim, the solvers, numpy, pandas ... and Python.
``started_utc``, ``finished_utc``
    ISO 8601 UTC times to the second.

plus what the kind adds (``seed``, ``replications``, ``years``, ``options``, ``solver`` ...).
:meth:`~govsim.output.folders.Staging.write_manifest` adds ``kind`` and the SHA-256 of every
file. Manifests written before this layout (an allocation's ``scenario_hash``) are still read by
:func:`scenario_hash_of`.
"""

from __future__ import annotations

import contextlib
import json
import platform
import shlex
import sys
from collections.abc import Mapping
from datetime import UTC, date, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govsim.scenario import Scenario

__all__ = ["KEY_PACKAGES", "build_manifest", "command_line", "manifest_json", "package_versions",
           "scenario_hash_of", "scenario_record", "utc_now", "utc_text"]

#: Packages whose versions change results or outputs.
KEY_PACKAGES = ("govsim", "simpy", "numba", "pulp", "highspy", "numpy", "pandas", "matplotlib",
                "pydantic", "duckdb", "salib", "dask", "openpyxl")


def package_versions() -> dict[str, str | None]:
    """Installed versions of :data:`KEY_PACKAGES` (``None`` when absent) and of Python."""
    versions: dict[str, str | None] = {}
    for name in KEY_PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    versions["python"] = platform.python_version()
    return versions


def command_line(argv: list[str] | None = None) -> str:
    """The command that started this process, shell-quoted (``govsim run ...``)."""
    args = list(sys.argv if argv is None else argv)
    if args and args[0].endswith(("govsim", "__main__.py")):
        args[0] = "govsim"
    return shlex.join(args)


def scenario_record(scenario: Scenario, *, with_data: bool = True) -> dict[str, Any]:
    """Name, source, content hash and (for replay) the full validated content."""
    record: dict[str, Any] = {"name": scenario.name, "source": scenario.source,
                              "content_hash": scenario.content_hash()}
    if with_data:
        record["data"] = scenario.to_dict()
    return record


def utc_now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def utc_text(when: datetime | str | None) -> str:
    """``when`` (default now) as ISO 8601 UTC to the second; text is kept as it is."""
    if isinstance(when, str):
        return when
    return (when or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")


def build_manifest(kind: str, *, scenario: Scenario | None = None, with_data: bool = False,
                   command: str | None = None, started: datetime | str | None = None,
                   finished: datetime | str | None = None, **fields: Any) -> dict[str, Any]:
    """A manifest with the common keys (see the module docstring) and ``fields``.

    Parameters
    ----------
    kind
        What the folder holds (``run``, ``allocate``, ``compare`` ...).
    scenario
        The scenario (the base scenario of a comparison or sweep); ``None``: no record.
    with_data
        Record the scenario's full content too, for replay.
    command
        The command line; default: this process's (:func:`command_line`).
    started, finished
        When the work started and ended; default: now.
    fields
        What this kind adds, in order (``seed``, ``options``, ``solver`` ...).

    Examples
    --------
    >>> record = build_manifest("allocate", seed=3, command="govsim allocate tiny")
    >>> [key for key in record if key not in ("versions",)]
    ['kind', 'command', 'seed', 'started_utc', 'finished_utc']
    """
    record: dict[str, Any] = {"kind": kind,
                              "command": command_line() if command is None else command}
    if scenario is not None:
        record["scenario"] = scenario_record(scenario, with_data=with_data)
    record.update(fields)
    record["versions"] = package_versions()
    record["started_utc"] = utc_text(started)
    record["finished_utc"] = utc_text(finished)
    return record


def scenario_hash_of(manifest: Mapping[str, Any]) -> str | None:
    """The scenario content hash a manifest records: ``scenario.content_hash``, or the
    ``scenario_hash`` of manifests written before the keys were unified."""
    record = manifest.get("scenario")
    if isinstance(record, Mapping) and isinstance(record.get("content_hash"), str):
        return record["content_hash"]
    old = manifest.get("scenario_hash")
    return old if isinstance(old, str) else None


def manifest_json(record: Mapping[str, Any]) -> str:
    """A manifest as UTF-8 JSON text (indented, Chinese kept readable, numpy values as numbers)."""
    return json.dumps(record, ensure_ascii=False, indent=2, default=_json_default) + "\n"


def _json_default(value: Any) -> Any:
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        with contextlib.suppress(TypeError, ValueError):
            return value.item()
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    with contextlib.suppress(AttributeError, TypeError):
        return value.model_dump(mode="json")
    return str(value)
