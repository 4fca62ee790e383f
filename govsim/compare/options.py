"""Budget options: named sets of overrides of one scenario, read from TOML or the command line.

An :class:`Option` is a name, display titles and either a set of dotted-path overrides of the
baseline scenario (as :meth:`govsim.Scenario.with_overrides` takes them) or a whole alternative
scenario file, optionally with overrides on top. The first option of a list is the baseline.

:func:`load_options` reads an options file (see ``docs/compare.md``), :func:`parse_option`
reads the command-line form ``"NAME: path=value; path=value"`` (values are TOML values, else
bare strings), and :func:`resolve_options` turns options into validated scenarios *before
anything runs*, reporting every bad option at once as an :class:`OptionError` that names the
option and the override path.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govsim.bounds import limit
from govsim.errors import InputError, OptionError, Problem, ScenarioError
from govsim.inputs import nesting_depth, parse_toml, read_text
from govsim.scenario import Scenario, load_scenario

__all__ = [
    "RESERVED_NAMES",
    "Option",
    "OptionError",
    "OptionsFile",
    "load_options",
    "parse_option",
    "parse_value",
    "resolve_options",
]

#: Sheet names of the workbook that options may not take (compared case-insensitively).
RESERVED_NAMES = ("Summary", "Compliance", "Assumptions", "汇总", "合规检查", "说明")
#: Characters an option name may not hold: Excel forbids ``[]:*?/\\`` in sheet names, and
#: ``:``, ``;``, ``=`` separate the parts of a command-line option.
_FORBIDDEN = re.compile(r"[\[\]:*?/\\;=]")
_MAX_NAME = 31  # Excel's limit on sheet names
_OPTION_KEYS = {"name", "title_zh", "title_en", "description", "scenario", "overrides"}
_COMPARE_KEYS = {"scenario", "seed", "replications", "years", "title_zh", "title_en"}


@dataclass(frozen=True)
class Option:
    """One budget option.

    Attributes
    ----------
    name : str
        Short label (1-31 characters, none of ``[]:*?/\\;=``); also its workbook sheet name.
    overrides : dict
        Dotted path → value, applied to the option's scenario (the baseline scenario unless
        ``scenario`` is given).
    scenario : str, optional
        An alternative scenario file (or built-in name) replacing the baseline scenario.
    title_zh, title_en, description : str
        Display texts for the workbook and report.
    """

    name: str
    overrides: Mapping[str, Any] = field(default_factory=dict)
    scenario: str | None = None
    title_zh: str = ""
    title_en: str = ""
    description: str = ""

    def title(self, lang: str) -> str:
        """The title in ``lang`` (``"zh"`` or ``"en"``), else the other one, else the name."""
        first, second = (self.title_zh, self.title_en) if lang == "zh" else (self.title_en,
                                                                             self.title_zh)
        return first or second or self.name

    def overrides_text(self) -> str:
        """``path = value; ...`` as typed in TOML, or ``""`` for no overrides."""
        return "; ".join(f"{path} = {_toml_value(value)}" for path, value in self.overrides.items())

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (for manifests)."""
        return {"name": self.name, "title_zh": self.title_zh, "title_en": self.title_en,
                "description": self.description, "scenario": self.scenario,
                "overrides": dict(self.overrides)}


@dataclass(frozen=True)
class OptionsFile:
    """What an options file holds: the options and the ``[compare]`` settings.

    ``scenario`` (a built-in name, or a path made absolute against the file's folder), ``seed``,
    ``replications`` and ``years`` are ``None`` when the file does not set them.
    """

    options: tuple[Option, ...]
    scenario: str | None = None
    seed: int | None = None
    replications: int | None = None
    years: int | None = None
    title_zh: str = ""
    title_en: str = ""
    source: str | None = None


def parse_value(text: str) -> Any:
    """A command-line value as a TOML value (``0.04``, ``true``, ``"x"``, ``[1, 2]``), else the
    bare string (so ``prefecture`` needs no quotes).

    >>> parse_value("4000000"), parse_value("prefecture"), parse_value("0.4")
    (4000000, 'prefecture', 0.4)
    """
    text = text.strip()
    try:
        parsed = tomllib.loads(f"v = {text}")
    except (tomllib.TOMLDecodeError, RecursionError):
        return text
    if nesting_depth(parsed) > limit("nesting_depth"):
        return text  # the scenario check then says what it expected there
    return parsed["v"] if set(parsed) == {"v"} else text


def parse_option(text: str) -> Option:
    """An option from its command-line form ``"NAME: path=value; path=value"``.

    >>> parse_option("lottery+200: funds.lottery=4000000").overrides
    {'funds.lottery': 4000000}

    Raises
    ------
    OptionError
        Without ``NAME:``, or with an override lacking ``=`` or a path.
    """
    name, sep, rest = text.partition(":")
    name = name.strip()
    if not sep or not name:
        raise OptionError(f"--option {text!r}: expected 'NAME: path=value; path=value'")
    overrides: dict[str, Any] = {}
    problems: list[Problem] = []
    for part in (p.strip() for p in rest.split(";")):
        if not part:
            continue
        path, eq, value = part.partition("=")
        if not eq or not path.strip():
            problems.append(Problem(name, f"override {part!r}: expected 'path=value'"))
            continue
        if path.strip() in overrides:
            problems.append(Problem(name, f"{path.strip()} is given twice; give each path once"))
            continue
        overrides[path.strip()] = parse_value(value)
    if problems:
        raise OptionError(problems)
    return Option(name=name, overrides=overrides)


def load_options(path: str | Path) -> OptionsFile:
    """Read an options file (TOML): an optional ``[compare]`` table and ``[[options]]``.

    Overrides may be written with quoted dotted keys (``overrides = { "policy.cap_scope" =
    "prefecture" }``) or as nested tables (``[options.overrides]`` then
    ``policy.cap_scope = "prefecture"``); both become dotted paths. Relative scenario paths are
    taken against the file's folder.

    Raises
    ------
    OptionError
        If the file cannot be read or parsed, or has unknown keys or no options.
    """
    path = Path(path)
    try:
        data = parse_toml(read_text(path, "options file"), str(path), "options file")
    except InputError as exc:
        raise OptionError([Problem("", p.format()) for p in exc.problems]) from exc
    where = str(path)
    problems: list[Problem] = []
    unknown = sorted(set(data) - {"compare", "options"})
    if unknown:
        problems.append(Problem("", f"{where}: unknown top-level key(s) {unknown}; expected "
                                "[compare] and [[options]]"))
    settings = data.get("compare", {})
    if not isinstance(settings, dict):
        settings = {}
        problems.append(Problem("", f"{where}: [compare] must be a table"))
    bad = sorted(set(settings) - _COMPARE_KEYS)
    if bad:
        problems.append(Problem("", f"{where}: unknown key(s) {bad} in [compare]; known: "
                             f"{sorted(_COMPARE_KEYS)}"))
    raw_options = data.get("options", [])
    if not isinstance(raw_options, list) or not raw_options:
        problems.append(Problem("", f"{where}: no [[options]]; the first option is the baseline"))
        raw_options = []
    options = []
    for index, entry in enumerate(raw_options):
        option, entry_problems = _option_from_table(entry, index, path.parent, where)
        problems += entry_problems
        if option is not None:
            options.append(option)
    for key in ("seed", "replications", "years"):
        value = settings.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                  or value < (0 if key == "seed" else 1)):
            problems.append(Problem("", f"{where}: compare.{key} must be a whole number "
                                 f"{'>= 0' if key == 'seed' else '>= 1'}, got {value!r}"))
    if problems:
        raise OptionError(problems)
    return OptionsFile(options=tuple(options),
                       scenario=_scenario_ref(settings.get("scenario"), path.parent),
                       seed=settings.get("seed"), replications=settings.get("replications"),
                       years=settings.get("years"), title_zh=str(settings.get("title_zh", "")),
                       title_en=str(settings.get("title_en", "")), source=where)


def resolve_options(baseline: Scenario, options: Sequence[Option]) -> list[Scenario]:
    """The validated scenario of every option, in order; nothing is run.

    Each option's scenario is its alternative file (if any) or ``baseline``, with its overrides
    applied through :meth:`~govsim.Scenario.with_overrides`.

    Raises
    ------
    OptionError
        Listing every bad option at once: a bad name, a duplicate, an unreadable alternative
        scenario, or an override with an unknown path or an invalid value — each message names
        the option and the override path.
    """
    problems = _name_problems(options)
    scenarios = []
    for option in options:
        try:
            base = load_scenario(option.scenario) if option.scenario else baseline
            scenarios.append(base.with_overrides(dict(option.overrides)) if option.overrides
                             else base)
        except ScenarioError as exc:
            problems += [Problem(option.name, _problem_text(p, option)) for p in exc.problems]
    if not options:
        problems.append(Problem("", "no options to compare"))
    if problems:
        raise OptionError(problems)
    return scenarios


def _problem_text(problem: Problem, option: Option) -> str:
    """``path = value: message [rule]``, with the file only for an alternative scenario."""
    text = problem.path or "(top level)"
    if problem.has_value:
        value = repr(problem.value)
        text += f" = {value if len(value) <= 60 else value[:57] + '...'}"
    text += f": {problem.message}"
    if problem.rule:
        text += f" [rule {problem.rule}]"
    if option.scenario and problem.file:
        where = problem.file + (f":{problem.line}" if problem.line is not None else "")
        text = f"{where}: {text}"
    return text


def _name_problems(options: Sequence[Option]) -> list[Problem]:
    problems, seen = [], set()
    reserved = {n.lower() for n in RESERVED_NAMES}
    for option in options:
        name = option.name
        if not name or len(name) > _MAX_NAME:
            problems.append(Problem(name, f"a name needs 1 to {_MAX_NAME} characters (it names a "
                                   "workbook sheet)"))
        if _FORBIDDEN.search(name) or name != name.strip() or name.startswith("'") \
                or name.endswith("'"):
            problems.append(Problem(name, "a name may not contain any of [ ] : * ? / \\ ; = nor "
                                    "start or end with a space or an apostrophe"))
        if name.lower() in reserved:
            problems.append(Problem(name, f"{name!r} is reserved for a workbook sheet; choose "
                                    "another name"))
        if name.lower() in seen:
            problems.append(Problem(name, "two options have this name (names are compared "
                                   "case-insensitively, as Excel does)"))
        seen.add(name.lower())
    return problems


def _option_from_table(entry: Any, index: int, folder: Path,
                       where: str) -> tuple[Option | None, list[Problem]]:
    if not isinstance(entry, dict):
        return None, [Problem("", f"{where}: options[{index}] must be a table")]
    name = str(entry.get("name", "")).strip()
    label = name or f"options[{index}]"
    problems: list[Problem] = []
    if not name:
        problems.append(Problem(label, f"{where}: options[{index}] has no name"))
    unknown = sorted(set(entry) - _OPTION_KEYS)
    if unknown:
        problems.append(Problem(label, f"{where}: unknown key(s) {unknown}; known: "
                                f"{sorted(_OPTION_KEYS)}"))
    overrides = entry.get("overrides", {})
    if not isinstance(overrides, dict):
        problems.append(Problem(label, f"{where}: overrides must be a table of path = value"))
        overrides = {}
    flat, twice = _flatten(overrides)
    problems += [Problem(label, f"{where}: {p} is given twice in the overrides; give each path "
                         "once") for p in twice]
    if problems:
        return None, problems
    return Option(name=name, overrides=flat,
                  scenario=_scenario_ref(entry.get("scenario"), folder),
                  title_zh=str(entry.get("title_zh", "")),
                  title_en=str(entry.get("title_en", "")),
                  description=str(entry.get("description", ""))), []


def _flatten(table: Mapping[str, Any], prefix: str = "") -> tuple[dict[str, Any], list[str]]:
    """Nested tables to dotted paths (leaves, inline arrays included, are values), and the
    paths given twice (``"policy.x" = 1`` beside ``policy = { x = 2 }``)."""
    flat: dict[str, Any] = {}
    twice: list[str] = []
    for key, value in table.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            inner, again = _flatten(value, path + ".")
            twice += again + [p for p in inner if p in flat]
            flat.update(inner)
        else:
            if path in flat:
                twice.append(path)
            flat[path] = value
    return flat, twice


def _scenario_ref(value: Any, folder: Path) -> str | None:
    """A built-in name stays a name; a path is made absolute against the options file."""
    if value is None:
        return None
    text = str(value)
    candidate = folder / text
    if not Path(text).is_absolute() and (candidate.exists() or text.endswith(".toml")):
        return str(candidate.resolve())
    return text


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return repr(value)
