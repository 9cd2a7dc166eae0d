"""The student versions: in sync with solutions/, pointing at themselves, leaking nothing."""

import html as html_lib
import re

from course import cells, examples, layout

LEAK_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "MARK SCHEME")
SOLUTION = (cells.BEGIN_SOLUTION, cells.END_SOLUTION)
HIDDEN = (cells.BEGIN_HIDDEN, cells.END_HIDDEN)
TRIVIAL = 12  # shorter lines (`return x`, `else:`) can appear in a stub by coincidence


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
    """Non-trivial lines of solution or hidden-test regions that appear nowhere else."""
    nb = cells.read(layout.source_notebook(assignment))
    secret, public = set(), set()
    for cell in nb.cells:
        outside = cell.source
        for begin, end in regions:
            secret |= {line.strip() for line in cells.region_lines(cell.source, begin, end)}
            outside = cells.strip_lines(outside, begin, end, keep_inside=False)
        public |= {line.strip() for line in outside.splitlines()}
    return {line for line in secret - public if len(line) >= TRIVIAL}


def shown_secrets(text: str, secrets: set[str]) -> list[str]:
    markers = [marker for marker in LEAK_MARKERS if marker in text]
    return markers + sorted(secrets & {line.strip() for line in text.splitlines()})


def test_student_version_leaks_nothing(assignment):
    student = cells.read(layout.release_notebook(assignment))
    text = "\n".join(cell.source for cell in student.cells)
    shown = shown_secrets(text, secret_lines(assignment))
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
        shown = shown_secrets(text, secret_lines(assignment, regions) - own)
        assert not shown, f"{page} shows: {shown[:3]}"
