"""Feedback a student can act on, checked on real feedback pages of a small class graded by
the real nbgrader: the summary names each exercise and what failed, a visible failure keeps
its traceback, a stub says so, only a failure inside the hidden tests is redacted, nothing
hidden or (for a blank hand-in) no solution leaks, and math renders with no network."""

import contextlib
import html as html_lib
import io
import re

import pytest

from course import cells, feedback, grading, layout, release

from . import fixture_course as fx

MATH = (
    r"The norm $\lVert v\rVert_2 = \sqrt{\sum_i v_i^2}$ and the mean $$\bar x = \frac1n\sum_i x_i$$"
)
PASSES_VISIBLE_ONLY = "def double(x):\n    return x * 2 if len(x) == 2 else x"
STUDENTS = {
    "perfect": {},
    "mixed": {
        "ex1_double": PASSES_VISIBLE_ONLY,  # the hidden assert fails
        "ex2_norm": "def norm(v):\n    return float(v.sum())",  # the visible assert fails
        "ex3_mean": "def mean(x):\n    return x @ torch.ones(2)",  # a shape error, visible line
    },
}


def course_with_math(root):
    fx.make_course(root)
    nb = fx.source_notebook()
    nb.cells[0].source += "\n\n" + MATH
    cells.write(nb, layout.source_notebook(fx.ASSIGNMENT, root))
    release.release(root, [fx.ASSIGNMENT])
    return root


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The course, and student -> (feedback HTML, its text as a browser shows it)."""
    root = course_with_math(tmp_path_factory.mktemp("feedback"))
    for student, answers in STUDENTS.items():
        fx.submit(root, student, fx.submission(root, **answers))
    fx.submit(root, "blank", fx.blank(root))
    with contextlib.redirect_stdout(io.StringIO()):
        grading.grade(root, workers=2)
    found = {}
    for page in (root / "feedback").glob(f"*/{fx.ASSIGNMENT}/{fx.ASSIGNMENT}.html"):
        html = page.read_text()
        found[page.parent.parent.name] = (html, html_lib.unescape(re.sub(r"<[^>]+>", "", html)))
    assert set(found) == {*STUDENTS, "blank"}, f"feedback written for {sorted(found)}"
    return root, found


def summary(html: str) -> list[str]:
    block = re.search(r'<ol class="course-summary">(.*?)</ol>', html, re.S)
    assert block, "the page has no summary"
    items = re.findall(r"<li[^>]*>(.*?)</li>", block[1], re.S)
    return [html_lib.unescape(re.sub(r"<[^>]+>", "", item)).strip() for item in items]


def test_summary_names_each_exercise_and_what_failed(pages):
    assert summary(pages["mixed"][0]) == [
        "Exercise 1 · ex1-double: 0 / 2 — a hidden check failed (AssertionError: double: "
        "expected tensor([0., 2., 4.]), got tensor([0., 1., 2.]))",
        "Exercise 2 · ex2-norm: 0 / 3 — a visible test failed (AssertionError)",
        "Exercise 3 · ex3-mean: 0 / 5 — a visible test raised RuntimeError: inconsistent "
        "tensor size, expected tensor [3] and src [2] to have the same number of elements, "
        "but got 3 and 2 elements respectively",
    ]
    assert summary(pages["perfect"][0]) == [
        "Exercise 1 · ex1-double: 2 / 2",
        "Exercise 2 · ex2-norm: 3 / 3",
        "Exercise 3 · ex3-mean: 5 / 5",
    ]


def test_a_visible_failure_keeps_its_traceback(pages):
    _, text = pages["mixed"]
    assert "----> 1 assert math.isclose(norm(torch.tensor([3.0, 4.0])), 5.0)" in text
    # the shape error: the test line, then the student's own line that raised
    assert "----> 1 torch.testing.assert_close(mean(torch.tensor([1.0, 2.0, 6.0]))" in text
    assert "----> 2     return x @ torch.ones(2)" in text
    assert text.count("Traceback (most recent call last)") == 2


def test_a_stub_says_it_was_never_filled(pages):
    html, text = pages["blank"]
    verdicts = summary(html)
    assert len(verdicts) == 3
    for line in verdicts:
        assert "not answered yet: the answer cell still raises NotImplementedError" in line
    assert text.count("----> 3     raise NotImplementedError()") == 3


def test_only_a_failure_inside_the_hidden_tests_is_redacted(pages):
    _, text = pages["mixed"]
    assert text.count(feedback.HIDDEN_NOTE) == 1
    note = text.index(feedback.HIDDEN_NOTE)
    assert "AssertionError: double: expected" in text[note - 200 : note], "its message stays"


@pytest.mark.parametrize("student", [*STUDENTS, "blank"])
def test_no_hidden_test_and_no_unsubmitted_solution_leaks(course, student):
    """As tests/test_release.py checks the demo's feedback: a student's own lines are theirs."""
    root, found = course
    _, text = found[student]
    hidden_only = (cells.HIDDEN_REGION,)
    regions = (cells.SOLUTION_REGION, *hidden_only) if student == "blank" else hidden_only
    secret = cells.secret_lines(cells.read(layout.source_notebook(fx.ASSIGNMENT, root)), regions)
    handed_in = root / layout.SUBMITTED_DIR / student / fx.ASSIGNMENT / f"{fx.ASSIGNMENT}.ipynb"
    own = {line.strip() for c in cells.read(handed_in).cells for line in c.source.splitlines()}
    shown = cells.leaks(text, secret - own)
    assert not shown, f"{student}'s feedback shows {shown[:3]}"
    assert "course.guard" not in text


def test_math_renders_offline(pages):
    html, text = pages["perfect"]
    assert html.count("<math") == 2 and 'display="block"' in html
    assert r"\lVert" not in text and "$$" not in text, "TeX left for a script to render"
    remote = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="(https?:[^"]+)"', html)
    assert not remote, f"the page loads {remote}"


@pytest.fixture(scope="module")
def pages(course):
    return course[1]
