"""The student versions: in sync with solutions/, pointing at themselves, leaking nothing."""

import html as html_lib
import re

import pytest

from course import cells, examples, layout, release

from . import fixture_course as fx

SOLUTION, HIDDEN = cells.SOLUTION_REGION, cells.HIDDEN_REGION


def test_release_is_in_sync(assignment, fresh_release):
    committed = layout.release_notebook(assignment)
    regenerated = layout.release_notebook(assignment, fresh_release)
    assert committed.is_file(), f"{committed} is missing: run make release"
    assert committed.read_text() == regenerated.read_text(), (
        f"{committed.relative_to(layout.ROOT)} is out of date with solutions/: run make release"
    )


def test_badge_opens_own_student_version(assignment):
    for path in (layout.source_notebook(assignment), layout.release_notebook(assignment)):
        first = cells.read(path).cells[0].source
        assert layout.colab_url(assignment) in first, (
            f"{path.name}: the Colab badge must open {layout.colab_url(assignment)}: "
            "run make release"
        )


def secret_lines(assignment: str, regions=(SOLUTION, HIDDEN)) -> set[str]:
    return cells.secret_lines(cells.read(layout.source_notebook(assignment)), regions)


def test_student_version_leaks_nothing(assignment):
    student = cells.read(layout.release_notebook(assignment))
    text = "\n".join(cell.source for cell in student.cells)
    shown = cells.leaks(text, secret_lines(assignment))
    assert not shown, f"the student version of {assignment} shows: {shown[:3]}"


def test_feedback_leaks_nothing(demo_course):
    """No feedback shows hidden tests; a blank submission's feedback shows no solution either.

    A line the student wrote themselves is theirs to see, even if a hidden test has it too.
    """
    course_dir, _ = demo_course
    pages = sorted((course_dir / "feedback").glob("*/*/*.html"))
    assert pages, "the demo wrote no feedback"
    for page in pages:
        student, assignment = page.parent.parent.name, page.parent.name
        regions = (SOLUTION, HIDDEN) if student == examples.BLANK else (HIDDEN,)
        text = html_lib.unescape(re.sub(r"<[^>]+>", "", page.read_text()))
        handed_in = course_dir / "submitted" / student / assignment / f"{assignment}.ipynb"
        own = {line.strip() for c in cells.read(handed_in).cells for line in c.source.splitlines()}
        shown = cells.leaks(text, secret_lines(assignment, regions) - own)
        assert not shown, f"{page} shows: {shown[:3]}"


def test_release_audits_the_other_files(tmp_path):
    """nbgrader copies other files of solutions/<assignment>/ into the release as they are."""
    root = fx.make_course(tmp_path)
    source = layout.source_notebook(fx.ASSIGNMENT, root).parent
    (source / "data.csv").write_text("x,y\n1,2\n")
    release.release(root, [fx.ASSIGNMENT])
    assert (layout.release_notebook(fx.ASSIGNMENT, root).parent / "data.csv").is_file()
    (source / "reference.py").write_text(fx.SOLUTIONS["ex2-norm"])  # a solution, verbatim
    with pytest.raises(RuntimeError, match="reference.py would show students"):
        release.release(root, [fx.ASSIGNMENT])
    assert not (layout.release_notebook(fx.ASSIGNMENT, root).parent / "reference.py").exists()
