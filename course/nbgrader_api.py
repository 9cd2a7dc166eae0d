"""The real nbgrader, run in this process on one course directory.

Calling nbgrader's Python API instead of its command line saves the seconds each `nbgrader`
process spends importing; notebooks still run in their own Jupyter kernels.
"""

import logging
import os
import re
import sys
import warnings
from pathlib import Path

from nbgrader.api import Gradebook
from nbgrader.apps import NbGraderAPI
from sqlalchemy.exc import SAWarning
from traitlets.config.loader import PyFileConfigLoader

from .layout import INTAKE_DIR, ROOT, cell_timeout, gradebook_url, kernel_memory_gib

# nbgrader 0.9 triggers SQLAlchemy 2 session warnings that say nothing about the grading.
warnings.filterwarnings("ignore", category=SAWarning, module="nbgrader")
# nbgrader shells out to alembic when it creates a gradebook: our bin/ goes first on PATH.
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")


class NbGrader:
    """nbgrader's operations on the course directory `root`, configured by nbgrader_config.py."""

    def __init__(self, root: Path):
        self.config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
        self.config.CourseDirectory.root = str(root)
        # nbgrader grades what intake made of the originals in submitted/ (course.intake).
        self.config.CourseDirectory.submitted_directory = INTAKE_DIR
        if url := gradebook_url(root):  # e.g. PostgreSQL shared by several graders
            self.config.CourseDirectory.db_url = url
        self.root = root
        self.api = NbGraderAPI(config=self.config)
        self.api.log.setLevel(logging.ERROR)  # the results carry the log; keep the console quiet
        self.config.Execute.extra_arguments += memory_limit(kernel_memory_gib(root))

    @property
    def db_url(self) -> str:
        return self.api.coursedir.db_url

    def gradebook(self) -> Gradebook:
        """The gradebook nbgrader uses (SQLite in the course directory unless configured)."""
        return Gradebook(self.db_url, course_id=self.api.coursedir.course_id)

    def generate_assignment(self, assignment: str) -> dict:
        return self.api.generate_assignment(assignment, force=True, create=True)

    def autograde(self, assignment: str, student: str) -> dict:
        self.config.Execute.timeout = cell_timeout(assignment, self.root)
        return self.api.autograde(assignment, student, force=True, create=True)

    def generate_feedback(self, assignment: str, student: str) -> dict:
        return self.api.generate_feedback(assignment, student, force=True)


def memory_limit(gib: float) -> list[str]:
    """Kernel arguments that cap its address space: an allocation past the cap raises in
    the cell (MemoryError, or PyTorch's "can't allocate memory") instead of the machine's
    out-of-memory killer ending the kernel, or the whole grading run."""
    if not gib:
        return []
    limit = int(gib * 2**30)
    line = f"__import__('resource').setrlimit(__import__('resource').RLIMIT_AS, ({limit}, {limit}))"
    return [f"--IPKernelApp.exec_lines={line}"]


# Lines nbgrader logs around every failure that say nothing about its cause.
GENERIC = re.compile(r"Please see the|There was an error processing|NbGraderException|^Traceback")
RAISED = re.compile(r"^\s*(?:\[ERROR\]\s*)?([\w.]*(?:Error|Exception|Interrupt|Exit)):\s*(.+)$")


def log_text(result: dict) -> str:
    """Everything nbgrader said about an operation: its log, then any traceback."""
    return "\n".join(part for part in (result.get("log"), result.get("error")) if part)


def failure(result: dict) -> str:
    """The most telling line of a failed nbgrader operation: the last exception raised
    (its type and message) that is not nbgrader's generic "see the above traceback"."""
    lines = [line.strip() for line in log_text(result).splitlines() if line.strip()]
    raised = [RAISED.match(line) for line in lines]
    causes = [
        f"{m[1].rsplit('.', 1)[-1]}: {m[2]}" for m in raised if m and not GENERIC.search(m[0])
    ]
    errors = [line for line in lines if "ERROR" in line and not GENERIC.search(line)]
    return (causes or errors or lines or ["nbgrader gave no reason"])[-1]
