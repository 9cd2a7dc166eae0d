"""`make export`: grades.csv, the score table and the summary, from the gradebook and the
grader's records alone (no grading).

Every student on the roster (but those who left the course) and every student who handed
something in gets a row per assignment. A score is exported only where the grader's last
grading of that submission completed; otherwise 0 with the reason. The note column also
flags what the instructor must look at: a manual score given to an earlier version of a
resubmitted notebook, a notebook waiting for manual grading, a submission whose folder
disappeared, a student not on the roster, and a gradebook whose automatic scores no longer
match what the grader observed (then the grader's own scores are exported).
"""

import csv
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import MissingEntry

from . import report, roster, state
from .nbgrader_api import NbGrader

GRADES_CSV = "grades.csv"
NOTE = "note"  # the column grades.csv adds to nbgrader's
COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name"]
COLUMNS += ["email", "raw_score", "late_submission_penalty", "score", "max_score", NOTE]
UNFINISHED = "not graded: its grading did not finish; run make grade again"


@dataclass
class Row:
    """One student and assignment, as exported."""

    values: dict  # the grades.csv columns
    check: bool  # counted in the summary's "check" column
    record: state.Record | None

    @property
    def where(self) -> tuple[str, str]:
        return self.values["student_id"], self.values["assignment"]

    @property
    def graded(self) -> bool:
        return bool(self.record) and self.record.status == state.GRADED


def export(root: Path, quiet: bool = False, mine=lambda student, assignment: True) -> int:
    """Write grades.csv; print the score table and the summary (unless quiet). Returns 1
    when a submission is not graded (failed, unreadable, interrupted), else 0; only the
    submissions `mine` accepts count (a grading machine's share of the class)."""
    rows = collect(root)
    with open(root / GRADES_CSV, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(row.values for row in rows)
    not_graded = [r for r in rows if r.record and r.record.status != state.GRADED]
    not_graded = [r for r in not_graded if r.record.status != state.GONE and mine(*r.where)]
    if not quiet:
        report.print_scores(rows)
        report.print_summary(rows)
        print(f"\nGrades:     {root / GRADES_CSV} (the '{NOTE}' column says why, where needed)")
        if not_graded:
            print(f"\n{len(not_graded)} submission(s) not graded; everything else was:")
            for row in not_graded:
                print(f"  {'/'.join(row.where)}: {row.values[NOTE]}")
    return 1 if not_graded else 0


def collect(root: Path) -> list[Row]:
    """The export's rows, students in id order within each assignment."""
    records = state.State(root)
    class_list = roster.read(root)
    left = class_list.dropped()
    rows = []
    with NbGrader(root).gradebook() as gb:
        students = [s for s in gb.students if s.id not in left]
        for assignment in gb.assignments:
            for student in sorted(students, key=lambda s: s.id):
                record = records.get(student.id, assignment.name)
                row = exported(gb, assignment, student, record)
                if class_list.present and student.id not in class_list.students:
                    add_note(row, f"{student.id} is not on {roster.ROSTER_CSV}", check=True)
                rows.append(row)
    return rows


def exported(gb, assignment, student, record: state.Record | None) -> Row:
    values = {"assignment": assignment.name, "duedate": assignment.duedate or ""}
    values |= {"timestamp": "", "student_id": student.id, "max_score": assignment.max_score}
    values |= {k: getattr(student, k) or "" for k in ("last_name", "first_name", "email")}
    values |= {"raw_score": 0.0, "late_submission_penalty": 0.0, "score": 0.0, NOTE: ""}
    try:
        sub = gb.find_submission(assignment.name, student.id)
    except MissingEntry:
        sub = None
    row = Row(values, bool(record and record.check), record)
    if record is None or record.status != state.GRADED:
        values[NOTE] = record.note if record else "not submitted"
        if record and record.status == state.PENDING:
            values[NOTE] = UNFINISHED
        if record is None and sub is not None:
            values[NOTE] = "in the gradebook, but not graded by make grade: run make grade"
            row.check = True
        return row
    values[NOTE] = record.note
    if sub is not None:
        score(row, sub, gb)
    return row


def score(row: Row, sub, gb) -> None:
    """The submission's score from the gradebook, checked against what the grader saw."""
    record, values = row.record, row.values
    notebook = gb.find_submission_notebook(
        values["assignment"], values["assignment"], sub.student.id
    )
    grades = {g.name: g for g in notebook.grades}
    changed = sorted(
        n for n, s in record.scores.items() if n in grades and grades[n].auto_score != s
    )
    raw = sub.score
    if changed:
        raw = sum(
            g.manual_score if g.manual_score is not None else record.scores.get(n, 0)
            for n, g in grades.items()
        )
        add_note(
            row,
            f"the gradebook's scores of {', '.join(changed)} changed after grading: "
            "the grader's own scores are exported; grade again with FORCE=1",
            check=True,
        )
    stale = sorted(
        n for n, v in record.manual_before.items() if n in grades and grades[n].manual_score == v
    )
    if stale:
        add_note(
            row,
            f"manual score(s) of {', '.join(stale)} were given to an earlier version "
            "of this notebook and still override it: review them in formgrader",
            check=True,
        )
    if sub.needs_manual_grade:
        add_note(row, "needs manual grading (formgrader)", check=True)
    penalty = sub.late_submission_penalty or 0.0
    values |= {"timestamp": sub.timestamp or "", "raw_score": raw}
    values |= {"late_submission_penalty": penalty, "score": max(0.0, raw - penalty)}


def add_note(row: Row, text: str, check: bool = False) -> None:
    row.values[NOTE] = "; ".join(filter(None, [row.values[NOTE], text]))
    row.check |= check
