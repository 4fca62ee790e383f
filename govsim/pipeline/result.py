"""What a run is asked and what it gives: :class:`RunOptions`, :class:`RunResult`, the tables.

:class:`RunOptions` (years, replications, seed, rounds, solver, objective, engine) is checked
before any work starts (:func:`check_options`) and stored in the manifest, with a
:func:`replay_hash` binding it to the scenario's content, so that ``govsim run --replay``
(:func:`replay_options`) repeats a run exactly. :class:`RunResult` holds the run's tidy tables
(:class:`govsim.report.RunTables`), the adopted simulation per replication and the timings;
:func:`run_tables` assembles the tables from the adopted rounds. Units: cases, FTE, CNY, waits
in working days.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from govsim.bounds import LIMITS, limit
from govsim.compliance import check_compliance
from govsim.errors import RunError
from govsim.mechanisms.report import mechanism_table
from govsim.output.folders import OutputFolder, prepare_folder
from govsim.output.report import DrawnFigure, RunTables, default_run_dir, write_run
from govsim.scenario import Scenario
from govsim.sim import summarise
from govsim.sim.engine import DEFAULT_ENGINE, check_engine

if TYPE_CHECKING:
    from govsim.allocation import AllocationResult, Estimates
    from govsim.pipeline.check import Round

__all__ = ["MAX_SEED", "RunError", "RunOptions", "RunResult", "check_options",
           "check_plan_year", "make_options", "replay_hash", "replay_options", "run_tables",
           "stack", "with_replication"]

#: Objective names of earlier versions (manifests keep them): max_coverage became the goals.
_OBJECTIVE_ALIASES = {"max_coverage": "ordered_goals"}


@dataclass(frozen=True)
class RunOptions:
    """How a run is carried out; stored in the manifest so that ``--replay`` repeats it."""

    years: int
    replications: int
    seed: int
    rounds: int = 3
    solver: str = "highs"
    objective: str = "ordered_goals"
    #: Simulation engine (``compiled`` or the ``simpy`` reference); results do not depend on it.
    engine: str = DEFAULT_ENGINE

    def as_dict(self) -> dict[str, Any]:
        return {"years": self.years, "replications": self.replications, "seed": self.seed,
                "rounds": self.rounds, "solver": self.solver, "objective": self.objective,
                "engine": self.engine}


@dataclass(frozen=True)
class RunResult:
    """Everything a run produced.

    Attributes
    ----------
    tables : RunTables
        The tidy tables written to the run folder (see ``docs/outputs.md``) and the manifest.
    replication_kpis : DataFrame
        Adopted simulation per ``replication, year, county, item`` (``govsim.sim.KPI_COLUMNS``).
    baseline_kpis : DataFrame
        The first plan year simulated with today's staff, per replication (same random numbers
        as the adopted first year, so the two can be compared pairwise).
    providers : DataFrame
        Contract performance per replication, year, county, item, provider type.
    rounds : DataFrame
        One row per year and round of the check loop (also in ``tables.rounds``).
    plans : tuple of AllocationResult
        The adopted allocation of each plan year.
    estimates : tuple of (int, Estimates)
        Each plan year and the estimates its adopted plan and its money needed were solved
        on (the adopted round's): what the 80 % band of money needed re-solves.
    timings : dict
        Wall-clock seconds spent simulating, allocating (and, once written, reporting).
    """

    scenario: Scenario
    options: RunOptions
    tables: RunTables
    replication_kpis: pd.DataFrame
    baseline_kpis: pd.DataFrame
    providers: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)
    #: The adopted allocation of every plan year (its ``unmet`` is the planned need served).
    plans: tuple[AllocationResult, ...] = ()
    #: (year, estimates) of every plan year: the adopted round's (money needed's too).
    estimates: tuple[tuple[int, Estimates], ...] = ()
    #: Report figures drawn ahead by stem (``govsim.run``'s band workers draw those the band
    #: leaves as they are); :meth:`write` takes each drawn from the same table and language.
    figures: Mapping[str, DrawnFigure] = field(default_factory=dict)

    @property
    def years(self) -> tuple[int, ...]:
        base = self.scenario.header.base_year
        return tuple(range(base, base + self.options.years))

    @property
    def seed(self) -> int:
        return self.options.seed

    @property
    def replications(self) -> int:
        return self.options.replications

    @property
    def rounds(self) -> pd.DataFrame:
        return self.tables.rounds

    def write(self, out: str | Path | OutputFolder | None = None, *, lang: str | None = None,
              overwrite: bool = False, results_root: str | Path = "results") -> Path:
        """Write the run folder atomically (default ``results/<scenario>/<UTC>-<hash>/``, made
        unique with ``-2``, ``-3`` ... when taken); returns the folder written.

        ``out`` may be an :class:`~govsim.output.OutputFolder` checked before the run started.
        """
        if out is None:
            target: str | Path | OutputFolder = prepare_folder(
                default_run_dir(self.scenario, results_root), "run", default=True)
        else:
            target = out
        started = time.perf_counter()
        path = write_run(self.tables, target, lang, overwrite=overwrite, drawn=self.figures)
        self.timings["report"] = time.perf_counter() - started
        return path


def make_options(scenario: Scenario, years: int | None, replications: int | None, seed: int | None,
             rounds: int | None, solver: str, objective: str | None,
             engine: str = DEFAULT_ENGINE) -> RunOptions:
    header = scenario.header
    options = RunOptions(
        years=header.horizon_years if years is None else years,
        replications=header.replications if replications is None else replications,
        seed=header.seed if seed is None else seed,
        rounds=3 if rounds is None else rounds,
        solver=solver,
        objective=scenario.policy.objective if objective is None
        else _OBJECTIVE_ALIASES.get(objective, objective),
        engine=engine,
    )
    check_options(options)
    return options


#: Most a seed may be: numpy seeds are 64-bit.
MAX_SEED = 2**64 - 1


def check_options(options: RunOptions, where: str = "") -> None:
    """Raise :class:`RunError` naming the first option out of range or of the wrong type.

    ``where`` prefixes the option names in messages (``options.`` for a replayed manifest).
    """
    from govsim.allocation import SOLVERS  # late: the allocation imports are heavy

    ranges = {"years": (1, limit("horizon_years")), "replications": (1, limit("replications")),
              "rounds": (1, limit("rounds")), "seed": (0, MAX_SEED)}
    for name, (low, high) in ranges.items():
        value = getattr(options, name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise RunError(f"{where}{name} must be a whole number, got {value!r}")
        if not low <= value <= high:
            raise RunError(f"{where}{name} must be between {low} and {high:,}, got {value:,}"
                           + (f" ({LIMITS[_LIMIT_OF[name]].reason})" if name in _LIMIT_OF
                              else ""))
    if options.solver not in SOLVERS:
        raise RunError(f"{where}solver must be one of {', '.join(SOLVERS)}, "
                       f"got {options.solver!r}")
    if options.objective not in ("ordered_goals", "min_cost"):
        raise RunError(f"{where}objective must be ordered_goals or min_cost, "
                       f"got {options.objective!r}")
    try:
        check_engine(options.engine)
    except ValueError as exc:
        raise RunError(f"{where}{exc}") from None


_LIMIT_OF = {"years": "horizon_years", "replications": "replications", "rounds": "rounds"}


def check_plan_year(scenario: Scenario, year: Any, name: str = "year") -> int:
    """``year`` (default the base year) if it is a plan year of ``scenario``; else
    :class:`RunError` naming ``name`` (``--year`` on the command line)."""
    header = scenario.header
    if year is None:
        return header.base_year
    first, last = header.base_year, header.base_year + header.horizon_years - 1
    if isinstance(year, bool) or not isinstance(year, int):
        raise RunError(f"{name} must be a calendar year, got {year!r}")
    if not first <= year <= last:
        raise RunError(f"{name} {year} is outside the plan horizon of scenario {scenario.name} "
                       f"({first}-{last}: scenario.base_year and horizon_years)")
    return year


def replay_hash(scenario_hash: str, options: dict[str, Any]) -> str:
    """SHA-256 binding a run's options to its scenario content, recorded in the manifest so
    that ``--replay`` refuses a manifest whose options were edited."""
    blob = json.dumps({"scenario": scenario_hash, "options": options}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


# -- tables ------------------------------------------------------------------------------------

def run_tables(scenario: Scenario, adopted: list[Round], kpis: pd.DataFrame,
            providers: pd.DataFrame, round_rows: list[dict[str, Any]],
            convergence: list[dict[str, Any]]) -> dict[str, pd.DataFrame]:
    allocs = [c.allocation for c in adopted]
    allocation = stack([a.allocation for a in allocs])
    mechanisms = mechanism_table(scenario, allocation, per_replication(adopted, "mechanisms"))
    return {
        "allocation": allocation,
        "staffing": stack([a.staffing for a in allocs]),
        "kpis": summarise(kpis),
        "compliance": check_compliance(scenario, allocation, _contract_spans(providers),
                                       mechanisms),
        "mechanisms": mechanisms,
        "constraints": stack([a.constraints.assign(year=a.year) for a in allocs]),
        "contracts": per_replication(adopted, "contracts"),
        "explanations": stack([a.explanations for a in allocs]),
        "goals": stack([a.goals for a in allocs]),
        # replications that would decide the inconclusive cells: a count, empty when none
        "convergence": pd.DataFrame(convergence).astype({"replications_to_decide": "Int64"}),
        "rounds": pd.DataFrame(round_rows),
    }


def per_replication(adopted: list[Round], table: str) -> pd.DataFrame:
    """One table of every adopted year's simulation, with a ``replication`` column."""
    return stack([with_replication(getattr(result, table), r) for c in adopted
                   for r, (result, _) in enumerate(c.trial)])


def _contract_spans(providers: pd.DataFrame) -> pd.DataFrame:
    """Contracts as held in the simulation: provider, first and last year in a row."""
    columns = ["county", "item", "provider", "start_year", "end_year"]
    if providers.empty:
        return pd.DataFrame(columns=columns)
    spans = (providers.groupby(["replication", "county", "item", "provider", "start_year"],
                               as_index=False)["year"].max()
             .rename(columns={"year": "end_year"}))
    return spans[columns].drop_duplicates().reset_index(drop=True)


def with_replication(frame: pd.DataFrame, replication: int) -> pd.DataFrame:
    return frame.assign(replication=replication)[["replication", *frame.columns]]


def stack(frames: list[pd.DataFrame]) -> pd.DataFrame:
    kept = [f for f in frames if len(f)]
    if not kept:  # nothing bought in any year: keep the columns, so the tables stay readable
        return frames[0].iloc[0:0].copy() if frames else pd.DataFrame()
    return pd.concat(kept, ignore_index=True)


def replay_options(manifest: Any) -> tuple[Scenario, RunOptions]:
    """The scenario and options recorded in a run's manifest (for ``govsim run --replay``).

    Raises
    ------
    RunError
        The manifest is not a govsim run manifest, a field is missing or of the wrong type
        (named as ``options.seed`` etc.), or its scenario or options were edited (their hashes
        no longer match).
    ScenarioError
        The recorded scenario content is not a valid scenario.
    """
    if not isinstance(manifest, dict) or manifest.get("kind", "run") != "run":
        raise RunError("not a govsim run manifest (its kind is not \"run\")")
    record, recorded = manifest.get("scenario"), manifest.get("options")
    if not isinstance(record, dict) or not isinstance(record.get("data"), dict):
        raise RunError("the manifest lacks scenario.data: it is not a govsim run manifest")
    if not isinstance(recorded, dict):
        raise RunError("the manifest lacks options: it is not a govsim run manifest")
    scenario = Scenario.from_dict(record["data"], source=record.get("source")
                                  if isinstance(record.get("source"), str) else None)
    if scenario.content_hash() != record.get("content_hash"):
        raise RunError("the scenario in the manifest does not match its recorded content hash "
                       f"({record.get('content_hash')}); the manifest was edited")
    if manifest.get("replay_hash") != replay_hash(scenario.content_hash(), recorded):
        raise RunError("the options in the manifest do not match its replay_hash; the "
                       "manifest was edited (or written by a govsim without replay hashes)")
    known = set(RunOptions.__dataclass_fields__)
    unknown = sorted(set(recorded) - known)
    if unknown:
        raise RunError(f"options.{unknown[0]} is not a run option (known: "
                       f"{', '.join(sorted(known))})")
    missing = sorted(k for k in ("years", "replications", "seed") if k not in recorded)
    if missing:
        raise RunError(f"options.{missing[0]} is missing from the manifest")
    # the hash covers the options as recorded; older objective names are read as today's
    recorded = {**recorded, "objective": _OBJECTIVE_ALIASES.get(recorded.get("objective"),
                                                                recorded.get("objective"))}
    options = RunOptions(**recorded)
    check_options(options, where="options.")
    return scenario, options
