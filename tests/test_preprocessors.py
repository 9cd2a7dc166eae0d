"""A graded cell passes or fails: nbgrader would take the number a test cell ends on as
partial credit (01 once scored 2e-11 of 3 points that way), and score 0 a cell that wrote to
stderr (a warning in a passing test)."""

import nbclient
from nbformat.v4 import new_code_cell, new_notebook
from nbgrader.utils import determine_grade

from course.preprocessors import PassOrFail


def executed_test_cell(source: str):
    """A graded test cell worth 3 points, run in a real kernel."""
    cell = new_code_cell(source)
    cell.metadata["nbgrader"] = {
        "grade": True,
        "solution": False,
        "locked": True,
        "points": 3,
        "grade_id": "ex1-tests",
        "schema_version": 3,
    }
    nb = new_notebook(cells=[cell])
    nbclient.NotebookClient(nb, kernel_name="python3", timeout=60, allow_errors=True).execute()
    return nb.cells[0]


def test_a_shown_number_is_not_taken_for_a_score():
    cell = executed_test_cell("def check():\n    return 1e-11\n\ncheck()")
    assert determine_grade(cell) == (1e-11, 3.0), "nbgrader's partial credit, unprocessed"
    PassOrFail().preprocess_cell(cell, {}, 0)
    assert determine_grade(cell) == (3.0, 3.0)
    shown = [o for o in cell.outputs if o.output_type == "display_data"]
    assert shown and shown[0].data["text/plain"] == "1e-11", "the value is still shown"


def test_a_failing_cell_still_scores_zero():
    cell = executed_test_cell("assert 1 + 1 == 3, 'expected 3'\n0.5")
    PassOrFail().preprocess_cell(cell, {}, 0)
    assert determine_grade(cell) == (0, 3.0)


def test_a_warning_does_not_fail_a_passing_cell():
    cell = executed_test_cell("import warnings\nwarnings.warn('a deprecation')\nassert True")
    assert determine_grade(cell) == (0, 3.0), "nbgrader's verdict on stderr, unprocessed"
    PassOrFail().preprocess_cell(cell, {}, 0)
    assert determine_grade(cell) == (3.0, 3.0)
    (shown,) = [o for o in cell.outputs if o.output_type == "stream"]
    assert shown.name == "stdout" and shown.text.startswith("[stderr] ")
    assert "a deprecation" in shown.text, "the warning is still shown"
