"""The bundled example class: submissions made from the solutions and examples/mistakes/."""

import re
from pathlib import Path

from . import cells, layout

MISTAKE_HEADER = re.compile(r"^# %% (\S+)\s*$", re.M)

# The example class. Each typical mistake is made by one of two students (odd- or
# even-numbered exercises), so the neighbouring exercises are right and a test cell that
# wrongly depends on an earlier answer shows up as lost points there.
PERFECT, BLANK = "student-perfect", "student-blank"
MISTAKES_ODD, MISTAKES_EVEN = "student-mistakes-odd", "student-mistakes-even"
ABSENT = "student-absent"  # on the roster, hands in nothing: must still appear in the grades
ROSTER = [PERFECT, BLANK, MISTAKES_ODD, MISTAKES_EVEN, ABSENT]


def mistakes(assignment: str) -> dict[str, str]:
    """Solution grade_id -> a plausible wrong answer, from examples/mistakes/<assignment>.py."""
    path = layout.EXAMPLES_DIR / "mistakes" / f"{assignment}.py"
    if not path.is_file():
        return {}
    parts = MISTAKE_HEADER.split(path.read_text())
    # parts = [preamble, id1, body1, id2, body2, ...]
    return {gid: body.strip() + "\n" for gid, body in zip(parts[1::2], parts[2::2], strict=True)}


def answer_key(assignment: str, root: Path) -> dict[str, str]:
    """Solution grade_id -> the instructor's answer as a student would type it."""
    source = cells.read(layout.source_notebook(assignment, root))
    return {
        cells.grade_id(c): cells.strip_lines(
            c.source, cells.BEGIN_SOLUTION, cells.END_SOLUTION, keep_inside=True
        )
        for c in source.cells
        if cells.is_solution(c)
    }


def answered(assignment: str, root: Path, answers: dict[str, str]):
    """The student version with the given solution cells filled in."""
    nb = cells.read(layout.release_notebook(assignment, root))
    for cell in nb.cells:
        if cells.grade_id(cell) in answers:
            cell.source = answers[cells.grade_id(cell)]
    return nb


def mistakes_made(assignment: str, root: Path, parity: int) -> dict[str, str]:
    """The typical mistakes of the exercises whose number is odd (parity 1) or even (0)."""
    wrong = mistakes(assignment)
    nb = cells.read(layout.source_notebook(assignment, root))
    return {
        ex.solution_id: wrong[ex.solution_id]
        for ex in cells.exercises(nb)
        if ex.number % 2 == parity and ex.solution_id in wrong
    }


def submissions(assignment: str, root: Path) -> dict[str, object]:
    """Student id -> notebook, for the students of the example class who hand in."""
    key = answer_key(assignment, root)
    return {
        PERFECT: answered(assignment, root, key),
        BLANK: answered(assignment, root, {}),
        MISTAKES_ODD: answered(assignment, root, key | mistakes_made(assignment, root, 1)),
        MISTAKES_EVEN: answered(assignment, root, key | mistakes_made(assignment, root, 0)),
    }


def write_submissions(root: Path, assignments: list[str]) -> None:
    """Put the example class under root/submitted/<student>/<assignment>/<assignment>.ipynb."""
    for assignment in assignments:
        for student, nb in submissions(assignment, root).items():
            path = root / layout.SUBMITTED_DIR / student / assignment / f"{assignment}.ipynb"
            cells.write(nb, path)
    (root / "roster.csv").write_text("id\n" + "\n".join(ROSTER) + "\n")
