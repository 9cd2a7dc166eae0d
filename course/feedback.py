"""Feedback a student can act on (nbgrader's GenerateFeedback, configured in nbgrader_config.py).

RedactHiddenTests keeps every failure a student can fix (a visible assert, a shape error in
a visible line, an answer never filled in) with its traceback, and hides only what the
hidden tests are: their source, and the traceback of a failure raised inside them (the
message stays). It also writes the summary at the top of the page: one line per exercise,
its score and the kind of check that failed. RenderMath turns the notebook's LaTeX into
MathML, which browsers draw themselves: the page needs no network and no JavaScript
(nbconvert's template would load MathJax from a CDN; templates/feedback drops it).
"""

import re
from dataclasses import asdict, dataclass
from pathlib import Path

import nbgrader
from latex2mathml.converter import convert as latex_to_mathml
from nbgrader.preprocessors import NbGraderPreprocessor

from . import cells
from .preprocessors import is_guard

# nbgrader's API insists on its template *folder* "feedback"; ours, templates/feedback, goes
# first on the search path, so its mathjax.html.j2 wins, and our page extends nbgrader's.
TEMPLATES = Path(__file__).parent / "templates"  # HTMLExporter.extra_template_basedirs
TEMPLATE_FILE = "course-feedback.html.j2"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
FRAME = re.compile(r"^Cell In\[(\d+)\], line (\d+)")  # IPython's header of a cell's frame
GUTTER = re.compile(r"^\s*(?:-+>\s*)?(\d+)\s")  # "----> 3 code" or "      4 code"
HIDDEN_NOTE = "(raised by a hidden check; its source is not shown)"


@dataclass
class Check:
    """One test cell as the summary shows it."""

    grade_id: str
    label: str  # "Exercise 2 · pairwise_sq_dists"
    score: float
    points: float
    verdict: str  # what failed, in words; "passed" when nothing did

    @property
    def passed(self) -> bool:
        return self.score >= self.points


def exercise_labels(nb) -> dict[str, str]:
    """Test cell grade id -> "Exercise N · title", from the heading above each answer."""
    labels, heading = {}, None
    for cell in nb.cells:
        match = cells.HEADING.search(cell.source) if cell.cell_type == "markdown" else None
        if match:
            heading = f"Exercise {match[1]} · {match[2]}"
        elif cells.is_test(cell):
            labels[cells.grade_id(cell)] = heading or f"Test {cells.grade_id(cell)}"
    return labels


def hidden_line_numbers(source: str) -> set[int]:
    """1-based numbers of the lines of hidden-test regions, markers included."""
    marked = cells.marked_lines(source, cells.BEGIN_HIDDEN, cells.END_HIDDEN)
    return {n for n, (_, where) in enumerate(marked, 1) if where != "outside"}


def raising_line(traceback: list[str], execution_count) -> int | None:
    """The line of the test cell that raised: from IPython's frame for that cell."""
    for entry in traceback:
        if own_frame(entry, execution_count):
            return int(FRAME.match(ANSI.sub("", entry))[2])
    return None


def own_frame(entry: str, execution_count) -> bool:
    match = FRAME.match(ANSI.sub("", entry))
    return bool(match) and (execution_count is None or int(match[1]) == execution_count)


def without_hidden_lines(entry: str, hidden: set[int], secret: set[str], own: bool) -> str:
    """A traceback entry less the context lines that quote a hidden test: by line number
    in the test cell's own frame, by content anywhere."""
    kept = []
    for line in entry.split("\n"):
        plain = ANSI.sub("", line)
        number = GUTTER.match(plain)
        quoted = plain[number.end() :].strip() if number else plain.strip()
        if not (own and number and int(number[1]) in hidden) and quoted not in secret:
            kept.append(line)
    return "\n".join(kept)


def verdict(error, hidden_failure: bool) -> str:
    message = f"{error.ename}: {error.evalue}".rstrip(": ")
    if error.ename == "NotImplementedError":
        return "not answered yet: the answer cell still raises NotImplementedError"
    if hidden_failure:
        return f"a hidden check failed ({message})"
    if error.ename == "AssertionError":
        return f"a visible test failed ({message})"
    if raising_line(error.traceback, None) is None:
        return f"the test did not run to the end ({message})"
    return f"a visible test raised {message}"


class RedactHiddenTests(NbGraderPreprocessor):
    """Feedback: drop the autograder's guard cells and the hidden-test regions; keep the
    traceback of each failure a visible line raised; redact only the traceback of one a
    hidden line raised; name each exercise and what failed in resources["course_feedback"]
    (the summary of templates/feedback)."""

    def preprocess(self, nb, resources):
        # Our guard cells (course.preprocessors.GuardTests) never reach a student.
        nb.cells = [cell for cell in nb.cells if not is_guard(cell)]
        self.labels, self.checks = exercise_labels(nb), []
        self.secret = cells.secret_lines(nb, (cells.HIDDEN_REGION,))
        nb, resources = super().preprocess(nb, resources)
        resources["course_feedback"] = [asdict(c) | {"passed": c.passed} for c in self.checks]
        return nb, resources

    def preprocess_cell(self, cell, resources, index):
        if not cells.is_test(cell):
            return cell, resources
        hidden = hidden_line_numbers(cell.source)
        found = None
        for output in cell.get("outputs", []):
            if output.output_type != "error":
                continue
            count = cell.get("execution_count")
            line = raising_line(output.traceback, count)
            hidden_failure = line in hidden
            found = found or verdict(output, hidden_failure)
            if hidden_failure and output.ename != "NotImplementedError":
                output.traceback = [f"{output.ename}: {output.evalue}", HIDDEN_NOTE]
            else:
                output.traceback = [
                    without_hidden_lines(e, hidden, self.secret, own_frame(e, count))
                    for e in output.traceback
                ]
        if hidden:
            cell.source = cells.strip_lines(cell.source, *cells.HIDDEN_REGION, keep_inside=False)
        self.checks.append(self.check(cell, found))
        return cell, resources

    def check(self, cell, found: str | None) -> Check:
        grades = cells.meta(cell)
        score, points = float(grades.get("score") or 0), float(grades.get("points") or 0)
        if found is None:
            found = "passed" if score >= points else "points lost (see the cell below)"
        label = self.labels.get(cells.grade_id(cell), cells.grade_id(cell))
        return Check(cells.grade_id(cell), label, score, points, found)


# $$display$$ and $inline$ math, not escaped, not inside code (protected first).
CODE = re.compile(r"(```.*?```|~~~.*?~~~|`[^`\n]+`)", re.S)
DISPLAY = re.compile(r"(?<!\\)\$\$(.+?)(?<!\\)\$\$", re.S)
INLINE = re.compile(r"(?<![\\$])\$(?![\s$])(.+?)(?<![\\\s$])\$(?!\d)")


def mathml(tex: str, display: str) -> str:
    """MathML for `tex`; the TeX itself, in code, where it cannot be converted."""
    try:
        return latex_to_mathml(tex.strip(), display=display)
    except Exception:  # latex2mathml raises many types for TeX it does not know
        delimiter = "$$" if display == "block" else "$"
        return f"<code>{delimiter}{tex}{delimiter}</code>"


def render_math(markdown: str) -> str:
    parts = CODE.split(markdown)
    for i in range(0, len(parts), 2):  # even parts are outside code
        text = DISPLAY.sub(lambda m: "\n" + mathml(m[1], "block") + "\n", parts[i])
        parts[i] = INLINE.sub(lambda m: mathml(m[1], "inline"), text)
    return "".join(parts)


class RenderMath(NbGraderPreprocessor):
    """Markdown cells' LaTeX as MathML, so that math renders offline."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown":
            cell.source = render_math(cell.source)
        return cell, resources


def nbgrader_templates() -> list[str]:
    """nbgrader's own template folder (its feedback template, which ours extends): setting
    HTMLExporter.extra_template_basedirs replaces the default that points there."""
    return [str(Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates")]
