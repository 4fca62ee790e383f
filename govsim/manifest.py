"""What a run records about itself: package versions, the command line, times, the scenario.

Every output folder of govsim (a run, a comparison, a sweep) carries a ``manifest.json`` built
from these pieces, so that a result can be traced to the exact scenario content (its hash),
seed, solver and software that produced it, and replayed.
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

__all__ = ["KEY_PACKAGES", "command_line", "manifest_json", "package_versions", "scenario_record",
           "utc_now"]

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
