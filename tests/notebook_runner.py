"""Run a notebook of ``notebooks/`` the papermill way, without papermill.

The notebook's cell tagged ``parameters`` holds the defaults a user gets; :func:`execute`
inserts right after it a cell tagged ``injected-parameters`` with the given values (small ones in
CI), runs every cell in a fresh ``python3`` kernel whose working folder is ``workdir``, saves the
executed copy there as ``executed-<name>`` (to read when a cell failed) and returns it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"


def read(path: Path) -> nbformat.NotebookNode:
    """The notebook at ``path`` (nbformat 4)."""
    return nbformat.read(path, as_version=4)


def tags(cell: nbformat.NotebookNode) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def parameters_index(nb: nbformat.NotebookNode) -> int:
    """Index of the one code cell tagged ``parameters``."""
    found = [i for i, cell in enumerate(nb.cells)
             if cell.cell_type == "code" and PARAMETERS_TAG in tags(cell)]
    if len(found) != 1:
        raise ValueError(f"expected one code cell tagged {PARAMETERS_TAG!r}, found {len(found)}")
    return found[0]


def inject(nb: nbformat.NotebookNode, parameters: dict[str, Any]) -> nbformat.NotebookNode:
    """A copy of ``nb`` with an ``injected-parameters`` cell after the ``parameters`` cell."""
    nb = nbformat.from_dict(nb)  # deep copy
    source = "# Injected parameters\n" + "".join(
        f"{name} = {value!r}\n" for name, value in parameters.items())
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": [INJECTED_TAG]})
    nb.cells.insert(parameters_index(nb) + 1, cell)
    return nb


def execute(path: Path, parameters: dict[str, Any], workdir: Path,
            timeout: int = 600) -> nbformat.NotebookNode:
    """Execute the notebook at ``path`` with ``parameters`` injected, in ``workdir``."""
    nb = inject(read(path), parameters)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(workdir)}})
    try:
        client.execute()
    finally:
        nbformat.write(nb, workdir / f"executed-{path.name}")
    return nb


def code_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def error_outputs(nb: nbformat.NotebookNode) -> list[str]:
    """``ename: evalue`` of every error output of an executed notebook."""
    return [f"{out.get('ename')}: {out.get('evalue')}" for cell in code_cells(nb)
            for out in cell.get("outputs", []) if out.get("output_type") == "error"]
