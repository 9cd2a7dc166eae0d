"""What `make grade` and `make export` print: the score table and a grading summary."""

import itertools
import statistics

from . import state

SLOWEST = 3  # submissions listed as the slowest


def print_scores(rows: list) -> None:
    """Students down, assignments across; '*' marks a score with a note in grades.csv."""
    table = {(r.values["student_id"], r.values["assignment"]): r for r in rows}
    students = sorted({s for s, _ in table})
    assignments = sorted({a for _, a in table})
    width = max([len(s) for s in students] + [7])
    print("\n" + "student".ljust(width) + "".join(f"  {a:>18}" for a in assignments))
    for student in students:
        cells = []
        for assignment in assignments:
            row = table[student, assignment]
            text = f"{row.values['score']:g} / {row.values['max_score']:g}" if row.graded else "-"
            cells.append(text + (" *" if row.values["note"] else "  "))
        print(student.ljust(width) + "".join(f"  {cell:>18}" for cell in cells))
    print("(- nothing graded; * see the note in grades.csv)")


def print_summary(rows: list) -> None:
    """Per assignment: submitted, graded, mean and median score, repaired by intake, to
    check by hand (see the notes); then the slowest submissions."""
    print("\nSummary")
    header = ["submitted", "graded", "mean", "median", "repaired", "check"]
    print(f"  {'assignment':<22}" + "".join(f"{h:>10}" for h in header))
    by_assignment = itertools.groupby(rows, key=lambda r: r.values["assignment"])
    for assignment, group in by_assignment:
        mine = list(group)
        submitted = [r for r in mine if r.record and r.record.status != state.GONE]
        points = [r.values["score"] for r in mine if r.graded]
        mean = f"{statistics.mean(points):.1f}" if points else "-"
        median = f"{statistics.median(points):g}" if points else "-"
        repaired = sum(1 for r in submitted if r.record.repaired)
        check = sum(1 for r in mine if r.check)
        cells = [len(submitted), len(points), mean, median, repaired, check]
        print(f"  {assignment:<22}" + "".join(f"{cell:>10}" for cell in cells))
    timed = [r for r in rows if r.record and r.record.seconds]
    slowest = sorted(timed, key=lambda r: -r.record.seconds)[:SLOWEST]
    if slowest:
        listed = ", ".join(
            f"{r.values['student_id']}/{r.values['assignment']} {r.record.seconds:.1f} s"
            for r in slowest
        )
        print(f"  slowest: {listed}")
        print(f"  mean {statistics.mean(r.record.seconds for r in timed):.1f} s per submission")
