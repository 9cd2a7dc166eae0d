"""`make grade`: take in submitted/, autograde, export grades, write feedback.

Intake (course.intake) reads the originals in submitted/ and writes what nbgrader grades
to intake/, repairing what it can and reporting the rest in intake-report.txt. Each
submission is autograded on its own (`workers` at a time), so one broken notebook cannot
stop the others. Every student on the roster gets a row per assignment in grades.csv,
with a note saying why where the score is not simply the autograder's. The exit status
is 1 only when something could not be graded.
"""

import csv
import itertools
from pathlib import Path

from nbgrader.api import MissingEntry

from . import intake, layout, parallel, release, report
from .nbgrader_api import NbGrader

GRADES_CSV = "grades.csv"
ROSTER_CSV = "roster.csv"  # optional: an `id` column, optionally first_name, last_name, email
NOTE = "note"  # the column grades.csv adds to nbgrader's
COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name"]
COLUMNS += ["email", "raw_score", "late_submission_penalty", "score", "max_score", NOTE]


def grade(root: Path, release_first: bool = True, workers: int = 1) -> int:
    """Grade the course directory `root`; print scores and problems; return the exit status.

    The assignments are released first (unless the caller just did) so that the gradebook
    knows them and their hidden tests.
    """
    if why := not_ready(root):
        print(why)
        return 1
    known = layout.assignments(root)
    if release_first:
        print(f"Releasing {len(known)} assignment(s) into the gradebook ...")
        release.release(root, known)
    intakes, other = intake.take_in(root, known)
    intake_report = intake.write_report(root, intakes, other)
    problems = add_students(root, students(root))
    jobs = [parallel.Job(it.student, it.assignment) for it in intakes if it.notebook]
    print(f"Autograding {len(jobs)} submission(s), {workers} at a time ...")
    done = list(parallel.autograde_all(root, jobs, workers))
    notes = grading_notes(intakes, done)
    export_grades(root, notes)
    report.print_scores(root, notes)
    report.print_summary(root, intakes, done)
    print(f"\nGrades:     {root / GRADES_CSV} (the '{NOTE}' column says why, where needed)")
    print(f"Intake:     {intake_report} (repairs, problems, suspicious code, per student)")
    print(f"Feedback:   {root / 'feedback'}/<student>/<assignment>/<assignment>.html")
    print(f"Autograded: {root / 'autograded'}   Gradebook: {NbGrader(root).db_url}")
    problems += [f"{where}: {note}" for where, note in notes.items() if "not graded" in note]
    problems += other
    if problems:
        print(f"\n{len(problems)} problem(s); everything else was graded:")
        print("\n".join(f"  {line}" for line in problems))
        return 1
    return 0


def not_ready(root: Path) -> str | None:
    """Why `root` cannot be graded, with what to do; None when it can."""
    if not (root / layout.SOURCE_DIR).is_dir():
        return f"Not a course directory: {root} has no {layout.SOURCE_DIR}/ folder."
    if not (root / layout.SUBMITTED_DIR).is_dir():
        return (
            f"Nothing to grade: {root / layout.SUBMITTED_DIR} does not exist.\n"
            "Put each submission at submitted/<student>/<assignment>/<assignment>.ipynb "
            "(nbgrader's layout) and run `make grade` again."
        )
    return None


def students(root: Path) -> set[str]:
    """Every student with a folder in submitted/, even if nothing in it could be graded."""
    folders = (root / layout.SUBMITTED_DIR).iterdir()
    return {f.name for f in folders if not intake.unusable(f, root, "a student's folder")}


def gradebook(root: Path):
    """The course's gradebook (nbgrader's Gradebook, a context manager)."""
    return NbGrader(root).gradebook()


def add_students(root: Path, students: set[str]) -> list[str]:
    """Put the roster (roster.csv, if present) and every submitting student in the gradebook."""
    roster, problems = [], []
    if (root / ROSTER_CSV).is_file():
        with open(root / ROSTER_CSV, newline="") as f:
            roster = list(csv.DictReader(f))
        if roster and "id" not in roster[0]:
            problems.append(f"{ROSTER_CSV}: needs a header line with an 'id' column")
            roster = []
    with gradebook(root) as gb:
        for row in (row for row in roster if (row["id"] or "").strip()):
            details = {k: row[k] for k in ("first_name", "last_name", "email") if row.get(k)}
            gb.update_or_create_student(row["id"].strip(), **details)
        for student in sorted(students):
            gb.update_or_create_student(student)
    return problems


def grading_notes(intakes: list[intake.Intake], done: list[parallel.Done]) -> dict:
    """'student/assignment' -> why its score needs a word: not graded, or graded after
    repairs or with something for the instructor to check."""
    failed = {(d.job.student, d.job.assignment): d.error for d in done if d.error}
    notes = {}
    for it in intakes:
        key, where = (it.student, it.assignment), f"{it.student}/{it.assignment}"
        if not it.notebook:
            why = "; ".join(it.problems)
            notes[where] = why if "not graded" in why else f"not graded: {why}"
        elif key in failed:
            notes[where] = f"not graded: nbgrader failed ({failed[key]})"
        elif it.problems or it.suspicious:
            notes[where] = "graded; check by hand: " + "; ".join(it.problems + it.suspicious)
        elif it.repairs:
            notes[where] = f"graded after {len(it.repairs)} repair(s): see {intake.REPORT}"
    return notes


def export_grades(root: Path, notes: dict) -> None:
    """grades.csv: a row per student in the gradebook and assignment, zero where nothing
    was graded, in the columns of nbgrader's CSV export plus a note (properly quoted, so
    that a comma in a name cannot shift a column)."""
    rows = []
    with gradebook(root) as gb:
        for assignment, student in itertools.product(gb.assignments, gb.students):
            row = {"assignment": assignment.name, "duedate": assignment.duedate or ""}
            row |= {"timestamp": "", "student_id": student.id}
            row |= {k: getattr(student, k) or "" for k in ("last_name", "first_name", "email")}
            try:
                sub = gb.find_submission(assignment.name, student.id)
                penalty = sub.late_submission_penalty
                row |= {"timestamp": sub.timestamp or "", "raw_score": sub.score}
                row |= {"late_submission_penalty": penalty, "score": max(0.0, sub.score - penalty)}
                note = ""
            except MissingEntry:
                row |= {"raw_score": 0.0, "late_submission_penalty": 0.0, "score": 0.0}
                note = "not submitted"
            row["max_score"] = assignment.max_score
            row[NOTE] = notes.get(f"{student.id}/{assignment.name}", note)
            rows.append(row)
    with open(root / GRADES_CSV, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
