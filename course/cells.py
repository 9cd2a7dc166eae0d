"""Reading course notebooks: nbgrader cell roles, exercises, solution regions."""

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
HEADING = re.compile(r"^#+\s*Exercise\s+(\d+):\s*(.+?)\s*\((\d+)\s+points?\)\s*$", re.M)


class NotebookError(Exception):
    """A notebook that cannot be read; the message says which file and why."""


def read(path: Path) -> nbformat.NotebookNode:
    """Read a notebook, turning every way it can be broken into one clear error."""
    try:
        return nbformat.read(path, as_version=4)
    except FileNotFoundError:
        raise NotebookError(f"{path}: file not found") from None
    except Exception as err:  # nbformat raises several types for bad JSON or schema
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise NotebookError(f"{path}: not a readable notebook ({first_line})") from None


def write(nb: nbformat.NotebookNode, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def grade_id(cell) -> str | None:
    return meta(cell).get("grade_id")


def is_solution(cell) -> bool:
    return bool(meta(cell).get("solution"))


def is_locked(cell) -> bool:
    return bool(meta(cell).get("locked"))


def is_test(cell) -> bool:
    return cell.cell_type == "code" and bool(meta(cell).get("grade"))


def cells_by_id(nb) -> dict[str, object]:
    return {grade_id(c): c for c in nb.cells if grade_id(c)}


def marked_lines(source: str, begin: str, end: str):
    """Yield (line, where) with where one of "marker", "inside", "outside" a begin/end region."""
    inside = False
    for line in source.splitlines():
        if begin in line or end in line:
            inside = begin in line
            yield line, "marker"
        else:
            yield line, "inside" if inside else "outside"


def strip_lines(source: str, begin: str, end: str, keep_inside: bool) -> str:
    """Drop the marker lines of begin/end regions, and the region itself unless keep_inside."""
    keep = {"outside", "inside"} if keep_inside else {"outside"}
    return "\n".join(line for line, where in marked_lines(source, begin, end) if where in keep)


def region_lines(source: str, begin: str, end: str) -> list[str]:
    """The lines strictly between begin and end markers (e.g. a solution region)."""
    return [line for line, where in marked_lines(source, begin, end) if where == "inside"]


LEAK_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "MARK SCHEME")
TRIVIAL = 12  # shorter lines (`return x`, `else:`) can appear in a stub by coincidence


SOLUTION_REGION, HIDDEN_REGION = (BEGIN_SOLUTION, END_SOLUTION), (BEGIN_HIDDEN, END_HIDDEN)


def secret_lines(nb, regions=(SOLUTION_REGION, HIDDEN_REGION)) -> set[str]:
    """Non-trivial lines of the solution and hidden-test regions that appear nowhere else
    in the source notebook `nb`: any of them in a student-facing file is a leak."""
    secret, public = set(), set()
    for cell in nb.cells:
        outside = cell.source
        for begin, end in regions:
            secret |= {line.strip() for line in region_lines(cell.source, begin, end)}
            outside = strip_lines(outside, begin, end, keep_inside=False)
        public |= {line.strip() for line in outside.splitlines()}
    return {line for line in secret - public if len(line) >= TRIVIAL}


def leaks(text: str, secrets: set[str]) -> list[str]:
    """The markers and secret lines that `text` shows."""
    markers = [marker for marker in LEAK_MARKERS if marker in text]
    return markers + sorted(secrets & {line.strip() for line in text.splitlines()})


def python_source(source: str) -> str:
    """Cell source with IPython magics and shell lines replaced by `pass`, for ast."""
    return re.sub(r"^(\s*)[%!].*$", r"\1pass", source, flags=re.M)


@dataclass(frozen=True)
class Exercise:
    number: int
    title: str
    points: int  # as stated in the heading
    solution_id: str
    test_id: str


def exercises(nb) -> list[Exercise]:
    """Exercises as laid out by CONTRIBUTING.md: heading cell, solution cell, test cell."""
    found = []
    for i, cell in enumerate(nb.cells):
        match = HEADING.search(cell.source) if cell.cell_type == "markdown" else None
        if not match:
            continue
        solution = nb.cells[i + 1] if i + 1 < len(nb.cells) else None
        test = nb.cells[i + 2] if i + 2 < len(nb.cells) else None
        found.append(
            Exercise(
                number=int(match[1]),
                title=match[2],
                points=int(match[3]),
                solution_id=grade_id(solution) if solution is not None else None,
                test_id=grade_id(test) if test is not None else None,
            )
        )
    return found
