"""Issue 22: feedback that names the mistake. Every block of examples/mistakes/ and
examples/alternatives/ is graded with the real pipeline (`python -m course grade`, 2 workers)
in one temporary course directory: one student per round k (the k-th mistake, or the k-th
alternative, of every exercise; the other answers are the instructor's).

A mistake must lose exactly its exercise's points and nothing else, and its test cell's
error in the student's feedback must contain the block's Diagnosis text; an alternative must
get full marks. Only the assignments of the selected tests are graded (`-k 01` grades one).
"""

import html
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from course import cells, examples, grading, layout, release
from tests.conftest import ASSIGNMENTS, run_course

MIN_MISTAKES = 3  # per exercise: the typical one and two more (issue 22)


def cases(kind: str) -> list[tuple[str, int]]:
    """(assignment, k) for every round k of `kind` that examples/ holds now."""
    return [
        (assignment, k)
        for assignment in ASSIGNMENTS
        for k in range(1, len(examples.rounds(assignment, kind)) + 1)
    ]


def case_id(case: tuple[str, int]) -> str:
    return f"{case[0]}-round{case[1]}"


@dataclass(frozen=True)
class Graded:
    course_dir: Path
    made: dict  # (student, assignment) -> {grade_id: Block}

    def blocks(self, kind: str, assignment: str, k: int) -> dict[str, examples.Block]:
        return self.made[examples.round_student(kind, k), assignment]

    def scores(self, kind: str, assignment: str, k: int) -> dict[str, tuple[float, float]]:
        """Test-cell grade id -> (score, max score) from the gradebook."""
        student = examples.round_student(kind, k)
        with grading.gradebook(self.course_dir) as gb:
            sub = gb.find_submission_notebook(assignment, assignment, student)
            return {g.name: (g.score, g.max_score) for g in sub.grades}

    def feedback(self, kind: str, assignment: str, k: int) -> str:
        student = examples.round_student(kind, k)
        page = self.course_dir / "feedback" / student / assignment / f"{assignment}.html"
        return page.read_text()


def selected_assignments(session) -> list[str]:
    """The assignments that the selected tests of this module need graded."""
    wanted = set()
    for item in session.items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if "graded" in getattr(item, "fixturenames", ()) and "case" in params:
            wanted.add(params["case"][0])
    return sorted(wanted)


@pytest.fixture(scope="session")
def graded(request, tmp_path_factory) -> Graded:
    """The diagnostics class of the selected assignments, graded once."""
    course_dir = tmp_path_factory.mktemp("diagnostics")
    assignments = selected_assignments(request.session)
    for assignment in assignments:
        source = layout.ROOT / layout.SOURCE_DIR / assignment
        shutil.copytree(source, course_dir / layout.SOURCE_DIR / assignment)
    release.release(course_dir, assignments)
    made = examples.write_round_submissions(course_dir, assignments)
    done = run_course("grade", "--course-dir", str(course_dir), "--jobs", "2")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return Graded(course_dir, made)


def exercise_tests(assignment: str) -> dict[str, str]:
    """Solution grade id -> the grade id of its exercise's test cell."""
    nb = cells.read(layout.source_notebook(assignment))
    return {ex.solution_id: ex.test_id for ex in cells.exercises(nb)}


def where(block: examples.Block, kind: str, assignment: str) -> str:
    path = examples.blocks_path(assignment, kind).relative_to(layout.ROOT)
    return f"{block.grade_id} {block.slug or '(no slug)'} ({path}:{block.line})"


def error_shown(page: str, test_id: str) -> str:
    """The text of the outputs of test cell `test_id` in a feedback page, whitespace
    collapsed (nbgrader's feedback template: an anchor per grade cell, then its outputs)."""
    start = page.find(f'<a name="{test_id}"></a>')
    if start < 0:
        return ""
    end = page.find('<div class="cell border-box-sizing', start)
    cell = page[start : end if end > 0 else len(page)]
    _, _, outputs = cell.partition('class="output_wrapper">')
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", outputs)).split())


@pytest.mark.parametrize("case", cases(examples.MISTAKES), ids=case_id)
def test_each_mistake_loses_exactly_its_exercise(graded, case):
    assignment, k = case
    made = graded.blocks(examples.MISTAKES, assignment, k)
    tests = exercise_tests(assignment)
    wrong = {tests[gid]: block for gid, block in made.items() if gid in tests}
    problems = []
    for test_id, (score, max_score) in graded.scores(examples.MISTAKES, assignment, k).items():
        if test_id in wrong and score != 0:
            block = where(wrong[test_id], examples.MISTAKES, assignment)
            problems.append(f"{block}: {test_id} gave {score:g} / {max_score:g}, expected 0")
        elif test_id not in wrong and score != max_score:
            problems.append(
                f"{test_id} lost points ({score:g} / {max_score:g}) though its answer is the "
                f"instructor's: does it depend on another exercise's answer? (mistakes: "
                f"{', '.join(b.slug or b.grade_id for b in made.values())})"
            )
    assert not problems, f"{assignment}, mistakes round {k}:\n" + "\n".join(problems)


@pytest.mark.parametrize("case", cases(examples.MISTAKES), ids=case_id)
def test_feedback_names_each_mistake(graded, case):
    assignment, k = case
    page = graded.feedback(examples.MISTAKES, assignment, k)
    tests = exercise_tests(assignment)
    problems = []
    for gid, block in graded.blocks(examples.MISTAKES, assignment, k).items():
        if block.diagnosis is None or gid not in tests:
            continue  # reported by test_every_exercise_has_named_mistakes / _name_answers
        shown = error_shown(page, tests[gid])
        if " ".join(block.diagnosis.split()) not in shown:
            problems.append(
                f"{where(block, examples.MISTAKES, assignment)}: the feedback of {tests[gid]} "
                f"should say {block.diagnosis!r}; it shows {shown[-400:]!r}"
            )
    assert not problems, f"{assignment}, mistakes round {k}:\n" + "\n".join(problems)


@pytest.mark.parametrize("case", cases(examples.ALTERNATIVES), ids=case_id)
def test_every_alternative_gets_full_marks(graded, case):
    assignment, k = case
    made = graded.blocks(examples.ALTERNATIVES, assignment, k)
    page = graded.feedback(examples.ALTERNATIVES, assignment, k)
    lost = [
        f"{test_id}: {score:g} / {max_score:g}; it shows {error_shown(page, test_id)[-400:]!r}"
        for test_id, (score, max_score) in graded.scores(
            examples.ALTERNATIVES, assignment, k
        ).items()
        if score != max_score
    ]
    slugs = ", ".join(where(b, examples.ALTERNATIVES, assignment) for b in made.values())
    assert not lost, f"{assignment}, alternatives round {k} ({slugs}):\n" + "\n".join(lost)


def test_blocks_name_answer_cells(assignment):
    """Every block replaces a solution cell of its notebook; alternatives diagnose nothing."""
    answers = set(exercise_tests(assignment))
    for kind in (examples.MISTAKES, examples.ALTERNATIVES):
        for block in examples.blocks(assignment, kind):
            assert block.grade_id in answers, (
                f"{where(block, kind, assignment)}: no solution cell has that grade id"
            )
            if kind == examples.ALTERNATIVES:
                assert block.diagnosis is None, f"{where(block, kind, assignment)}: a Diagnosis"


def test_every_exercise_has_named_mistakes(assignment):
    """Issue 22: at least three mistakes per exercise, each with a slug and a Diagnosis."""
    made = {gid: [] for gid in exercise_tests(assignment)}
    for block in examples.blocks(assignment, examples.MISTAKES):
        made.setdefault(block.grade_id, []).append(block)
    problems = [
        f"{gid}: {len(found)} mistake block(s), at least {MIN_MISTAKES} wanted"
        for gid, found in made.items()
        if len(found) < MIN_MISTAKES
    ]
    for found in made.values():
        slugs = [b.slug for b in found]
        problems += [
            f"{where(b, examples.MISTAKES, assignment)}: needs a slug and a Diagnosis line"
            for b in found
            if not b.slug or not b.diagnosis
        ]
        problems += [
            f"{found[0].grade_id}: slug {s!r} used twice"
            for s in set(slugs)
            if s and slugs.count(s) > 1
        ]
    assert not problems, f"examples/mistakes/{assignment}.py:\n" + "\n".join(problems)


def test_every_exercise_has_an_alternative(assignment):
    """Issue 22, part 4: a correct answer written another way, for every exercise."""
    have = {block.grade_id for block in examples.blocks(assignment, examples.ALTERNATIVES)}
    missing = sorted(set(exercise_tests(assignment)) - have)
    assert not missing, f"examples/alternatives/{assignment}.py: none for {missing}"
