"""The bundled example class: submissions made from the solutions and examples/mistakes/."""

import re
from pathlib import Path

from . import cells, layout

MISTAKE_HEADER = re.compile(r"^# %% (\S+)\s*$", re.M)

# Student id -> what that student hands in.
PERFECT, BLANK, MISTAKES = "student-perfect", "student-blank", "student-mistakes"
ABSENT = "student-absent"  # on the roster, hands in nothing: must still appear in the grades
ROSTER = [PERFECT, BLANK, MISTAKES, ABSENT]


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


def submissions(assignment: str, root: Path) -> dict[str, object]:
    """Student id -> notebook, for the three example students."""
    key = answer_key(assignment, root)
    return {
        PERFECT: answered(assignment, root, key),
        BLANK: answered(assignment, root, {}),
        MISTAKES: answered(assignment, root, {**key, **mistakes(assignment)}),
    }


def write_submissions(root: Path, assignments: list[str]) -> None:
    """Put the example class under root/submitted/<student>/<assignment>/<assignment>.ipynb."""
    for assignment in assignments:
        for student, nb in submissions(assignment, root).items():
            path = root / layout.SUBMITTED_DIR / student / assignment / f"{assignment}.ipynb"
            cells.write(nb, path)
    (root / "roster.csv").write_text("id\n" + "\n".join(ROSTER) + "\n")
