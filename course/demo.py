"""`make demo`: the whole instructor pipeline on the bundled example class.

A fresh course directory (build/demo by default) gets a copy of solutions/; then the
ordinary pipeline runs there: release, the example submissions, autograde, grades.csv,
feedback, and a score table.
"""

import shutil
from pathlib import Path

from . import examples, grading, layout, release


def demo(course_dir: Path, workers: int = 1, assignments: list[str] | None = None) -> int:
    course_dir = course_dir.resolve()
    if course_dir == layout.ROOT:
        raise SystemExit("The demo needs a directory of its own, not the repository root.")
    if unknown := sorted(set(assignments or []) - set(layout.assignments())):
        raise SystemExit(f"No such assignment: {', '.join(unknown)}")
    assignments = assignments or layout.assignments()
    shutil.rmtree(course_dir, ignore_errors=True)
    for name in assignments:
        source = layout.ROOT / layout.SOURCE_DIR / name
        shutil.copytree(source, course_dir / layout.SOURCE_DIR / name)
    print(f"Demo course in {course_dir}: {len(assignments)} assignment(s)")
    release.release(course_dir, assignments)
    examples.write_submissions(course_dir, assignments)
    print(f"Example class: {', '.join(examples.ROSTER)} (the last one submits nothing)")
    return grading.grade(course_dir, release_first=False, workers=workers)
