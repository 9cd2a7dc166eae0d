"""nbgrader preprocessor for feedback: students see their scores, never the hidden tests."""

from nbgrader.preprocessors import NbGraderPreprocessor

from .cells import BEGIN_HIDDEN, END_HIDDEN, strip_lines


class RedactHiddenTests(NbGraderPreprocessor):
    """Drop hidden-test regions from test cells, and the tracebacks that would quote them.

    An error keeps its type and message (written for the student); the traceback lines,
    which show the source around the failing line, are replaced by a one-line note.
    """

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or BEGIN_HIDDEN not in cell.source:
            return cell, resources
        cell.source = strip_lines(cell.source, BEGIN_HIDDEN, END_HIDDEN, keep_inside=False)
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                output.traceback = [
                    f"{output.ename}: {output.evalue}",
                    "(a hidden test failed; its source is not shown)",
                ]
        return cell, resources
