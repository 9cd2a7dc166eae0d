"""Executing a notebook in a fresh Jupyter kernel (used by the checks and the benchmark)."""

import time
from pathlib import Path

import nbclient

from . import cells


def execute(path: Path, cwd: Path, timeout: int = 120, allow_errors: bool = False):
    """Run every cell of the notebook at `path` with working directory `cwd`.

    Returns the executed notebook and the wall-clock seconds it took.
    """
    nb = cells.read(path)
    client = nbclient.NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=allow_errors,
        resources={"metadata": {"path": str(cwd)}},
        extra_arguments=["--IPKernelApp.log_level=ERROR"],  # no warning about local TCP
    )
    start = time.perf_counter()
    client.execute()
    return nb, time.perf_counter() - start


def errors(nb) -> list[tuple[int, str, str]]:
    """(cell index, exception name, message) of every error output."""
    return [
        (i, out.ename, out.evalue)
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.output_type == "error"
    ]
