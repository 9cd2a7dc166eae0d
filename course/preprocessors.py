"""Our nbgrader preprocessors, switched on in nbgrader_config.py.

Autograde: tests run against the real comparison functions (GuardTests), a cell is
stopped at its CPU-time limit and a dead kernel costs only the cells it did not run
(ExecuteSurvivingCrashes), a test cell only passes or fails: a warning on stderr costs
nothing and a value it shows is never taken for a partial score (PassOrFail), and huge
outputs are cut (LimitOutputSize).
Feedback: course.feedback.
"""

import ast
import asyncio
import symtable
from pathlib import Path

from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_code_cell, new_output
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Integer

from . import cells, limits, sandbox

GUARD_MODULE = "course.guard"
TRUNCATED = "\n... output truncated by the grader ...\n"


def guard_cell(call: str) -> object:
    """A code cell, marked as ours, that calls a function of course.guard in the kernel."""
    source = f'__import__("{GUARD_MODULE}", fromlist=["_"]).{call}'
    return new_code_cell(source, metadata={"course": {"guard": True}})


def is_guard(cell) -> bool:
    return bool(cell.get("metadata", {}).get("course", {}).get("guard"))


def bound_names(source: str) -> set[str]:
    """Names a cell binds at top level: assignments, definitions, imports."""
    try:
        tree = ast.parse(cells.python_source(source))
    except SyntaxError:
        return set()
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


def used_names(source: str) -> set[str]:
    try:
        tree = ast.parse(cells.python_source(source))
    except SyntaxError:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def global_reads(source: str) -> set[str]:
    """Global names the functions and classes of a cell read when they are called."""
    try:
        table = symtable.symtable(cells.python_source(source), "cell", "exec")
    except SyntaxError:
        return set()
    names, tables = set(), table.get_children()
    while tables:
        scope = tables.pop()
        names |= {s.get_name() for s in scope.get_symbols() if s.is_referenced() and s.is_global()}
        tables += scope.get_children()
    return names


def names_tests_read(nb, tested: set[str] | None = None) -> set[str]:
    """Names the test cells read (`tested`, by default every name in them), directly or
    through the functions of locked cells they call (a check helper that reads
    `PeakNumel` makes `PeakNumel` a name the tests use)."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    if tested is None:
        tested = set().union(*(used_names(c.source) for c in code if cells.is_test(c)))
    helpers = [
        (bound_names(c.source), global_reads(c.source))
        for c in code
        if cells.meta(c).get("locked") and not cells.is_test(c) and not cells.is_solution(c)
    ]
    while more := set().union(*(reads for bound, reads in helpers if bound & tested)) - tested:
        tested |= more
    return tested


class GuardTests(NbGraderPreprocessor):
    """Insert guard cells: protect() first, remember() after each locked code cell that
    defines names the tests use, restore() before each test cell. Runs after
    OverwriteCells, so the locked cells and tests are the instructor's."""

    def preprocess(self, nb, resources):
        tested = names_tests_read(nb)
        guarded = [guard_cell("protect()")]
        for cell in nb.cells:
            if cells.is_test(cell):
                guarded.append(guard_cell("restore(globals())"))
            guarded.append(cell)
            locked_code = cell.cell_type == "code" and cells.meta(cell).get("locked")
            if locked_code and not cells.is_test(cell) and not cells.is_solution(cell):
                names = sorted(bound_names(cell.source) & tested)
                if names:
                    guarded.append(guard_cell(f"remember(globals(), {names!r})"))
        nb.cells = guarded
        return nb, resources


class ExecuteSurvivingCrashes(Execute):
    """nbgrader's Execute with limits that load cannot break, and crashes that cost only
    what they must (course.limits explains the limits):

    - a cell that uses more than its CPU seconds (grading.toml) is interrupted and gets an
      error saying so; later cells still run. If it goes on using CPU, the kernel is killed.
    - a cell that waits past the wall-clock backstop is interrupted the same way.
    - a dead kernel (a crash, os._exit, the out-of-memory killer, or killed as above) ends
      the run instead of failing the whole notebook: cells that ran keep their results, the
      rest get an error output saying why they did not run.
    - a kernel that does not start raises limits.InfrastructureError (not the student's fault).
    """

    def __init__(self, **kwargs):
        # nbgrader's Execute passes its own kernel manager class, overriding the config.
        kwargs.setdefault("kernel_manager_class", sandbox.SandboxedKernelManager)
        super().__init__(**kwargs)

    def preprocess(self, nb, resources=None, km=None):
        self.died_in = self.stopped = None
        assignment = (resources or {}).get("nbgrader", {}).get("assignment")
        self.limits = limits.Limits.of(assignment, Path(CourseDirectory(parent=self).root))
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if self.died_in is not None:
            cell.outputs = [self.error("KernelDied", f"not run: {self.died_in}")]
            return cell, resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except (DeadKernelError, CellTimeoutError) as err:
            if isinstance(err, CellTimeoutError):  # it did not answer an interrupt in time
                self.kill_kernel()
                self.stopped = "it did not stop when interrupted"
            if self.stopped:
                self.died_in = f"the kernel was stopped in cell {index + 1}"
                why = f"the grader stopped the kernel in this cell: {self.stopped}"
            else:
                self.died_in = f"the kernel died in cell {index + 1}"
                why = "the kernel died while running this cell (a crash, or it ran out of memory)"
            cell.outputs.append(self.error("KernelDied", why))
            cell.execution_count = None  # whether the kernel numbered it is down to timing
            return cell, resources

    async def async_start_new_kernel(self, **kwargs):
        # Set here, not in preprocess: NotebookClient.__init__ reloads the configuration.
        self.timeout = self.limits.wall_s
        self.startup_timeout = self.limits.kernel_start_s
        self.iopub_timeout = limits.IOPUB_S
        why = limits.wall_limit_message(self.limits)
        self.error_on_timeout = {"ename": WALL, "evalue": why, "traceback": [f"{WALL}: {why}"]}
        try:
            return await super().async_start_new_kernel(**kwargs)
        except sandbox.SandboxError:  # a setting to fix, not a failure to retry
            raise
        except Exception as err:
            raise limits.InfrastructureError(f"the kernel did not start ({err})") from err

    async def async_start_new_kernel_client(self):
        try:
            return await super().async_start_new_kernel_client()
        except RuntimeError as err:  # no answer within startup_timeout, or died starting
            raise limits.InfrastructureError(f"the kernel did not start ({err})") from err

    async def async_execute_cell(self, cell, cell_index, execution_count=None, **kwargs):
        self.stopped = None
        pid = limits.kernel_pid(self.km)
        if pid is None or cell.cell_type != "code" or not cell.source.strip():
            return await super().async_execute_cell(cell, cell_index, execution_count, **kwargs)
        kill = lambda: ensure_async(self.km.shutdown_kernel(now=True))  # noqa: E731
        interrupt = lambda: ensure_async(self.km.interrupt_kernel())  # noqa: E731
        watch = limits.CpuWatch(limits.CpuClock(pid), self.limits, interrupt, kill)
        task = asyncio.ensure_future(watch.run())
        try:
            cell = await super().async_execute_cell(cell, cell_index, execution_count, **kwargs)
        finally:
            task.cancel()
            if watch.killed:
                self.stopped = "it went on using CPU after it was interrupted at its CPU limit"
        if watch.exceeded:
            cell.outputs.append(self.error(CPU, limits.cpu_limit_message(self.limits)))
        for output in cell.outputs:
            if output.output_type == "error" and output.ename == WALL:  # say what it used
                output.evalue = limits.wall_limit_message(self.limits, watch.used())
                output.traceback = [f"{WALL}: {output.evalue}"]
        if any(o.output_type == "error" and o.ename in (CPU, WALL) for o in cell.outputs):
            cell.outputs = [o for o in cell.outputs if not interrupted(o)]  # ours says why
        return cell

    # nbclient's blocking versions call its own coroutines, not these overrides.
    start_new_kernel = run_sync(async_start_new_kernel)
    start_new_kernel_client = run_sync(async_start_new_kernel_client)
    execute_cell = run_sync(async_execute_cell)

    def kill_kernel(self):
        run_sync(ensure_async)(self.km.shutdown_kernel(now=True))

    @staticmethod
    def error(name: str, why: str):
        return new_output("error", ename=name, evalue=why, traceback=[f"{name}: {why}"])


CPU, WALL = "CPUTimeLimit", "WallClockLimit"  # the error names of cells stopped at a limit


def interrupted(output) -> bool:
    return output.output_type == "error" and output.ename == "KeyboardInterrupt"


class PassOrFail(NbGraderPreprocessor):
    """nbgrader scores a graded cell by its outputs: 0 if it wrote to stderr, and a number it
    shows as partial credit (a test cell ending in a call that returns 1e-11 would score 1e-11
    points). The course's tests only pass or fail: stderr text (a warning, a debug print)
    becomes ordinary output marked [stderr], and a shown value becomes plain display output."""

    def preprocess_cell(self, cell, resources, index):
        if cells.is_test(cell):
            for output in cell.get("outputs", []):
                if output.output_type == "stream" and output.name == "stderr":
                    output.name = "stdout"
                    output.text = "[stderr] " + output.text
                elif output.output_type == "execute_result":
                    output.output_type = "display_data"
                    output.pop("execution_count", None)
        return cell, resources


class LimitOutputSize(NbGraderPreprocessor):
    """Cut each cell's text output to max_chars and drop rich outputs past max_outputs, so
    that a print in a loop cannot make the autograded notebook or the feedback huge."""

    max_chars = Integer(20_000, help="characters of stream text kept per cell").tag(config=True)
    max_outputs = Integer(20, help="outputs kept per cell").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        kept, budget = [], self.max_chars
        for output in cell.outputs[: self.max_outputs]:
            if output.output_type == "stream":
                if budget <= 0:
                    continue
                if len(output.text) > budget:
                    output.text = output.text[:budget] + TRUNCATED
                budget -= len(output.text)
            kept.append(output)
        cell.outputs = kept + [o for o in cell.outputs[self.max_outputs :] if is_error(o)]
        return cell, resources


def is_error(output) -> bool:
    return output.output_type == "error"
