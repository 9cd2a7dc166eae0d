"""Autograde round trip with the real nbgrader and a real SQLite gradebook (make demo)."""

import csv

import pytest

from course import cells, examples, grading, layout


def cell_scores(course_dir, student, assignment) -> dict[str, tuple[float, float]]:
    """Test-cell grade id -> (score, max score) from the gradebook."""
    with grading.gradebook(course_dir) as gb:
        sub = gb.find_submission_notebook(assignment, assignment, student)
        return {g.name: (g.score, g.max_score) for g in sub.grades}


def test_every_student_on_the_roster_is_in_the_export(demo_course):
    course_dir, _ = demo_course
    with open(course_dir / grading.GRADES_CSV) as f:
        rows = {(row["student_id"], row["assignment"]): row for row in csv.DictReader(f)}
    for assignment in layout.assignments():
        for student in examples.ROSTER:
            assert (student, assignment) in rows, f"{student} missing from the export"
        assert float(rows[examples.ABSENT, assignment]["score"]) == 0


def test_solution_scores_full_marks(demo_course, assignment):
    scores = cell_scores(demo_course[0], examples.PERFECT, assignment)
    lost = {gid: s for gid, s in scores.items() if s[0] != s[1]}
    assert scores and not lost, f"{assignment}: the solution loses points in {lost}"


def test_blank_scores_zero(demo_course, assignment):
    scores = cell_scores(demo_course[0], examples.BLANK, assignment)
    assert sum(score for score, _ in scores.values()) == 0, f"{assignment}: {scores}"


@pytest.mark.parametrize(
    "student, parity", [(examples.MISTAKES_ODD, 1), (examples.MISTAKES_EVEN, 0)]
)
def test_each_mistake_loses_exactly_its_exercise(demo_course, assignment, student, parity):
    scores = cell_scores(demo_course[0], student, assignment)
    nb = cells.read(layout.source_notebook(assignment))
    made = examples.mistakes_made(assignment, layout.ROOT, parity)
    assert made, f"{student} makes no mistake in {assignment}"
    wrong = {ex.test_id for ex in cells.exercises(nb) if ex.solution_id in made}
    for gid, (score, max_score) in scores.items():
        expected = 0 if gid in wrong else max_score
        assert score == expected, f"{student}, {assignment}/{gid}: expected {expected}, got {score}"


def test_demo_prints_scores_and_outputs(demo_course):
    _, output = demo_course
    for student in examples.ROSTER:
        assert student in output
    assert "grades.csv" in output and "feedback" in output
