"""A class of broken, hostile and oddly saved submissions, graded in one run with the real
nbgrader, real kernels and a real SQLite gradebook: each gets an exact score and, where
needed, a note; none stops the grading of the others."""

import contextlib
import copy
import csv
import io
import json

import pytest

from course import cells, grading, intake, layout

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


ALLOCATE_6_GIB = "big = torch.ones(3 * 2**29)  # the kernel may use fx.MEMORY_GIB\n"
ENDLESS = "while True:\n        pass"


def answers(**changed):
    """A submission whose answers are the correct ones except those `changed`."""
    return lambda root: fx.submission(root, **changed)


def edit(change, **changed):
    """A submission (answers as in `answers`) whose cells `change` then edits in place."""

    def build(root):
        nb = fx.submission(root, **changed)
        change(nb.cells)
        return nb

    return build


def cell_index(nb_cells, grade_id):
    return next(i for i, c in enumerate(nb_cells) if cells.grade_id(c) == grade_id)


def assert_true(nb_cells):
    nb_cells[cell_index(nb_cells, "ex1-double-tests")].source = "assert True"


def empty_test(nb_cells):
    nb_cells[cell_index(nb_cells, "ex1-double-tests")].source = ""


def delete(grade_id):
    return lambda nb_cells: nb_cells.pop(cell_index(nb_cells, grade_id))


def split_answer(nb_cells):
    """Exercise 3's answer split in two cells that both carry its metadata."""
    i = cell_index(nb_cells, "ex3-mean")
    first = copy.deepcopy(nb_cells[i])
    first.source, first.id = "TOTAL = sum", "student-split"
    nb_cells.insert(i, first)


def copy_test_above_answer(nb_cells):
    test = copy.deepcopy(nb_cells[cell_index(nb_cells, "ex1-double-tests")])
    test.id = "student-copy"
    nb_cells.insert(cell_index(nb_cells, "ex1-double"), test)


def strip_metadata(nb_cells):
    for c in nb_cells:
        c.metadata = {}


# student -> (how the submission is made, its exact total out of 10)
GRADED = {
    "perfect": (answers(), 10),
    "wrong-norm": (answers(ex2_norm=WRONG["ex2_norm"]), 7),
    # Execution that could hang or sink the run (cell timeout: fx.TIMEOUT_S)
    "endless-loop-in-answer": (answers(ex1_double=ENDLESS), 8),
    "endless-loop-in-test": (
        answers(ex1_double="def double(x):\n    while True:\n        pass"),
        8,
    ),
    "exits-the-kernel": (answers(ex2_norm="import os\n\nos._exit(1)"), 2),
    "segfault": (answers(ex3_mean="import ctypes\n\nctypes.string_at(0)"), 5),
    "killed-like-out-of-memory": (
        answers(ex3_mean="import os\nimport signal\n\nos.kill(os.getpid(), signal.SIGKILL)"),
        5,
    ),
    "allocates-too-much-memory": (answers(ex3_mean=ALLOCATE_6_GIB + fx.ANSWERS["ex3-mean"]), 5),
    "huge-output": (answers(ex1_double="print('x' * 10_000_000)\n" + fx.ANSWERS["ex1-double"]), 10),
    "warns-on-stderr": (answers(ex3_mean=CHATTY_MEAN), 10),
    # Cheating that does not pay
    "edits-a-test-to-assert-true": (edit(assert_true, ex1_double=WRONG["ex1_double"]), 8),
    "empties-a-test": (edit(empty_test, ex1_double=WRONG["ex1_double"]), 8),
    "patches-allclose": (answers(ex1_double=PATCH_ALLCLOSE + WRONG["ex1_double"]), 8),
    "redefines-test-helpers": (answers(ex3_mean=PATCH_HELPERS + WRONG["ex3_mean"]), 5),
    "patches-numpy-and-math": (answers(ex2_norm=PATCH_NUMPY + WRONG["ex2_norm"]), 7),
    # Notebooks as editors and students leave them
    "splits-an-answer": (edit(split_answer), 10),
    "copies-a-test-above-the-answer": (edit(copy_test_above_answer), 10),
    "deletes-a-test": (edit(delete("ex2-norm-tests")), 10),
    "deletes-a-test-and-is-wrong": (edit(delete("ex2-norm-tests"), ex2_norm=WRONG["ex2_norm"]), 7),
    "deletes-an-answer": (edit(delete("ex2-norm")), 7),
    "editor-stripped-metadata": (edit(strip_metadata), 10),
    "editor-stripped-metadata-and-wrong": (edit(strip_metadata, ex3_mean=WRONG["ex3_mean"]), 5),
    "José María de la Cruz": (answers(), 10),
}
NAMED = {  # student -> (folder, file name) of a perfect submission saved under another name
    "saves-a-copy": (fx.ASSIGNMENT, f"Copy of {fx.ASSIGNMENT}.ipynb"),
    "downloads-twice": (f"Copy of {fx.ASSIGNMENT}", f"{fx.ASSIGNMENT} (1).ipynb"),
    "renames-it": (fx.ASSIGNMENT, "00 Fixture.ipynb"),
}
NOT_GRADED = {  # student -> (file content, words the note must contain)
    "invalid-json": ('{"cells": [ this is not JSON', "not valid JSON"),
    "empty-file": ("", "is empty"),
    "a-python-script": ("def double(x):\n    return 2 * x\n", "Python script"),
}
ABSENT = "on-the-roster-only"


def colab(root):
    """A perfect notebook as Google Colab saves it: nbformat 4.0, no cell ids, Colab's
    metadata, a kernelspec without language."""
    nb = json.loads(json.dumps(fx.submission(root)))
    nb["nbformat_minor"] = 0
    nb["metadata"] = {
        "colab": {"provenance": [], "name": f"{fx.ASSIGNMENT}.ipynb"},
        "accelerator": "GPU",
        "kernelspec": {"name": "python3", "display_name": "Python 3"},
    }
    for number, c in enumerate(nb["cells"]):
        del c["id"]
        c["metadata"]["id"] = f"colab{number:04d}"
    return json.dumps(nb)


def write_class(root):
    for student, (build, _) in GRADED.items():
        fx.submit(root, student, build(root))
    for student, (folder, name) in NAMED.items():
        cells.write(fx.submission(root), root / "submitted" / student / folder / name)
    folder = root / "submitted" / "uses-colab" / fx.ASSIGNMENT
    folder.mkdir(parents=True)
    (folder / f"{fx.ASSIGNMENT}.ipynb").write_text(colab(root))
    for student, (content, _) in NOT_GRADED.items():
        (root / "submitted" / student / fx.ASSIGNMENT).mkdir(parents=True)
        (root / "submitted" / student / fx.ASSIGNMENT / f"{fx.ASSIGNMENT}.ipynb").write_text(
            content
        )
    extra = fx.submit(root, "adds-a-file", fx.submission(root)).parent
    (extra / "scratch.csv").write_text("1,2,3\n")
    (root / "submitted" / "no-notebook" / fx.ASSIGNMENT).mkdir(parents=True)
    (root / "submitted" / "no-notebook" / fx.ASSIGNMENT / "notes.txt").write_text("done!")
    typo = root / "submitted" / "typo-in-folder" / "00-fixtre" / f"{fx.ASSIGNMENT}.ipynb"
    cells.write(fx.submission(root), typo)
    outside = root.parent / f"{root.name}-outside"
    fx.submit(outside, "x", fx.submission(root))
    (root / "submitted" / "escapes").symlink_to(outside / "submitted" / "x")
    (root / grading.ROSTER_CSV).write_text(f"id,last_name\n{ABSENT},Absent\nperfect,Perfect\n")


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    root = fx.make_course(tmp_path_factory.mktemp("class"))
    write_class(root)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = grading.grade(root, workers=2)
    with open(root / grading.GRADES_CSV) as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    return root, status, rows, printed.getvalue()


EXPECTED = {s: e for s, (_, e) in GRADED.items()} | dict.fromkeys(NAMED, 10) | {"uses-colab": 10}


@pytest.mark.parametrize("student, expected", EXPECTED.items())
def test_exact_score(graded_class, student, expected):
    _, _, rows, _ = graded_class
    assert float(rows[student]["score"]) == expected, rows[student]["note"]


@pytest.mark.parametrize("student, words", [(s, w) for s, (_, w) in NOT_GRADED.items()])
def test_ungradable_gets_zero_and_a_reason(graded_class, student, words):
    _, _, rows, _ = graded_class
    assert float(rows[student]["score"]) == 0
    assert "not graded" in rows[student]["note"] and words in rows[student]["note"]


def test_nothing_is_lost(graded_class):
    root, status, rows, _ = graded_class
    assert status == 1, "some submissions could not be graded: the exit status says so"
    expected = {*EXPECTED, *NOT_GRADED, ABSENT, "adds-a-file", "no-notebook", "typo-in-folder"}
    assert expected <= set(rows), f"missing from grades.csv: {expected - set(rows)}"
    assert rows[ABSENT]["note"] == "not submitted" and float(rows[ABSENT]["score"]) == 0
    assert float(rows["adds-a-file"]["score"]) == 10
    assert "no notebook" in rows["no-notebook"]["note"]
    assert "escapes" not in rows, "a link out of the course directory was followed"


def test_output_names_each_problem_without_a_traceback(graded_class):
    _, _, _, printed = graded_class
    assert "Traceback" not in printed
    for line in ("invalid-json/00-fixture: ", "submitted/typo-in-folder/00-fixtre: unknown"):
        assert line in printed
    assert "rename the folder if it is 00-fixture" in printed
    assert "Summary" in printed and "slowest" in printed


def report_block(text: str, student: str) -> str:
    """The lines intake-report.txt has under one student."""
    lines = text.splitlines()
    start = lines.index(student) + 1
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith(" ")), None)
    return "\n".join(lines[start:end])


def test_report_says_what_was_repaired_and_what_looks_suspicious(graded_class):
    root, _, _, _ = graded_class
    text = (root / intake.REPORT).read_text()
    assert "scratch.csv" in report_block(text, "adds-a-file")
    assert "00-fixtre" in text and "escapes" in text, "what was not taken in is listed"
    for student in ("patches-allclose", "redefines-test-helpers", "patches-numpy-and-math"):
        assert "suspicious" in report_block(text, student), student
    assert "suspicious" not in report_block(text, "perfect")
    assert "repaired" in report_block(text, "editor-stripped-metadata")


def test_originals_are_untouched(graded_class):
    root, _, _, _ = graded_class
    original = root / "submitted" / "editor-stripped-metadata" / fx.ASSIGNMENT
    nb = cells.read(original / f"{fx.ASSIGNMENT}.ipynb")
    assert not any(cells.meta(c) for c in nb.cells), "intake changed an original"


def test_huge_output_is_cut(graded_class):
    root, _, _, _ = graded_class
    for folder in ("autograded", "feedback"):
        (path,) = (root / folder / "huge-output" / fx.ASSIGNMENT).glob(f"{fx.ASSIGNMENT}.*")
        assert path.stat().st_size < 300_000, f"{path} is {path.stat().st_size} bytes"


def test_dead_kernel_is_explained(graded_class):
    root, _, _, _ = graded_class
    page = root / "feedback" / "segfault" / fx.ASSIGNMENT / f"{fx.ASSIGNMENT}.html"
    html = page.read_text()
    assert "the kernel died while running this cell" in html
    assert "not run: the kernel died" in html


def test_feedback_shows_no_hidden_test_and_no_guard(graded_class):
    root, _, _, _ = graded_class
    for page in (root / "feedback").glob("*/*/*.html"):
        html = page.read_text()
        assert "assert_close(double(torch.arange(3.0))" not in html, page
        assert "course.guard" not in html, page
    assert layout.release_notebook(fx.ASSIGNMENT, root).is_file()
