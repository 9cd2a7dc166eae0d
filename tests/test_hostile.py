"""Submissions that misbehave when they run: each is graded with an exact score, and none
stops the grading of the others (real nbgrader, real kernels, a real SQLite gradebook)."""

import csv

import pytest

from course import grading

from . import fixture_course as fx

WRONG = {
    "ex1_double": "def double(x):\n    return x",
    "ex2_norm": "def norm(v):\n    return float(sum(v))",
    "ex3_mean": "def mean(x):\n    return x.sum()",
}
PATCH_ALLCLOSE = "torch.allclose = lambda *args, **kwargs: True\n"
PATCH_HELPERS = (
    "torch.testing.assert_close = lambda *args, **kwargs: None\n\n\n"
    "def assert_close(*args):\n    pass\n\n\n"
)
PATCH_NUMPY = "math.isclose = lambda *a, **k: True\nnp.allclose = lambda *a, **k: True\n"
CHATTY_MEAN = """\
import sys


def mean(x):
    warnings.warn("averaging now")
    print("debug: x =", x, file=sys.stderr)
    return x.sum() / len(x)"""

# student -> (answers that differ from the correct ones, total score out of 10)
RUNTIME_CASES = {
    "perfect": ({}, 10),
    "wrong-norm": ({"ex2_norm": WRONG["ex2_norm"]}, 7),
    "endless-loop-in-answer": ({"ex1_double": "while True:\n    pass"}, 8),
    "endless-loop-in-test": ({"ex1_double": "def double(x):\n    while True:\n        pass"}, 8),
    "exits-the-kernel": ({"ex2_norm": "import os\n\nos._exit(1)"}, 2),
    "segfault": ({"ex3_mean": "import ctypes\n\nctypes.string_at(0)"}, 5),
    "killed-like-out-of-memory": (
        {"ex3_mean": "import os\nimport signal\n\nos.kill(os.getpid(), signal.SIGKILL)"},
        5,
    ),
    "huge-output": ({"ex1_double": "print('x' * 10_000_000)\n" + fx.ANSWERS["ex1-double"]}, 10),
    "warns-on-stderr": ({"ex3_mean": CHATTY_MEAN}, 10),
    "patches-allclose": ({"ex1_double": PATCH_ALLCLOSE + WRONG["ex1_double"]}, 8),
    "redefines-test-helpers": ({"ex3_mean": PATCH_HELPERS + WRONG["ex3_mean"]}, 5),
    "patches-numpy-and-math": ({"ex2_norm": PATCH_NUMPY + WRONG["ex2_norm"]}, 7),
}


def assert_true_in_test(root):
    """Wrong answer to exercise 1, and its visible test edited to `assert True`."""
    nb = fx.submission(root, ex1_double=WRONG["ex1_double"])
    test = next(c for c in nb.cells if c.get("id") == "ex1-double-tests")
    test.source = "assert True"
    return nb


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    root = fx.make_course(tmp_path_factory.mktemp("hostile"))
    fx.submit(root, "blank", fx.blank(root))
    for student, (answers, _) in RUNTIME_CASES.items():
        fx.submit(root, student, fx.submission(root, **answers))
    fx.submit(root, "edits-a-test-to-assert-true", assert_true_in_test(root))
    status = grading.grade(root, workers=2)
    return root, status


def total(root, student) -> float:
    with grading.gradebook(root) as gb:
        return gb.find_submission(fx.ASSIGNMENT, student).score


@pytest.mark.parametrize("student, expected", [(s, e) for s, (_, e) in RUNTIME_CASES.items()])
def test_runtime_case_scores_exactly(hostile_class, student, expected):
    root, _ = hostile_class
    assert total(root, student) == expected


def test_blank_and_edited_test(hostile_class):
    root, _ = hostile_class
    assert total(root, "blank") == 0
    assert total(root, "edits-a-test-to-assert-true") == 8, "the original test was not restored"


def test_everything_was_graded(hostile_class):
    root, status = hostile_class
    assert status == 0
    with open(root / grading.GRADES_CSV) as f:
        students = {row["student_id"] for row in csv.DictReader(f)}
    assert set(RUNTIME_CASES) | {"blank", "edits-a-test-to-assert-true"} <= students


def test_huge_output_is_cut(hostile_class):
    root, _ = hostile_class
    for folder in ("autograded", "feedback"):
        (path,) = (root / folder / "huge-output" / fx.ASSIGNMENT).glob("00-fixture.*")
        assert path.stat().st_size < 300_000, f"{path} is {path.stat().st_size} bytes"


def test_dead_kernel_is_explained(hostile_class):
    root, _ = hostile_class
    html = (root / "feedback" / "segfault" / fx.ASSIGNMENT / "00-fixture.html").read_text()
    assert "the kernel died while running this cell" in html
    assert "not run: the kernel died" in html
