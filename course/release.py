"""`make release`: build the student notebooks in notebooks/ from solutions/ with nbgrader."""

import re
import shutil
from pathlib import Path

from . import cells, colab_guard, layout, state
from .nbgrader_api import NbGrader, failure, log_text

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
    records = state.State(root)
    for assignment in assignments or layout.assignments(root):
        release_one(nbgrader, assignment, records)
    return nbgrader


def release_changed(root: Path, assignments: list[str], records: state.State) -> int:
    """Release the assignments whose source changed since they were last released (or
    that are not in the gradebook); return how many were released."""
    nbgrader = NbGrader(root)
    with nbgrader.gradebook() as gb:
        known = {a.name for a in gb.assignments}
    changed = [
        a
        for a in assignments
        if a not in known
        or records.releases.get(a) != state.source_fingerprint(root, a)
        or not layout.release_notebook(a, root).is_file()
    ]
    for assignment in changed:
        release_one(nbgrader, assignment, records)
    return len(changed)


def release_one(nbgrader: NbGrader, assignment: str, records: state.State) -> None:
    """Release one assignment. If nbgrader fails, the previous release stays in place and
    the error says why, with nbgrader's own log kept in grading-state/logs/release/."""
    root = nbgrader.root
    if colab_guard.stamp(assignment, root):
        print(f"  {assignment}: Colab guard cell written from course/colab_guard.py")
    if stamp_badge(assignment, root):
        print(f"  {assignment}: Colab badge now points at {layout.colab_url(assignment)}")
    folder = layout.release_notebook(assignment, root).parent
    backup = root / state.STATE_DIR / "release-backup" / assignment
    shutil.rmtree(backup, ignore_errors=True)
    if folder.is_dir():
        shutil.copytree(folder, backup, symlinks=True)
    result = nbgrader.generate_assignment(assignment)
    if not result["success"]:
        if backup.is_dir():  # nbgrader deletes the old release before it writes the new one
            shutil.rmtree(folder, ignore_errors=True)
            shutil.copytree(backup, folder, symlinks=True)
        raise RuntimeError(release_failure(root, assignment, result))
    shutil.rmtree(backup, ignore_errors=True)
    print(f"  released {layout.release_notebook(assignment, root).relative_to(root)}")
    audit_other_files(assignment, root)
    records.releases[assignment] = state.source_fingerprint(root, assignment)
    records.save()


def release_failure(root: Path, assignment: str, result: dict) -> str:
    """What to tell the instructor when nbgrader cannot release an assignment."""
    log = state.log_path(root, "release", assignment)
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(log_text(result) + "\n")
    why = failure(result)
    text = f"nbgrader could not release {assignment}: {why}\n  (nbgrader's log: {log})"
    if "Cannot add or remove cells" in why:
        text += (
            f"\n  nbgrader stores grades per cell, so once {assignment} has submissions in the "
            "gradebook its cells may change their text (then `make grade` regrades what the "
            "change affects) but cells may not be added or removed.\n  Either undo the added "
            "or removed cell (put an erratum into an existing cell), or start the assignment's "
            f"grades afresh with `make release RESET={assignment}`: it removes {assignment} "
            "and its grades (manual scores too) from the gradebook; the next `make grade` "
            "regrades every submission of it from submitted/."
        )
    return text


def reset(root: Path, assignment: str) -> None:
    """Remove an assignment and all its grades from the gradebook and the grader's records."""
    nbgrader = NbGrader(root)
    with nbgrader.gradebook() as gb:
        if assignment in {a.name for a in gb.assignments}:
            gb.remove_assignment(assignment)
    records = state.State(root)
    records.releases.pop(assignment, None)
    for key in [k for k in records.records if k.endswith(f"/{assignment}")]:
        del records.records[key]
    records.save()
    print(f"  {assignment}: removed from the gradebook with its grades; release it again")


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
