"""Where things live: the repository, its assignments and the repository's public URL."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COURSE_ID = "pytorch-scientific-computing"  # nbgrader's course id
SOURCE_DIR = "solutions"  # nbgrader's source directory
RELEASE_DIR = "notebooks"  # nbgrader's release directory: what students open
SUBMITTED_DIR = "submitted"  # the originals, as students sent them
INTAKE_DIR = "intake"  # what nbgrader grades: the originals, repaired (course.intake)
EXAMPLES_DIR = ROOT / "examples"
GRADING_TOML = "grading.toml"  # autograding settings, per assignment


def assignments(root: Path = ROOT) -> list[str]:
    """Names of the assignments: solutions/<name>/<name>.ipynb, in course order."""
    source = root / SOURCE_DIR
    return sorted(p.name for p in source.iterdir() if (p / f"{p.name}.ipynb").is_file())


def source_notebook(assignment: str, root: Path = ROOT) -> Path:
    return root / SOURCE_DIR / assignment / f"{assignment}.ipynb"


def release_notebook(assignment: str, root: Path = ROOT) -> Path:
    return root / RELEASE_DIR / assignment / f"{assignment}.ipynb"


def repository_slug() -> str:
    """'owner/name' of the GitHub repository, from pyproject.toml (the one place it is set)."""
    with open(ROOT / "pyproject.toml", "rb") as f:
        url = tomllib.load(f)["project"]["urls"]["Repository"]
    return url.removeprefix("https://github.com/").strip("/")


def colab_url(assignment: str) -> str:
    """The Colab link that opens the student version of an assignment."""
    path = f"{RELEASE_DIR}/{assignment}/{assignment}.ipynb"
    return f"https://colab.research.google.com/github/{repository_slug()}/blob/main/{path}"


def grading_settings(root: Path = ROOT) -> dict:
    """grading.toml of the course directory `root`, else the repository's."""
    settings = root / GRADING_TOML if (root / GRADING_TOML).is_file() else ROOT / GRADING_TOML
    with open(settings, "rb") as f:
        return tomllib.load(f)


def cell_cpu_seconds(assignment: str | None, root: Path = ROOT) -> float:
    """CPU seconds (the kernel's whole process tree) a cell may use when `assignment` is
    autograded; past them it is interrupted (course.limits)."""
    limits = grading_settings(root)["cell-cpu-seconds"]
    return float(limits.get(assignment, limits["default"]))


def cell_timeout(assignment: str | None, root: Path = ROOT) -> int:
    """Wall-clock seconds a cell may run when `assignment` is autograded (nbclient's
    `timeout`): the backstop for a cell that waits without using CPU, a multiple of its CPU
    limit unless grading.toml sets it for the assignment."""
    wall = grading_settings(root).get("cell-wall-seconds", {})
    if assignment in wall:
        return int(wall[assignment])
    return round(wall.get("factor", 10) * cell_cpu_seconds(assignment, root))


def kernel_start_seconds(root: Path = ROOT) -> int:
    """Seconds a grading kernel may take to start and answer (nbclient's startup_timeout)."""
    return int(grading_settings(root).get("kernel", {}).get("start-timeout-s", 300))


def kernel_memory_gib(root: Path = ROOT) -> float:
    """Address space a grading kernel may use (GiB); 0 means no limit."""
    return float(grading_settings(root).get("kernel", {}).get("memory-gib", 0))


def gradebook_url(root: Path = ROOT) -> str | None:
    """The gradebook's SQLAlchemy URL from grading.toml's [gradebook] table, e.g. a
    PostgreSQL server shared by several grading machines; None: SQLite in `root`."""
    return grading_settings(root).get("gradebook", {}).get("url") or None
