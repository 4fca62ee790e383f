"""The repository around the package: the README's commands in CI, the built-in scenarios and
rules shipped in the package, and ``docs/model.md`` following the nine STRESS-DES sections."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^(pip install .+)$", readme, re.M)
    assert commands[0].startswith("pip install . && govsim ")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines()
    assert "ruff check" in ci


def test_built_in_scenarios_and_rules_ship_in_the_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    shipped = config["tool"]["setuptools"]["package-data"]["govsim"]
    assert {"data/*.toml", "scenarios/*.toml"} <= set(shipped)
    assert config["project"]["scripts"]["govsim"] == "govsim.cli:main"
    repo = {p.name for p in (ROOT / "scenarios").glob("*.toml")}
    packaged = {p.name for p in (ROOT / "govsim" / "scenarios").glob("*.toml")}
    assert repo == packaged
    for name in sorted(repo):
        assert (ROOT / "scenarios" / name).read_bytes() == \
            (ROOT / "govsim" / "scenarios" / name).read_bytes(), name


def test_model_doc_has_the_stress_des_sections() -> None:
    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    headings = [h.lower() for h in re.findall(r"^## \d+\. (.+)$", text, re.M)]
    for section in ("objectives", "logic", "entities", "resources", "inputs", "outputs",
                    "experimentation", "implementation", "assumptions"):
        assert any(h.startswith(section) for h in headings), section
