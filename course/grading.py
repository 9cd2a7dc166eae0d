"""`make grade`: autograde everything under submitted/, export grades, write feedback.

Each submission is autograded on its own, so one broken notebook cannot stop the others;
every problem is reported with what to do about it, and the exit status is 1 only when
something could not be graded.
"""

import csv
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from . import cells, layout, parallel, release
from .nbgrader_api import NbGrader, failure

GRADES_CSV = "grades.csv"
ROSTER_CSV = "roster.csv"  # optional: an `id` column, optionally first_name, last_name, email


@dataclass(frozen=True)
class Submission:
    student: str
    assignment: str


@dataclass(frozen=True)
class Problem:
    where: str
    what: str


def find_submissions(root: Path, known: list[str]) -> tuple[list[Submission], list[Problem]]:
    """Walk submitted/<student>/<assignment>/<assignment>.ipynb; report what does not fit."""
    found, problems = [], []
    for student_dir in sorted((root / layout.SUBMITTED_DIR).iterdir()):
        where = f"{layout.SUBMITTED_DIR}/{student_dir.name}"
        if student_dir.name.startswith("."):
            continue
        if not student_dir.is_dir():
            problems.append(Problem(where, "a file where a student folder belongs: ignored"))
            continue
        for assignment_dir in sorted(p for p in student_dir.iterdir() if p.is_dir()):
            problem = check_submission(assignment_dir, known)
            if problem:
                problems.append(Problem(f"{where}/{assignment_dir.name}", problem))
            else:
                found.append(Submission(student_dir.name, assignment_dir.name))
    return found, problems


def check_submission(folder: Path, known: list[str]) -> str | None:
    """Why this submission folder cannot be graded, or None if it can."""
    if folder.name not in known:
        return f"unknown assignment '{folder.name}': rename the folder to one of {', '.join(known)}"
    notebook = folder / f"{folder.name}.ipynb"
    if not notebook.is_file():
        present = ", ".join(sorted(p.name for p in folder.iterdir())) or "nothing"
        return f"no {notebook.name} in this folder (found: {present}): rename the notebook"
    try:
        cells.read(notebook)
    except cells.NotebookError as err:
        return f"{err}; ask the student to download the notebook again (File > Download .ipynb)"
    return None


def add_students(root: Path, students: set[str]) -> list[Problem]:
    """Put the roster (roster.csv, if present) and every submitting student in the gradebook."""
    roster, problems = [], []
    if (root / ROSTER_CSV).is_file():
        with open(root / ROSTER_CSV, newline="") as f:
            roster = list(csv.DictReader(f))
        if roster and "id" not in roster[0]:
            problems.append(Problem(ROSTER_CSV, "needs a header line with an 'id' column"))
            roster = []
    with gradebook(root) as gb:
        for row in (row for row in roster if (row["id"] or "").strip()):
            details = {k: row[k] for k in ("first_name", "last_name", "email") if row.get(k)}
            gb.update_or_create_student(row["id"].strip(), **details)
        for student in sorted(students):
            gb.update_or_create_student(student)
    return problems


def gradebook(root: Path) -> Gradebook:
    return NbGrader(root).gradebook()


def scores(root: Path) -> dict[tuple[str, str], tuple[float, float] | None]:
    """(student, assignment) -> (score, max score), or None where nothing was graded."""
    table = {}
    with gradebook(root) as gb:
        for assignment in gb.assignments:
            for student in gb.students:
                try:
                    sub = gb.find_submission(assignment.name, student.id)
                    table[student.id, assignment.name] = (sub.score, sub.max_score)
                except MissingEntry:
                    table[student.id, assignment.name] = None
    return table


def print_scores(root: Path) -> None:
    table = scores(root)
    students = sorted({s for s, _ in table})
    assignments = sorted({a for _, a in table})
    width = max([len(s) for s in students] + [7])
    print("\n" + "student".ljust(width) + "".join(f"  {a:>18}" for a in assignments))
    for student in students:
        row = []
        for assignment in assignments:
            score = table[student, assignment]
            row.append("not submitted" if score is None else f"{score[0]:g} / {score[1]:g}")
        print(student.ljust(width) + "".join(f"  {cell:>18}" for cell in row))


def export_and_feedback(nbgrader: NbGrader, root: Path, assignments: list[str]) -> list[Problem]:
    problems = []
    try:
        nbgrader.export_csv(root / GRADES_CSV)
    except Exception as err:  # the export is one step; report it and still write feedback
        problems.append(Problem(GRADES_CSV, f"export failed: {err}"))
    for assignment in assignments:
        result = nbgrader.generate_feedback(assignment)
        if not result["success"]:
            problems.append(Problem(f"feedback/{assignment}", failure(result)))
    return problems


def grade(root: Path, release_first: bool = True, workers: int = 1) -> int:
    """Grade the course directory `root`; print scores and problems; return the exit status.

    The assignments are released first (unless the caller just did) so that the gradebook
    knows them and their hidden tests. `workers` > 1 autogrades that many submissions at once.
    """
    if not (root / layout.SOURCE_DIR).is_dir():
        print(f"Not a course directory: {root} has no {layout.SOURCE_DIR}/ folder.")
        return 1
    submitted = root / layout.SUBMITTED_DIR
    if not submitted.is_dir():
        print(
            f"Nothing to grade: {submitted} does not exist.\n"
            "Put each submission at submitted/<student>/<assignment>/<assignment>.ipynb "
            "(nbgrader's layout) and run `make grade` again."
        )
        return 1
    known = layout.assignments(root)
    if release_first:
        print(f"Releasing {len(known)} assignment(s) into the gradebook ...")
        nbgrader = release.release(root, known)
    else:
        nbgrader = NbGrader(root)
    found, problems = find_submissions(root, known)
    problems += add_students(
        root, {p.name for p in submitted.iterdir() if p.is_dir() and p.name[0] != "."}
    )
    jobs = [parallel.Job(sub.student, sub.assignment) for sub in found]
    print(f"Autograding {len(jobs)} submission(s) with {workers} worker(s) ...")
    graded = list(parallel.autograde_all(root, jobs, workers))
    for done in graded:
        if done.error:
            where = f"{done.job.student}/{done.job.assignment}"
            problems.append(Problem(where, f"nbgrader could not grade it: {done.error}"))
    problems += export_and_feedback(nbgrader, root, sorted({sub.assignment for sub in found}))
    print_scores(root)
    print(f"\nGrades:     {root / GRADES_CSV}")
    print(f"Feedback:   {root / 'feedback'}/<student>/<assignment>/<assignment>.html")
    print(f"Autograded: {root / 'autograded'}   Gradebook: {root / 'gradebook.db'}")
    if problems:
        print(f"\n{len(problems)} problem(s); everything else was graded:")
        for problem in problems:
            print(f"  {problem.where}: {problem.what}")
        return 1
    return 0
