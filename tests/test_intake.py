"""Intake: submissions as students really send them, built from the real release notebooks.

Fast: nbformat and ast only, no kernels. Each test hands in a variant of a release
notebook in a temporary course directory and checks the normalised copy and the report.
"""

import copy
import functools
import hashlib
import json
import os
import shutil

import nbformat
import pytest

from course import cells, examples, intake, layout

from .conftest import ASSIGNMENTS

FIRST, SPARSE = "01-tensors", "05-sparse-solves"
WHERE = f"submitted/alice/{FIRST}/{FIRST}.ipynb"


@pytest.fixture
def root(tmp_path):
    """A course directory with the source and release notebooks and an empty submitted/."""
    for assignment in ASSIGNMENTS:
        for notebook, folder in [
            (layout.source_notebook(assignment), layout.SOURCE_DIR),
            (layout.release_notebook(assignment), layout.RELEASE_DIR),
        ]:
            if notebook.is_file():  # a new assignment may not be released yet
                shutil.copytree(notebook.parent, tmp_path / folder / assignment)
    (tmp_path / layout.SUBMITTED_DIR).mkdir()
    return tmp_path


@functools.cache
def answered(assignment):
    return examples.answered(assignment, layout.ROOT, examples.answer_key(assignment, layout.ROOT))


def solved(assignment=FIRST):
    """The release notebook with the instructor's answers typed in, as a student would."""
    return copy.deepcopy(answered(assignment))


def hand_in(root, nb, student="alice", folder=FIRST, name=None):
    """Put a notebook (or raw bytes/text) at submitted/<student>/<folder>/<name>."""
    path = root / layout.SUBMITTED_DIR / student / folder / (name or f"{folder}.ipynb")
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(nb, bytes):
        path.write_bytes(nb)
    elif isinstance(nb, str):
        path.write_text(nb)
    elif isinstance(nb, nbformat.NotebookNode):
        nbformat.write(nb, path)
    else:  # raw JSON, as another editor saved it
        path.write_text(json.dumps(nb, indent=1))
    return path


def take(root, student="alice", assignment=FIRST):
    """Take in everything; the intake of one submission, and the other findings."""
    intakes, other = intake.take_in(root, sorted({FIRST, SPARSE, assignment}))
    found = {(it.student, it.assignment): it for it in intakes}
    return found.get((student, assignment)), other


def taken(it):
    """The normalised notebook, checked against nbformat's schema."""
    nb = nbformat.read(it.notebook, as_version=4)
    nbformat.validate(nb)
    assert nb.nbformat_minor == 5
    return nb


def by_id(nb):
    return {cells.grade_id(c): c for c in nb.cells if cells.grade_id(c)}


def index_of(nb, gid):
    return [cells.grade_id(c) for c in nb.cells].index(gid)


def without_metadata(cell):
    for key in ("nbgrader", "deletable", "editable"):
        cell.metadata.pop(key, None)
    return cell


# A clean submission


def test_clean_submissions_pass_unchanged(root, assignment):
    handed_in = examples.submissions(assignment, layout.ROOT)
    for student, nb in handed_in.items():
        hand_in(root, nb, student=student, folder=assignment)
    intakes, other = intake.take_in(root, [assignment])
    assert other == [] and len(intakes) == len(handed_in)
    for it in intakes:
        assert (it.repairs, it.problems, it.suspicious) == ([], [], []), it
        original = root / "submitted" / it.student / assignment / f"{assignment}.ipynb"
        assert it.notebook.read_text() == original.read_text()


# 1. Google Colab


def colab_save(nb):
    """The notebook as Google Colab saves it: nbformat 4.0, Colab's ids and metadata."""
    raw = json.loads(nbformat.writes(nb))
    raw["nbformat_minor"] = 0
    raw["metadata"] = {
        "colab": {"provenance": [], "gpuType": "T4"},
        "accelerator": "GPU",
        "kernelspec": {"name": "python3", "display_name": "Python 3"},
    }
    for number, cell in enumerate(raw["cells"]):
        cell.pop("id")
        cell["metadata"]["id"] = f"Xq{number:04d}colab"
        if cell["cell_type"] == "code":
            cell["execution_count"] = number
            cell["metadata"]["outputId"] = f"{number:04d}-output"
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["hi\n"]}]
    return raw


def test_colab_notebook_is_converted_to_nbformat_4_5(root):
    release = cells.read(layout.release_notebook(FIRST))
    hand_in(root, colab_save(solved()))
    it, _ = take(root)
    assert it.repairs == ["saved by Google Colab as nbformat 4.0: converted to nbformat 4.5"]
    nb = taken(it)
    assert [c.id for c in nb.cells] == [c.id for c in release.cells]
    assert nb.metadata == release.metadata  # no colab, accelerator; a full kernelspec
    for cell, answer in zip(nb.cells, solved().cells, strict=True):
        assert cell.source == answer.source, "the student's code is kept"
        assert "id" not in cell.metadata and cell.get("outputs", []) == []
        assert cell.metadata == answer.metadata


# 2. Renamed files and folders


@pytest.mark.parametrize(
    "name",
    ["Copy of 05-sparse-solves.ipynb", "05-sparse-solves (1).ipynb", "05 Sparse Solves.ipynb"],
)
def test_renamed_notebook_is_matched(root, name):
    hand_in(root, solved(SPARSE), folder=SPARSE, name=name)
    it, _ = take(root, assignment=SPARSE)
    assert it.repairs == [f"notebook '{name}' taken as '{SPARSE}.ipynb'"]
    assert it.notebook == root / "intake" / "alice" / SPARSE / f"{SPARSE}.ipynb"
    assert taken(it).cells == solved(SPARSE).cells


@pytest.mark.parametrize("folder", ["Copy of 01-tensors", "01-Tensors (1)", "01_tensors"])
def test_renamed_folder_is_matched(root, folder):
    hand_in(root, solved(), folder=folder, name=f"{FIRST}.ipynb")
    it, other = take(root)
    assert other == [] and it.repairs == [f"folder '{folder}' taken as '{FIRST}'"]
    assert it.notebook.is_file()


def test_only_notebook_under_another_name_is_taken(root):
    hand_in(root, solved(), name="my work.ipynb")
    it, _ = take(root)
    assert it.repairs == [f"notebook 'my work.ipynb' taken as '{FIRST}.ipynb'"]


def test_exact_name_is_preferred_and_the_rest_listed(root):
    hand_in(root, solved(), name=f"Copy of {FIRST}.ipynb")
    hand_in(root, solved(), name="notes.txt")
    hand_in(root, "2024-05-01 12:00:00 UTC", name="timestamp.txt")
    os.utime(hand_in(root, solved()), (0, 0))  # older, but named exactly: preferred
    it, _ = take(root)
    assert it.repairs == [
        f"other files in the folder, not copied: Copy of {FIRST}.ipynb, notes.txt"
    ]
    assert (it.notebook.parent / "timestamp.txt").read_text() == "2024-05-01 12:00:00 UTC"
    assert sorted(p.name for p in it.notebook.parent.iterdir()) == [
        f"{FIRST}.ipynb",
        "timestamp.txt",
    ]


def test_ambiguous_notebooks_newest_taken_and_reported(root):
    old = hand_in(root, solved(), name=f"Copy of {FIRST}.ipynb")
    new = hand_in(root, solved(), name=f"{FIRST} (1).ipynb")
    os.utime(old, (1_000, 1_000))
    os.utime(new, (2_000, 2_000))
    it, _ = take(root)
    assert it.problems == [
        f"2 notebooks could be the submission: took the most recently modified, "
        f"{FIRST} (1).ipynb; check the others by hand"
    ]
    assert it.repairs == [f"other files in the folder, not copied: Copy of {FIRST}.ipynb"]
    assert it.notebook.is_file()


def test_exact_folder_is_preferred_and_the_rest_reported(root):
    hand_in(root, solved(), folder=f"Copy of {FIRST}", name=f"{FIRST}.ipynb")
    hand_in(root, solved(), folder=f"{FIRST} (1)", name=f"{FIRST}.ipynb")
    hand_in(root, solved())
    it, _ = take(root)
    assert it.repairs == [
        f"other folders for {FIRST}, not used: "
        f"submitted/alice/{FIRST} (1), submitted/alice/Copy of {FIRST}"
    ]


def test_unknown_folder_gets_the_closest_name(root):
    hand_in(root, solved(), folder="tensors homework", name=f"{FIRST}.ipynb")
    it, other = take(root)
    assert it is None
    assert other == [
        "submitted/alice/tensors homework: unknown assignment, not graded; "
        f"rename the folder if it is {FIRST}"
    ]


# 3. Duplicate grade_ids


def test_copied_cells_keep_metadata_only_where_they_line_up(root):
    nb = solved()
    answer, tests = index_of(nb, "ex1-broadcast-shape"), index_of(nb, "ex1-broadcast-shape-tests")
    test_copy, answer_copy = copy.deepcopy(nb.cells[tests]), copy.deepcopy(nb.cells[answer])
    answer_copy.source, answer_copy.id, test_copy.id = "print('trying something')", "a1", "t1"
    nb.cells.insert(tests, answer_copy)  # a split answer: both halves carry the metadata
    nb.cells.insert(answer, test_copy)  # the test cell copied above the answer
    hand_in(root, nb)
    it, _ = take(root)
    assert it.repairs == [
        f"cell {answer + 1} repeats ex1-broadcast-shape-tests (cell {tests + 3} lines up with "
        "the release and keeps it): it runs as an ordinary cell",
        f"cell {tests + 2} repeats ex1-broadcast-shape (cell {answer + 2} lines up with "
        "the release and keeps it): it runs as an ordinary cell",
    ]
    out = taken(it)
    assert [cells.grade_id(c) for c in out.cells[answer : answer + 4]] == [
        None,
        "ex1-broadcast-shape",
        None,
        "ex1-broadcast-shape-tests",
    ]
    assert out.cells[answer + 2].source == "print('trying something')", "kept, as a plain cell"
    assert sum(cells.is_test(c) for c in out.cells) == sum(cells.is_test(c) for c in nb.cells) - 1


def test_answer_moved_below_its_test_is_still_graded(root):
    nb = solved()
    answer = index_of(nb, "ex2-pairwise-sq-dists")
    nb.cells[answer], nb.cells[answer + 1] = nb.cells[answer + 1], nb.cells[answer]
    nb.cells[index_of(nb, "setup-intro")].metadata.nbgrader.grade_id = "renamed"
    hand_in(root, nb)
    it, _ = take(root)
    assert it.repairs == [
        "nbgrader metadata restored on 1 cell(s) by their text",
        f"cell {answer + 1} is ex2-pairwise-sq-dists-tests out of the release's order (the "
        "release's cell is restored in place): it runs as an ordinary cell",
    ]
    out = taken(it)
    assert [cells.grade_id(c) for c in out.cells[answer : answer + 3]] == [
        None,
        "ex2-pairwise-sq-dists",
        "ex2-pairwise-sq-dists-tests",
    ]
    assert cells.grade_id(out.cells[index_of(solved(), "setup-intro")]) == "setup-intro"


# 4. Deleted cells


def test_deleted_test_cell_is_restored_after_its_answer(root):
    nb = solved()
    del nb.cells[index_of(nb, "ex2-pairwise-sq-dists-tests")]
    hand_in(root, nb)
    it, _ = take(root)
    assert it.repairs == [
        "test cell ex2-pairwise-sq-dists-tests was deleted: restored from the release"
    ]
    out = taken(it)
    tests = index_of(out, "ex2-pairwise-sq-dists-tests")
    assert tests == index_of(out, "ex2-pairwise-sq-dists") + 1
    assert (
        out.cells[tests]
        == by_id(cells.read(layout.release_notebook(FIRST)))["ex2-pairwise-sq-dists-tests"]
    )


def test_deleted_setup_and_markdown_are_restored_in_place(root):
    nb = solved()
    nb.cells = [c for c in nb.cells if cells.grade_id(c) not in ("setup-intro", "setup", "summary")]
    hand_in(root, nb)
    it, _ = take(root)
    assert it.repairs == ["deleted teaching cells restored: setup-intro, setup, summary"]
    assert [c.id for c in taken(it).cells] == [c.id for c in solved().cells]


def test_deleted_answer_cell_gets_the_stub_and_is_reported(root):
    nb = solved()
    del nb.cells[index_of(nb, "ex3-central-difference")]
    hand_in(root, nb)
    it, _ = take(root)
    assert it.problems == [
        "the answer cell of exercise 3 (ex3-central-difference) is missing or out of order: "
        "its stub was inserted and scores 0; if the answer is elsewhere, grade it by hand"
    ]
    out = taken(it)
    stub = by_id(cells.read(layout.release_notebook(FIRST)))["ex3-central-difference"]
    assert out.cells[index_of(out, "ex3-central-difference")] == stub
    assert (
        index_of(out, "ex3-central-difference") == index_of(out, "ex3-central-difference-task") + 1
    )


# 5. Edited test cells


@pytest.mark.parametrize("source", ["assert True  # all good", ""])
def test_edited_test_cell_keeps_its_metadata(root, source):
    nb = solved()
    nb.cells[index_of(nb, "ex4-logsumexp-tests")].source = source
    hand_in(root, nb)
    it, _ = take(root)
    assert it.repairs == [
        "test cell ex4-logsumexp-tests was edited; the original was restored for grading"
    ]
    cell = by_id(taken(it))["ex4-logsumexp-tests"]
    assert (
        cell.source == source and cell.metadata == by_id(solved())["ex4-logsumexp-tests"].metadata
    )


# 6. nbgrader metadata stripped by an editor


def test_all_metadata_stripped_is_restored_by_matching_the_release(root):
    nb = solved()
    for cell in nb.cells:
        without_metadata(cell)
    hand_in(root, colab_save(nb))
    it, _ = take(root)
    restored = len(nb.cells) - 5  # every cell but the five typed-in answers
    assert it.repairs == [
        "saved by Google Colab as nbformat 4.0: converted to nbformat 4.5",
        *(
            f"the answer to exercise {k} ({ex.solution_id}) had no nbgrader metadata: "
            f"cell {index_of(solved(), ex.solution_id) + 1}, the first code cell after its task, "
            "is graded"
            for k, ex in enumerate(cells.exercises(solved()), 1)
        ),
        f"nbgrader metadata restored on {restored} cell(s) by their text",
    ]
    assert it.problems == []
    assert taken(it).cells == solved().cells, "graded exactly like the intact notebook"


def test_some_metadata_stripped(root):
    nb = solved()
    for gid in ("ex2-pairwise-sq-dists", "ex2-pairwise-sq-dists-tests", "title"):
        without_metadata(nb.cells[index_of(nb, gid)])
    hand_in(root, nb)
    it, _ = take(root)
    assert it.repairs == [
        "the answer to exercise 2 (ex2-pairwise-sq-dists) had no nbgrader metadata: "
        f"cell {index_of(solved(), 'ex2-pairwise-sq-dists') + 1}, the first code cell after "
        "its task, is graded",
        "nbgrader metadata restored on 2 cell(s) by their text",
    ]
    assert taken(it).cells == solved().cells


def test_answer_typed_into_a_new_cell_after_deleting_the_stub(root):
    nb = solved()
    answer = index_of(nb, "ex5-nearest-neighbors")
    scratch = nbformat.v4.new_code_cell("x = 1  # scratch")
    without_metadata(nb.cells[answer])
    nb.cells.insert(answer + 1, scratch)
    hand_in(root, nb)
    it, _ = take(root)
    out = taken(it)
    assert out.cells[index_of(out, "ex5-nearest-neighbors")].source == nb.cells[answer].source
    assert out.cells[index_of(out, "ex5-nearest-neighbors") + 1].source == scratch.source


def test_what_cannot_be_matched_is_reported(root):
    """Stripped metadata, and no code cell left where the answer belongs."""
    nb = solved()
    answer = index_of(nb, "ex1-broadcast-shape")
    del nb.cells[answer]
    without_metadata(nb.cells[answer])
    hand_in(root, nb)
    it, _ = take(root)
    assert it.repairs == ["nbgrader metadata restored on 1 cell(s) by their text"]
    assert it.problems == [
        "the answer cell of exercise 1 (ex1-broadcast-shape) is missing or out of order: "
        "its stub was inserted and scores 0; if the answer is elsewhere, grade it by hand"
    ]


def test_wrong_notebook_in_the_folder_is_flagged(root):
    hand_in(root, solved(SPARSE))  # 05's notebook handed in as 01
    it, _ = take(root)
    assert (
        f"less than half of the teaching cells of {FIRST} were found: is this the right "
        "notebook? The missing cells were restored; check it by hand"
    ) in it.problems


# 7. Files that are not notebooks, and folders that do not fit


@pytest.mark.parametrize(
    "content, why",
    [
        (b"", "is empty"),
        (b"  \n", "is empty"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "is a PDF, not a notebook"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\xff", "is a binary file, not a notebook"),
        (b"import torch\n\ndef f(x):\n    return x\n", "is a Python script, not a notebook"),
        (b'{"cells": [ this is not JSON', "is not valid JSON (Expecting value, line 1)"),
        (b'{"name": "not a notebook"}', "is JSON but not a Jupyter notebook"),
    ],
)
def test_not_a_notebook(root, content, why):
    hand_in(root, content)
    it, _ = take(root)
    assert it.notebook is None and not (root / "intake" / "alice").exists()
    assert it.problems == [f"{WHERE} {why}: not graded; {intake.DOWNLOAD}"]


def test_folder_without_a_notebook(root):
    hand_in(root, "my answers", name="answers.txt")
    (root / "submitted" / "alice" / FIRST / "data").mkdir()
    it, _ = take(root)
    assert it.notebook is None
    assert it.problems == [
        f"no notebook in submitted/alice/{FIRST} (found: answers.txt, data/): not graded; "
        f"ask the student to hand in {FIRST}.ipynb"
    ]


@pytest.mark.parametrize("student", ["Zoë Müller", "bob smith", "李雷"])
def test_odd_student_ids_are_fine(root, student):
    hand_in(root, solved(), student=student)
    it, other = take(root, student=student)
    assert other == [] and it.notebook == root / "intake" / student / FIRST / f"{FIRST}.ipynb"


def test_nothing_outside_the_course_is_read_or_written(root, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    hand_in(outside, solved(), student="mallory")  # outside/submitted/mallory/01-tensors/...
    submitted = root / "submitted"
    (submitted / "mallory").symlink_to(outside / "submitted" / "mallory")
    (submitted / "alias").symlink_to(submitted / "alice")
    hand_in(root, solved())
    (submitted / "bob" / FIRST).mkdir(parents=True)
    nbformat.write(solved(), outside / "x.ipynb")
    (submitted / "bob" / FIRST / f"{FIRST}.ipynb").symlink_to(outside / "x.ipynb")
    (submitted / "carol").mkdir()
    (submitted / "carol" / FIRST).symlink_to(submitted / "alice" / FIRST)
    hand_in(root, solved(), student=".hidden")
    (submitted / "notes.txt").write_text("a stray file")
    (submitted / ".DS_Store").write_bytes(b"\0")  # hidden files and checkpoints: skipped quietly
    (submitted / "alice" / ".ipynb_checkpoints").mkdir()
    (submitted / "alice" / FIRST / ".ipynb_checkpoints").mkdir()
    nbformat.write(solved(), submitted / "escape.ipynb")
    intakes, other = intake.take_in(root, [FIRST, SPARSE])
    assert other == [
        "submitted/.hidden: ignored: its name starts with '.' (hidden); "
        "rename it if it is a student's folder",
        "submitted/alias: ignored: a link, not followed; copy the files in if it is "
        "a student's folder",
        "submitted/carol/01-tensors: ignored: a link, not followed; copy the files in if it is "
        "an assignment folder",
        "submitted/escape.ipynb: ignored: a file where a student's folder belongs",
        "submitted/mallory: ignored: a link, not followed; copy the files in if it is "
        "a student's folder",
        "submitted/notes.txt: ignored: a file where a student's folder belongs",
    ]
    alice, bob = sorted(intakes, key=lambda it: it.student)
    assert alice.notebook.is_file() and bob.notebook is None
    assert bob.problems == [
        f"no notebook in submitted/bob/{FIRST} (found: {FIRST}.ipynb (a link, not followed)): "
        f"not graded; ask the student to hand in {FIRST}.ipynb"
    ]
    assert sorted(p.name for p in (root / "intake").iterdir()) == ["alice"]
    assert sorted(os.listdir(outside)) == ["submitted", "x.ipynb"]


def test_originals_are_never_modified(root):
    nb = solved()
    del nb.cells[index_of(nb, "setup")]
    hand_in(root, colab_save(nb), name="Copy of 01-tensors.ipynb")
    hand_in(root, b"")
    files = sorted(p for p in (root / "submitted").rglob("*") if p.is_file())
    before = {p: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in files}
    intake.take_in(root, [FIRST, SPARSE])
    assert sorted(p for p in (root / "submitted").rglob("*") if p.is_file()) == files
    assert {
        p: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in files
    } == before


def test_a_stale_copy_from_an_earlier_intake_is_removed(root):
    hand_in(root, solved())
    intake.take_in(root, [FIRST, SPARSE])
    shutil.rmtree(root / "submitted" / "alice")
    assert intake.take_in(root, [FIRST, SPARSE]) == ([], [])
    assert not (root / "intake" / "alice").exists()


# 8. Suspicious code: reported, never changed


TAMPERING = """\
import builtins
import numpy as np
import torch
import math
torch.allclose = lambda *args, **kwargs: True
np.testing.assert_allclose = None
setattr(torch, "allclose", None)
torch.testing.assert_close = print
builtins.print = None
__builtins__["len"] = None
del torch.testing.assert_close
class PeakNumel:
    pass
math = None
x = torch.ones(3)
x.grad = None
"""


def test_tampering_is_reported_not_changed(root):
    nb = solved()
    answer = index_of(nb, "ex1-broadcast-shape")
    nb.cells[answer].source += "\ntorch.allclose = lambda *a, **k: True"
    patched = len(nb.cells[answer].source.splitlines())
    nb.cells.insert(answer + 2, nbformat.v4.new_code_cell(TAMPERING))
    nb.cells.insert(answer + 3, nbformat.v4.new_code_cell("def broken(:\n    pass"))
    nb.cells.insert(answer + 4, copy.deepcopy(by_id(nb)["setup"]))  # a copy of setup: harmless
    nb.cells[answer + 4].id = "setup-again"
    edited = nb.cells[index_of(nb, "ex2-pairwise-sq-dists-tests")]
    edited.source = "torch.allclose = None"  # in a test cell: nbgrader restores it anyway
    hand_in(root, nb)
    it, _ = take(root)
    cell, end = f"cell {answer + 3}", "; check it by hand"
    changes = "which changes the imported `{}` for the tests too"
    assert it.suspicious == [
        f"answer ex1-broadcast-shape (cell {answer + 1}), line {patched}: "
        "assigns to `torch.allclose`, " + changes.format("torch") + end,
        f"{cell}, line 5: assigns to `torch.allclose`, " + changes.format("torch") + end,
        f"{cell}, line 6: assigns to `np.testing.assert_allclose`, " + changes.format("np") + end,
        f"{cell}, line 7: calls setattr on `torch`, " + changes.format("torch") + end,
        f"{cell}, line 8: assigns to `torch.testing.assert_close`, "
        + changes.format("torch")
        + end,
        f"{cell}, line 9: assigns to `builtins.print`, "
        "which changes Python's builtins for the tests too" + end,
        f"{cell}, line 10: assigns to `__builtins__['len']`, "
        "which changes Python's builtins for the tests too" + end,
        f"{cell}, line 11: deletes `torch.testing.assert_close`, " + changes.format("torch") + end,
        f"{cell}, line 12: redefines `PeakNumel`, which the tests take from the teaching cells"
        + end,
        f"{cell}, line 14: redefines `math`, which the tests take from the teaching cells" + end,
        f"cell {answer + 4} does not parse (line 1: invalid syntax)",
    ]
    sources = [c.source for c in taken(it).cells]
    assert TAMPERING in sources and "torch.allclose = None" in sources


def test_redefining_a_name_in_a_function_is_fine_unless_global(root):
    nb = solved()
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "def f(torch):\n    math = 1\n    return torch\n\n"
            "def g():\n    global torch\n    torch = None\n"
        )
    )
    hand_in(root, nb)
    it, _ = take(root)
    assert it.suspicious == [
        f"cell {len(nb.cells)}, line 6: rebinds `torch` from a function (global), which the "
        "tests use; check it by hand"
    ]


def test_names_only_the_hidden_tests_use_are_guarded_too(root):
    nb = solved()
    nb.cells.append(nbformat.v4.new_code_cell('device = "cpu"'))  # 01's hidden tests use it
    hand_in(root, nb)
    it, _ = take(root)
    assert it.suspicious == [
        f"cell {len(nb.cells)}, line 1: redefines `device`, which the tests take from the "
        "teaching cells; check it by hand"
    ]
    shutil.rmtree(root / layout.SOURCE_DIR)  # only the release: its visible tests
    assert take(root)[0].suspicious == []


# Idempotence and the report


def messy(assignment=FIRST):
    """Colab format, stripped metadata, a copied test, a deleted and an edited test cell."""
    nb = solved(assignment)
    exercises = cells.exercises(nb)
    tests = [index_of(nb, ex.test_id) for ex in exercises]
    nb.cells[tests[0]].source = ""
    nb.cells.insert(tests[1], copy.deepcopy(nb.cells[tests[1]]))
    nb.cells[tests[1]].id = "copied"
    del nb.cells[index_of(nb, exercises[2].test_id)]
    without_metadata(nb.cells[index_of(nb, exercises[-1].solution_id)])
    nb.cells.append(nbformat.v4.new_markdown_cell("my notes"))
    return colab_save(nb)


def test_taking_in_twice_changes_nothing(root, assignment):
    hand_in(root, messy(assignment), folder=assignment)
    first, _ = take(root, assignment=assignment)
    assert len(first.repairs) == 5, first.repairs
    hand_in(root, first.notebook.read_text(), student="bob", folder=assignment)
    second, _ = take(root, student="bob", assignment=assignment)
    assert second.notebook.read_text() == first.notebook.read_text()
    assert second.repairs == [r for r in first.repairs if "was edited" in r]  # still edited


def test_report_is_grouped_per_student_and_repeatable(root):
    hand_in(root, messy())
    hand_in(root, b"", student="bob")
    hand_in(root, solved(SPARSE), folder=SPARSE)
    (root / "submitted" / "stray.txt").write_text("")
    report = intake.write_report(root, *intake.take_in(root, [FIRST, SPARSE])).read_text()
    assert report == intake.write_report(root, *intake.take_in(root, [FIRST, SPARSE])).read_text()
    lines = report.splitlines()
    assert lines[0].startswith("Intake of submitted/: 3 submission(s), 2 to grade, 1 not gradable")
    assert lines[2:5] == [
        "Not taken in:",
        "  submitted/stray.txt: ignored: a file where a student's folder belongs",
        "",
    ]
    assert lines[5:7] == ["alice", f"  {FIRST}: to grade"]
    assert lines[12:] == [
        f"  {SPARSE}: to grade",
        "bob",
        f"  {FIRST}: NOT GRADED",
        f"    problem: submitted/bob/{FIRST}/{FIRST}.ipynb is empty: not graded; {intake.DOWNLOAD}",
    ]
