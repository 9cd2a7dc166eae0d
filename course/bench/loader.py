"""Reference implementations for the benchmark, taken from the solution notebooks themselves.

`notebook_namespace(assignment)` runs a solution notebook's code cells in this process and
returns its globals: the functions and classes the notebook defines are the ones measured,
so the benchmark never holds a second copy of the course's code.
"""

import ast
import contextlib
import functools
import io
import re
import warnings
from unittest import mock

import matplotlib
import torch
from torch.utils import benchmark

from .. import cells, layout

THREADS: dict[str, int] = {}  # assignment -> the thread count its notebook sets (or leaves)
DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)
DRAWS = re.compile(r"\bplt\.")


def notebook_present(assignment: str) -> bool:
    return layout.source_notebook(assignment).is_file()


@functools.cache
def notebook_namespace(assignment: str) -> dict:
    """Globals after running the notebook's code cells, the way the benchmark needs them.

    Graded test cells are left out; a cell that draws a figure contributes only its imports,
    functions and classes; the notebook's own Timer calls return a placeholder without
    running anything (the benchmark does the timing); IPython magics such as the Colab
    `%pip` guard become `pass`. Every other cell runs as written, checks included.
    """
    path = layout.source_notebook(assignment)
    nb = cells.read(path)
    matplotlib.use("Agg")
    namespace = {"__name__": f"notebook_{assignment.replace('-', '_')}"}
    output = io.StringIO()  # what the notebook prints; shown only if a cell fails
    with (
        placeholder_timers(),
        torch_settings_kept(assignment),
        contextlib.redirect_stdout(output),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        for cell in nb.cells:
            if cell.cell_type != "code" or cells.is_test(cell):
                continue
            where = f"{path.relative_to(layout.ROOT)}, cell {cells.grade_id(cell)}"
            try:
                exec(compile(runnable(cell.source), where, "exec"), namespace)
            except Exception as err:
                tail = output.getvalue()[-2000:]
                raise RuntimeError(f"{where}: {type(err).__name__}: {err}\n{tail}") from err
    return namespace


def runnable(source: str) -> ast.Module:
    """The statements of a cell to run: all of them, or only definitions if it plots."""
    tree = ast.parse(cells.python_source(source))
    if DRAWS.search(source):
        tree.body = [node for node in tree.body if isinstance(node, DEFINITIONS)]
    return tree


@contextlib.contextmanager
def torch_settings_kept(assignment: str):
    """PyTorch's global settings as they were, whatever the notebook set; the number of
    threads it chose is kept in THREADS (notebook 07 runs on one, for its small models)."""
    threads, dtype = torch.get_num_threads(), torch.get_default_dtype()
    precision = torch.get_float32_matmul_precision()
    deterministic = torch.are_deterministic_algorithms_enabled()
    try:
        yield
    finally:
        THREADS[assignment] = torch.get_num_threads()
        torch.set_num_threads(threads)
        torch.set_default_dtype(dtype)
        torch.set_float32_matmul_precision(precision)
        torch.use_deterministic_algorithms(deterministic)


def placeholder_timers():
    """Within the block, Timer measurements return 1 s at once instead of running anything."""

    def placeholder(timer, *args, **kwargs):
        return benchmark.Measurement(1, [1.0], timer._task_spec)

    stack = contextlib.ExitStack()
    for method in ("blocked_autorange", "adaptive_autorange", "timeit"):
        stack.enter_context(mock.patch.object(benchmark.Timer, method, placeholder))
    return stack
