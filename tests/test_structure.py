"""The shape every notebook must have for nbgrader and for students (CONTRIBUTING.md)."""

import ast
import re

import nbformat

from course import cells, colab_guard, examples, layout, preprocessors

MIN_EXERCISES = 5


def source(assignment):
    return cells.read(layout.source_notebook(assignment))


def test_every_cell_has_a_unique_grade_id(assignment):
    ids = [cells.grade_id(cell) for cell in source(assignment).cells]
    assert None not in ids, f"{assignment}: cell {ids.index(None)} has no nbgrader metadata"
    duplicates = sorted({gid for gid in ids if ids.count(gid) > 1})
    assert not duplicates, f"{assignment}: grade ids used twice: {duplicates}"


def test_everything_but_answers_is_locked(assignment):
    unlocked = [
        cells.grade_id(cell)
        for cell in source(assignment).cells
        if not cells.is_solution(cell) and not cells.meta(cell).get("locked")
    ]
    assert not unlocked, f"{assignment}: cells a student could change unnoticed: {unlocked}"


def test_exercises_are_heading_solution_and_graded_test(assignment):
    nb = source(assignment)
    found = cells.exercises(nb)
    by_id = cells.cells_by_id(nb)
    assert len(found) >= MIN_EXERCISES, f"{assignment}: {len(found)} exercises"
    assert [ex.number for ex in found] == list(range(1, len(found) + 1)), "numbered 1, 2, ..."
    for ex in found:
        solution, test = by_id.get(ex.solution_id), by_id.get(ex.test_id)
        assert solution is not None and cells.is_solution(solution), (
            f"{assignment}: exercise {ex.number}'s heading must be followed by its answer cell"
        )
        assert cells.BEGIN_SOLUTION in solution.source, f"{ex.solution_id}: no solution region"
        assert test is not None and cells.is_test(test), (
            f"{assignment}: exercise {ex.number}'s answer must be followed by a graded test cell"
        )
        assert cells.meta(test)["points"] == ex.points > 0, (
            f"{ex.test_id}: heading says {ex.points} points, cell gives "
            f"{cells.meta(test)['points']}"
        )
        assert cells.BEGIN_HIDDEN in test.source, f"{ex.test_id}: no hidden tests"
        visible = cells.strip_lines(test.source, cells.BEGIN_HIDDEN, cells.END_HIDDEN, False)
        assert "assert" in visible, f"{ex.test_id}: no visible checks"
    answers = {cells.grade_id(c) for c in nb.cells if cells.is_solution(c)}
    assert answers == {ex.solution_id for ex in found}, "an answer cell outside any exercise"


def test_test_cells_show_no_value(assignment):
    """nbgrader reads a number a graded cell shows as its score. The grader turns such a value
    into plain output (PassOrFail); still, no test cell should end in one."""
    for cell in source(assignment).cells:
        if cells.is_test(cell):
            last = ast.parse(cells.python_source(cell.source)).body[-1]
            shows_value = isinstance(last, ast.Expr) and not isinstance(last.value, ast.Call)
            assert not shows_value, f"{cells.grade_id(cell)} ends in an expression: assign it"


def test_answers_define_no_name_the_grader_restores(assignment):
    """Before each test the grader restores the names locked cells define (course.guard):
    an answer that must define one of those names would be overwritten."""
    code = [c for c in source(assignment).cells if c.cell_type == "code"]

    def names(kind, role):
        return set().union(*(kind(c.source) for c in code if role(c)))

    def locked(c):
        return not cells.is_solution(c) and not cells.is_test(c)

    restored = names(preprocessors.used_names, cells.is_test)
    restored &= names(preprocessors.bound_names, locked)
    answered = names(preprocessors.bound_names, cells.is_solution)
    assert not restored & answered, f"{assignment}: answers define {sorted(restored & answered)}"


def test_readme_states_the_total(assignment):
    total = sum(ex.points for ex in cells.exercises(source(assignment)))
    readme = (layout.ROOT / "README.md").read_text()
    number = assignment.split("-")[0]
    match = re.search(rf"^\| {number} · .*\((\d+) points\) \|", readme, re.MULTILINE)
    assert match and int(match[1]) == total, f"README: the {assignment} row must say {total} points"


def test_title_states_the_total(assignment):
    nb = source(assignment)
    total = sum(ex.points for ex in cells.exercises(nb))
    match = re.search(r"Points:\s*(\d+)", nb.cells[0].source)
    assert match and int(match[1]) == total, f"{assignment}: title must say 'Points: {total}'"


def test_every_exercise_has_a_typical_mistake(assignment):
    """The example class's third student makes one plausible mistake per exercise."""
    answers = {ex.solution_id for ex in cells.exercises(source(assignment))}
    assert set(examples.mistakes(assignment)) == answers, (
        f"examples/mistakes/{assignment}.py must hold one wrong answer per exercise"
    )


def test_committed_notebooks_are_clean(assignment):
    for path in (layout.source_notebook(assignment), layout.release_notebook(assignment)):
        nb = cells.read(path)
        for cell in nb.cells:
            assert cell.get("outputs", []) == [], f"{path.name}: outputs: run make format"
            assert cell.get("execution_count") is None, f"{path.name}: run make format"
            assert cell.get("id") == cells.grade_id(cell), f"{path.name}: unstable cell ids"
        assert path.read_text() == nbformat.writes(nb) + "\n", f"{path.name}: run make format"


def test_colab_guard_then_setup_and_only_the_guard_installs(assignment):
    """CONTRIBUTING.md, "The setup cell": the guard, then setup; no other cell installs."""
    code = [c for c in source(assignment).cells if c.cell_type == "code"]
    assert [cells.grade_id(c) for c in code[:2]] == [colab_guard.GRADE_ID, "setup"], (
        f"{assignment}: the first code cells must be the Colab guard and setup: make release"
    )
    installs = re.compile(r"^\s*[%!]\s*pip\b|pip install|google\.colab", re.M)
    for cell in code[1:]:
        assert not installs.search(cell.source), f"{cells.grade_id(cell)}: installs or checks Colab"
