"""`make grade`: autograde everything under submitted/, export grades, write feedback.

Each submission is graded by its own nbgrader run, so one broken notebook cannot stop the
others; every problem is reported with what to do about it, and the exit status is 1 only
when something could not be graded.
"""

import subprocess
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from . import cells, layout, nbgrader_cli, release

GRADES_CSV = "grades.csv"
AUTOGRADE_TIMEOUT_S = 15 * 60  # a whole notebook; nbgrader itself stops each cell after 30 s


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


def autograde(root: Path, sub: Submission) -> Problem | None:
    """Autograde one submission with nbgrader; a Problem if it did not produce a grade."""
    args = ["autograde", sub.assignment, "--student", sub.student, "--force"]
    try:
        done = nbgrader_cli.run(args, root, timeout=AUTOGRADE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return Problem(f"{sub.student}/{sub.assignment}", "grading took too long and was stopped")
    graded = root / "autograded" / sub.student / sub.assignment / f"{sub.assignment}.ipynb"
    if done.returncode != 0 or not graded.is_file():
        return Problem(
            f"{sub.student}/{sub.assignment}",
            f"nbgrader could not grade it: {nbgrader_cli.last_error(done)}",
        )
    return None


def add_students(root: Path, students: set[str]) -> list[Problem]:
    """Put the roster (roster.csv, if present) and every submitting student in the gradebook."""
    problems = []
    roster = root / "roster.csv"
    if roster.is_file():
        done = nbgrader_cli.run(["db", "student", "import", str(roster)], root)
        if done.returncode != 0:
            why = nbgrader_cli.last_error(done)
            problems.append(Problem("roster.csv", f"{why}; it needs a header line with 'id'"))
    with gradebook(root) as gb:
        for student in sorted(students):
            gb.update_or_create_student(student)
    return problems


def gradebook(root: Path) -> Gradebook:
    return Gradebook(f"sqlite:///{root / 'gradebook.db'}", course_id=layout.COURSE_ID)


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


def export_and_feedback(root: Path, assignments: list[str]) -> list[Problem]:
    problems = []
    done = nbgrader_cli.run(["export", "--to", str(root / GRADES_CSV)], root)
    if done.returncode != 0:
        problems.append(Problem(GRADES_CSV, f"export failed: {nbgrader_cli.last_error(done)}"))
    for assignment in assignments:
        done = nbgrader_cli.run(["generate_feedback", assignment, "--force"], root)
        if done.returncode != 0:
            problems.append(Problem(f"feedback/{assignment}", nbgrader_cli.last_error(done)))
    return problems


def grade(root: Path, release_first: bool = True) -> int:
    """Grade the course directory `root`; print scores and problems; return the exit status.

    The assignments are released first (unless the caller just did) so that the gradebook
    knows them and their hidden tests.
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
        release.release(root, known)
    found, problems = find_submissions(root, known)
    problems += add_students(
        root, {p.name for p in submitted.iterdir() if p.is_dir() and p.name[0] != "."}
    )
    for number, sub in enumerate(found, 1):
        print(f"[{number}/{len(found)}] autograding {sub.student} / {sub.assignment}")
        problems += [p for p in [autograde(root, sub)] if p]
    problems += export_and_feedback(root, sorted({sub.assignment for sub in found}))
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
