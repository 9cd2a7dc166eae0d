"""Running the real nbgrader command line on a course directory."""

import os
import subprocess
import sys
from pathlib import Path

from .layout import ROOT


def run(args: list[str], course_root: Path, timeout: float | None = None):
    """Run `nbgrader ARGS` on the course directory `course_root`; return the finished process.

    nbgrader runs from the repository root, so that it reads our nbgrader_config.py, with the
    virtual environment's bin/ first on PATH (nbgrader shells out to alembic).
    """
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    command = [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={course_root}"]
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def last_error(process) -> str:
    """The most telling line of a failed nbgrader run (its last ERROR line, else its last line)."""
    lines = [line for line in process.stderr.splitlines() + process.stdout.splitlines() if line]
    errors = [line for line in lines if "ERROR" in line or "Error" in line]
    return (errors or lines or ["no output"])[-1].strip()
