"""What `make grade` prints at the end: the score table and a grading summary."""

import statistics
from pathlib import Path

from nbgrader.api import MissingEntry

from .nbgrader_api import NbGrader

SLOWEST = 3  # submissions listed as the slowest


def scores(root: Path) -> dict[tuple[str, str], tuple[float, float] | None]:
    """(student, assignment) -> (score, max score), or None where nothing was graded."""
    table = {}
    with NbGrader(root).gradebook() as gb:
        for assignment in gb.assignments:
            for student in gb.students:
                try:
                    sub = gb.find_submission(assignment.name, student.id)
                    table[student.id, assignment.name] = (sub.score, sub.max_score)
                except MissingEntry:
                    table[student.id, assignment.name] = None
    return table


def print_scores(root: Path, notes: dict[str, str]) -> None:
    """Students down, assignments across; '*' marks a score with a note in grades.csv."""
    table = scores(root)
    students = sorted({s for s, _ in table})
    assignments = sorted({a for _, a in table})
    width = max([len(s) for s in students] + [7])
    print("\n" + "student".ljust(width) + "".join(f"  {a:>18}" for a in assignments))
    for student in students:
        row = []
        for assignment in assignments:
            score = table[student, assignment]
            text = "-" if score is None else f"{score[0]:g} / {score[1]:g}"
            row.append(text + (" *" if f"{student}/{assignment}" in notes else "  "))
        print(student.ljust(width) + "".join(f"  {cell:>18}" for cell in row))
    print("(- nothing graded; * see the note in grades.csv)")


def print_summary(root: Path, intakes: list, done: list) -> None:
    """Per assignment: submitted, graded, mean and median score, repaired by intake, graded
    but to check by hand (see intake-report.txt); then the slowest submissions."""
    table = scores(root)
    seconds = {(d.job.student, d.job.assignment): d.seconds for d in done}
    print("\nSummary")
    header = ["submitted", "graded", "mean", "median", "repaired", "check"]
    print(f"  {'assignment':<22}" + "".join(f"{h:>10}" for h in header))
    for assignment in sorted({it.assignment for it in intakes}):
        mine = [it for it in intakes if it.assignment == assignment]
        got = [table.get((it.student, assignment)) for it in mine if it.notebook]
        points = [score for score, _ in filter(None, got)]
        mean = f"{statistics.mean(points):.1f}" if points else "-"
        median = f"{statistics.median(points):g}" if points else "-"
        repaired = sum(1 for it in mine if it.repairs)
        check = sum(1 for it in mine if it.notebook and (it.problems or it.suspicious))
        row = [len(mine), len(points), mean, median, repaired, check]
        print(f"  {assignment:<22}" + "".join(f"{cell:>10}" for cell in row))
    slowest = sorted(seconds.items(), key=lambda item: -item[1])[:SLOWEST]
    if slowest:
        listed = ", ".join(f"{s}/{a} {t:.1f} s" for (s, a), t in slowest)
        print(f"  slowest: {listed}")
        print(f"  mean {statistics.mean(seconds.values()):.1f} s per submission")
