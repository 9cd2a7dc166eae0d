"""The bundled example class: submissions made from the solutions and examples/.

examples/mistakes/<assignment>.py and examples/alternatives/<assignment>.py hold blocks,
each a complete answer for one solution cell:

    # %% <solution grade_id> <slug>
    # Diagnosis: <words the failing test's message must contain>   (mistakes only)
    <the answer>

The first mistake block of each grade_id is the exercise's typical mistake, made by the
demo's odd/even students. Every block is graded by tests/test_diagnostics.py: a mistake
loses exactly its exercise's points and its test names it; an alternative gets full marks.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from . import cells, layout

HEADER = re.compile(r"^# %% (\S+)(?:[ \t]+(\S+))?[ \t]*$", re.M)
DIAGNOSIS = re.compile(r"^# Diagnosis:(.*)$", re.M)
MISTAKES, ALTERNATIVES = "mistakes", "alternatives"

# The example class. Each typical mistake is made by one of two students (odd- or
# even-numbered exercises), so the neighbouring exercises are right and a test cell that
# wrongly depends on an earlier answer shows up as lost points there.
PERFECT, BLANK = "student-perfect", "student-blank"
MISTAKES_ODD, MISTAKES_EVEN = "student-mistakes-odd", "student-mistakes-even"
ABSENT = "student-absent"  # on the roster, hands in nothing: must still appear in the grades
ROSTER = [PERFECT, BLANK, MISTAKES_ODD, MISTAKES_EVEN, ABSENT]


@dataclass(frozen=True)
class Block:
    """One answer of examples/<kind>/<assignment>.py for the solution cell grade_id."""

    grade_id: str
    slug: str | None  # None in a block written before slugs were required
    diagnosis: str | None  # what the failing test must say; None for alternatives
    answer: str  # the cell as the student types it (the Diagnosis line removed)
    line: int  # of the header, for messages


def blocks_path(assignment: str, kind: str = MISTAKES) -> Path:
    return layout.EXAMPLES_DIR / kind / f"{assignment}.py"


def blocks(assignment: str, kind: str = MISTAKES) -> list[Block]:
    """The blocks of examples/<kind>/<assignment>.py in file order (none if no file)."""
    path = blocks_path(assignment, kind)
    if not path.is_file():
        return []
    text = path.read_text()
    headers = list(HEADER.finditer(text))
    found = []
    for header, following in zip(headers, headers[1:] + [None], strict=True):
        body = text[header.end() : following.start() if following else len(text)]
        diagnosis = DIAGNOSIS.search(body)
        if diagnosis:
            body = body[: diagnosis.start()] + body[diagnosis.end() :]
        found.append(
            Block(
                grade_id=header[1],
                slug=header[2],
                diagnosis=" ".join(diagnosis[1].split()) if diagnosis else None,
                answer=body.strip("\n") + "\n",
                line=text.count("\n", 0, header.start()) + 1,
            )
        )
    return found


def rounds(assignment: str, kind: str = MISTAKES) -> list[dict[str, Block]]:
    """Round k: grade_id -> the k-th block of that solution cell (where it has one)."""
    found: list[dict[str, Block]] = []
    count: dict[str, int] = {}
    for block in blocks(assignment, kind):
        k = count[block.grade_id] = count.get(block.grade_id, 0) + 1
        if k > len(found):
            found.append({})
        found[k - 1][block.grade_id] = block
    return found


def mistakes(assignment: str) -> dict[str, str]:
    """Solution grade_id -> its typical wrong answer (the first block of that grade_id)."""
    first = rounds(assignment, MISTAKES)
    return {gid: block.answer for gid, block in first[0].items()} if first else {}


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


def submit(root: Path, student: str, assignment: str, nb) -> None:
    cells.write(nb, root / layout.SUBMITTED_DIR / student / assignment / f"{assignment}.ipynb")


def write_submissions(root: Path, assignments: list[str]) -> None:
    """Put the example class under root/submitted/<student>/<assignment>/<assignment>.ipynb."""
    for assignment in assignments:
        for student, nb in submissions(assignment, root).items():
            submit(root, student, assignment, nb)
    (root / "roster.csv").write_text("id\n" + "\n".join(ROSTER) + "\n")


def round_student(kind: str, k: int) -> str:
    """The student of the diagnostics class who makes round k (1, 2, ...) of `kind`."""
    return f"diagnose-{kind}-{k}"


def write_round_submissions(root: Path, assignments: list[str]) -> dict[tuple, dict]:
    """The diagnostics class: per assignment, one student per round of mistakes and of
    alternatives, every other answer the instructor's. Returns (student, assignment) ->
    {grade_id: Block} of the blocks that student's submission holds."""
    made = {}
    for assignment in assignments:
        key = answer_key(assignment, root)
        for kind in (MISTAKES, ALTERNATIVES):
            for k, chosen in enumerate(rounds(assignment, kind), 1):
                answers = key | {gid: block.answer for gid, block in chosen.items()}
                student = round_student(kind, k)
                submit(root, student, assignment, answered(assignment, root, answers))
                made[student, assignment] = chosen
    return made
