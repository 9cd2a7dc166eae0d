"""The student version as a student gets it: self-contained, Colab-ready, stubs only fail."""

import ast
import shutil
import sys

from course import cells, execute, layout

# tqdm and threadpoolctl are optional: imported under try/except ImportError
THIRD_PARTY = {"torch", "numpy", "scipy", "matplotlib", "einops", "tqdm", "threadpoolctl"}


def code_cells(assignment):
    nb = cells.read(layout.release_notebook(assignment))
    return [cell.source for cell in nb.cells if cell.cell_type == "code"]


def test_imports_only_published_packages(assignment):
    imported = set()
    for source in code_cells(assignment):
        for node in ast.walk(ast.parse(cells.python_source(source))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                imported.add((node.module or ".").split(".")[0])
    local = imported - THIRD_PARTY - set(sys.stdlib_module_names)
    assert not local, f"{assignment} imports what Colab cannot have: {sorted(local)}"


def test_runs_alone_and_only_the_stubs_fail(assignment, tmp_path):
    """Executed in an empty folder, the student version fails only in NotImplementedError."""
    notebook = tmp_path / f"{assignment}.ipynb"
    shutil.copy(layout.release_notebook(assignment), notebook)
    nb, _ = execute.execute(notebook, cwd=tmp_path, allow_errors=True)
    others = [
        (i, name, msg) for i, name, msg in execute.errors(nb) if name != "NotImplementedError"
    ]
    assert not others, f"{assignment}: errors other than the stubs': {others}"
    graded = [c for c in nb.cells if cells.is_test(c)]
    assert all(any(o.output_type == "error" for o in c.outputs) for c in graded), (
        "a test cell passes on an unanswered exercise"
    )
