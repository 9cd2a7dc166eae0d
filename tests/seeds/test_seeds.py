"""Every graded cell of every solution notebook passes under each seed of COURSE_SEEDS.

A student's correct code draws random numbers in another order than ours, so a test cell
must not pass only for the one random stream the default seed gives. The setup cell reads
COURSE_SEED (CONTRIBUTING.md, "The setup cell"); this module runs each solution notebook in a
fresh kernel once per seed and reports every cell that raised, and every graded cell that
wrote to stderr (nbgrader scores such a cell 0), by notebook, seed and cell.
"""

import os
import re
import time

import pytest

from course import cells, execute, layout

SEEDS_VARIABLE = "COURSE_SEEDS"  # the seeds to run, e.g. "1 2 3 4 5" (make test-seeds)


def seeds() -> list[int]:
    text = os.environ.get(SEEDS_VARIABLE, "")
    words = [w for w in re.split(r"[\s,]+", text) if w]
    if not all(re.fullmatch(r"\d+", w) for w in words):
        raise pytest.UsageError(
            f"{SEEDS_VARIABLE}={text!r}: expected whole numbers separated by spaces or commas"
        )
    return [int(w) for w in words]


def cell_name(index: int, cell) -> str:
    gid = cells.grade_id(cell)
    role = " (graded)" if cells.is_test(cell) else ""
    return f"cell {gid or index}{role}"


def failures(nb) -> list[str]:
    """What went wrong, one line per cell: errors anywhere, stderr in graded cells."""
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.outputs:
            if out.output_type == "error":
                message = (out.evalue.strip().splitlines() or [""])[0][:300]
                found.append(f"{cell_name(index, cell)}: {out.ename}: {message}")
            elif out.output_type == "stream" and out.name == "stderr" and cells.is_test(cell):
                text = out.text.strip().splitlines()[0][:300] if out.text.strip() else ""
                found.append(f"{cell_name(index, cell)} wrote to stderr: {text}")
    return found


@pytest.mark.parametrize("seed", seeds())
def test_every_cell_passes_under_seed(assignment, seed, monkeypatch, record_property):
    path = layout.source_notebook(assignment)
    setup = cells.cells_by_id(cells.read(path))["setup"].source  # below the colab-guard cell
    assert "COURSE_SEED" in setup, (
        f"{assignment}: the setup cell does not read COURSE_SEED, so every seed would run the "
        "same stream; see CONTRIBUTING.md, 'The setup cell'"
    )
    monkeypatch.setenv("COURSE_SEED", str(seed))  # the kernel inherits this environment
    start = time.perf_counter()
    try:
        nb, _ = execute.execute(path, cwd=path.parent, allow_errors=True)
    finally:  # the summary line of this seed shows the run, even one that timed out
        record_property("seed_run", (seed, assignment, time.perf_counter() - start))
    found = failures(nb)
    assert not found, f"{assignment} with COURSE_SEED={seed}:\n  " + "\n  ".join(found)
