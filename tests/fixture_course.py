"""A tiny course for grading tests: one assignment, three exercises, 10 points, a few
seconds to autograde. Submissions are built from its release like students make them."""

import copy
from pathlib import Path

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course import cells, layout, release

ASSIGNMENT = "00-fixture"
POINTS = {"ex1-double-tests": 2, "ex2-norm-tests": 3, "ex3-mean-tests": 5}
TIMEOUT_S = 8  # CPU seconds per cell, in the fixture course's grading.toml
WALL_FACTOR = 5  # its wall-clock backstop: 5 x TIMEOUT_S
MEMORY_GIB = 3  # per kernel, in the same file

SETUP = """\
import math
import os
import warnings

import numpy as np
import torch

SEED = int(os.environ.get("COURSE_SEED", "0"))
torch.manual_seed(SEED)


def assert_close(got, want, what):
    assert torch.allclose(got, want), f"{what}: expected {want}, got {got}\""""

# A student's correct answers, written differently from the instructor's solutions.
ANSWERS = {
    "ex1-double": "def double(x):\n    return 2 * x",
    "ex2-norm": "def norm(v):\n    return math.sqrt(sum(float(t) ** 2 for t in v))",
    "ex3-mean": "def mean(x):\n    return x.sum() / len(x)",
}
SOLUTIONS = {
    "ex1-double": "def double(x):\n    return x + x",
    "ex2-norm": "def norm(v):\n    return float(torch.linalg.vector_norm(v))",
    "ex3-mean": "def mean(x):\n    return x.mean()",
}
TESTS = {
    "ex1-double-tests": """\
assert torch.allclose(double(torch.tensor([1.0, 2.0])), torch.tensor([2.0, 4.0]))
### BEGIN HIDDEN TESTS
assert_close(double(torch.arange(3.0)), torch.tensor([0.0, 2.0, 4.0]), "double")
### END HIDDEN TESTS""",
    "ex2-norm-tests": """\
assert math.isclose(norm(torch.tensor([3.0, 4.0])), 5.0)
### BEGIN HIDDEN TESTS
assert np.allclose(norm(torch.tensor([1.0, 2.0, 2.0])), 3.0)
### END HIDDEN TESTS""",
    "ex3-mean-tests": """\
torch.testing.assert_close(mean(torch.tensor([1.0, 2.0, 6.0])), torch.tensor(3.0))
### BEGIN HIDDEN TESTS
assert_close(mean(torch.ones(5) * 7), torch.tensor(7.0), "mean")
### END HIDDEN TESTS""",
}


def cell(kind: str, grade_id: str, source: str, **flags):
    make = new_markdown_cell if kind == "markdown" else new_code_cell
    nbgrader = {"schema_version": 3, "grade_id": grade_id, "locked": True}
    nbgrader |= {"solution": False, "grade": False} | flags
    return make(source, id=grade_id, metadata={"nbgrader": nbgrader})


def source_notebook():
    nb_cells = [
        cell("markdown", "title", "# 00 · Grading fixture\n\nPoints: 10 in total."),
        cell("code", "setup", SETUP),
    ]
    for number, (answer_id, solution) in enumerate(SOLUTIONS.items(), 1):
        signature, body = solution.split("\n")
        solution = f"{signature}\n    ### BEGIN SOLUTION\n{body}\n    ### END SOLUTION"
        test_id = f"{answer_id}-tests"
        heading = f"## Exercise {number}: {answer_id} ({POINTS[test_id]} points)"
        nb_cells += [
            cell("markdown", f"ex{number}-intro", heading),
            cell("code", answer_id, solution, solution=True, locked=False),
            cell("code", test_id, TESTS[test_id], grade=True, points=POINTS[test_id]),
        ]
    return new_notebook(cells=nb_cells, metadata={"kernelspec": KERNELSPEC})


KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def make_course(root: Path, more_settings: str = "") -> Path:
    """A released fixture course in `root` with its own, short cell timeout (and the
    grading.toml tables in `more_settings`, e.g. a gradebook URL)."""
    cells.write(source_notebook(), layout.source_notebook(ASSIGNMENT, root))
    settings = f"[cell-cpu-seconds]\ndefault = {TIMEOUT_S}\n[cell-wall-seconds]\n"
    settings += f"factor = {WALL_FACTOR}\n[kernel]\nmemory-gib = {MEMORY_GIB}\n"
    settings += more_settings
    (root / layout.GRADING_TOML).write_text(settings)
    release.release(root, [ASSIGNMENT])
    return root


def blank(root: Path):
    return cells.read(layout.release_notebook(ASSIGNMENT, root))


def submission(root: Path, **answers: str):
    """The release with answer cells replaced: answers default to the correct ones."""
    nb = blank(root)
    for c in nb.cells:
        if cells.is_solution(c):
            c.source = answers.get(cells.grade_id(c).replace("-", "_"), ANSWERS[cells.grade_id(c)])
    return nb


def submit(root: Path, student: str, nb, name: str | None = None) -> Path:
    path = root / layout.SUBMITTED_DIR / student / ASSIGNMENT / (name or f"{ASSIGNMENT}.ipynb")
    cells.write(copy.deepcopy(nb), path)
    return path
