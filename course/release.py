"""`make release`: build the student notebooks in notebooks/ from solutions/ with nbgrader."""

import re
from pathlib import Path

from . import cells, colab_guard, layout
from .nbgrader_api import NbGrader, failure

COLAB_LINK = re.compile(r"https://colab\.research\.google\.com/github/[^)\s]+")


def stamp_badge(assignment: str, root: Path) -> bool:
    """Point the Colab badge of a solution notebook at its student version; True if changed."""
    path = layout.source_notebook(assignment, root)
    nb = cells.read(path)
    url = layout.colab_url(assignment)
    changed = False
    for cell in nb.cells:
        if cell.cell_type == "markdown" and COLAB_LINK.search(cell.source):
            new = COLAB_LINK.sub(url, cell.source)
            changed |= new != cell.source
            cell.source = new
    if changed:
        cells.write(nb, path)
    return changed


def release(root: Path = layout.ROOT, assignments: list[str] | None = None) -> NbGrader:
    """Generate the student version of each assignment (and record it in the gradebook)."""
    nbgrader = NbGrader(root)
    for assignment in assignments or layout.assignments(root):
        if stamp_badge(assignment, root):
            print(f"  {assignment}: Colab badge now points at {layout.colab_url(assignment)}")
        if colab_guard.stamp(assignment, root):
            print(f"  {assignment}: Colab guard written from course/colab_guard.py")
        result = nbgrader.generate_assignment(assignment)
        if not result["success"]:
            raise RuntimeError(f"nbgrader could not release {assignment}: {failure(result)}")
        print(f"  released {layout.release_notebook(assignment, root).relative_to(root)}")
        audit_other_files(assignment, root)
    return nbgrader


def audit_other_files(assignment: str, root: Path) -> None:
    """nbgrader copies every other file of solutions/<assignment>/ into the release as it
    is: refuse to publish one that shows a marker or a line of a solution or hidden test."""
    notebook = layout.release_notebook(assignment, root)
    secrets = cells.secret_lines(cells.read(layout.source_notebook(assignment, root)))
    for path in sorted(p for p in notebook.parent.rglob("*") if p.is_file() and p != notebook):
        try:
            shown = cells.leaks(path.read_text(), secrets)
        except UnicodeDecodeError:
            shown = []  # binary data: no code to leak
        if shown:
            path.unlink()
            raise RuntimeError(
                f"{path.relative_to(root)} would show students {shown[0]!r}: it was removed "
                f"from the release; take it out of {layout.SOURCE_DIR}/{assignment}/ or strip "
                "the solution from it, then release again"
            )
        print(f"  released {path.relative_to(root)} (checked: no solution or hidden test)")
