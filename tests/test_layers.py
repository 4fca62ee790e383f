"""The import-linter contracts of pyproject.toml hold: rooms import downward only, no cycles.

CI runs ``lint-imports`` too; running it here makes a new upward import fail the suite at once.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_import_contracts_are_kept() -> None:
    linter = shutil.which("lint-imports")
    assert linter, "import-linter is a test dependency: pip install -e '.[test]'"
    done = subprocess.run([linter, "--no-cache"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout
