"""The Colab guard: the first code cell of every solution notebook, written by `make release`.

On Colab it keeps the torch Colab ships when it lies in the range the course is tested on
(requirements.txt), installs only what is missing (einops), and prints one line with the
versions found; outside the range it says what to do. Elsewhere (local Jupyter, the
autograder) it does nothing. tests/test_colab_guard.py runs the cell from every notebook.
"""

from pathlib import Path

import nbformat

from . import cells, layout

GRADE_ID = "colab-guard"
BEFORE = "setup"  # the guard is the code cell right above the setup cell

CELL = """\
# @title Colab check: the versions this runtime has (written by course/colab_guard.py)
import sys

if "google.colab" in sys.modules:  # local Jupyter and the autograder install nothing
    def _colab_guard(torch_range=("2.11", "2.14"), python_range=("3.11", "3.13")):
        import re
        import shutil
        from importlib.metadata import PackageNotFoundError, version

        def installed(name):
            try:
                return version(name)
            except PackageNotFoundError:
                return None

        def minor(text):  # "2.11.0+cpu" -> (2, 11)
            return tuple(int(n) for n in re.findall(r"\\d+", text)[:2])

        pip = get_ipython().run_line_magic  # %pip without -q: Colab offers a restart if needed
        if installed("einops") is None:
            pip("pip", 'install "einops>=0.8"')
        have = {n: installed(n) for n in ("torch", "numpy", "scipy", "matplotlib", "einops")}
        python = ".".join(map(str, sys.version_info[:3]))
        print(f"Colab: Python {python}, " + ", ".join(f"{n} {v}" for n, v in have.items())
              + f" (course tested on torch {'-'.join(torch_range)}, "
              f"Python {'-'.join(python_range)})")
        torch, tested = have["torch"] or "0", "the versions this course is tested on"
        if minor(torch) < minor(torch_range[0]):
            index = "https://download.pytorch.org/whl/cpu"  # CPU runtime: no CUDA download
            where = "" if shutil.which("nvidia-smi") else f" --index-url {index}"
            newest = minor(torch_range[1])
            pip("pip", f'install "torch>={torch_range[0]},<{newest[0]}.{newest[1] + 1}"{where}')
            print("torch was older than the course needs and has been updated: NOW RESTART "
                  "(Runtime > Restart session), then run the notebook from the top.")
        elif minor(torch) > minor(torch_range[1]):
            print(f"WARNING: torch {torch} is newer than {tested}. It should work; if a test "
                  "fails although your answer is right, tell your instructor.")
        if not minor(python_range[0]) <= sys.version_info[:2] <= minor(python_range[1]):
            print(f"WARNING: Python {python} is outside {tested}. If something fails, tell your "
                  "instructor.")

    _colab_guard()
    del _colab_guard
"""


def guard_cell() -> nbformat.NotebookNode:
    """The guard as a locked nbgrader cell (CONTRIBUTING.md, "The setup cell")."""
    cell = nbformat.v4.new_code_cell(CELL.rstrip("\n"), metadata={"cellView": "form"})
    cell.id = GRADE_ID
    cell.metadata["nbgrader"] = {
        "grade": False,
        "grade_id": GRADE_ID,
        "locked": True,
        "schema_version": 3,
        "solution": False,
        "task": False,
    }
    return cell


def insert(nb) -> bool:
    """Put the guard into notebook `nb`, right above its setup cell; True if that changed it."""
    ids = [cells.grade_id(c) for c in nb.cells]
    if BEFORE not in ids:
        raise ValueError(f"no cell '{BEFORE}' to put the Colab guard above")
    new = guard_cell()
    if GRADE_ID in ids:
        at = ids.index(GRADE_ID)
        old = nb.cells[at]
        if at == ids.index(BEFORE) - 1 and (old.source, old.metadata) == (new.source, new.metadata):
            return False
        del nb.cells[at]
        ids.remove(GRADE_ID)
    nb.cells.insert(ids.index(BEFORE), new)
    return True


def stamp(assignment: str, root: Path = layout.ROOT) -> bool:
    """Write the guard into the solution notebook of `assignment`; True if it changed."""
    path = layout.source_notebook(assignment, root)
    nb = cells.read(path)
    try:
        changed = insert(nb)
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None
    if changed:
        cells.write(nb, path)
    return changed
