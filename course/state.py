"""What the grader remembers between runs, in grading-state/ of the course directory.

`make grade` is incremental: a submission is graded again only when what would be graded
changed: the intake copy of the submission (its content, not its mtime), the assignment's
source in solutions/, or a grading setting (grading.toml, nbgrader_config.py, the code
that runs inside grading). Their hash is the submission's *fingerprint*.

Each submission has one record: its fingerprint, whether its last grading completed, the
scores the grader itself observed right after autograding (so a later change of the
gradebook by anything else shows), the note for grades.csv, and the log of a failure. A
record is marked `pending` before its grading starts and rewritten when it ends; the file
is replaced atomically after every change, so an interrupted run leaves it consistent and
the next run grades exactly what is pending or changed.
"""

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from . import layout

STATE_DIR = "grading-state"
STATE_FILE = "state.json"
LOG_DIR = "logs"  # grading-state/logs/<student>/<assignment>.log: nbgrader's own words
# The code that runs while a notebook is graded: changing it regrades everything.
GRADING_CODE = ["cells.py", "guard.py", "intake.py", "limits.py", "preprocessors.py"]
GRADING_CODE += ["sandbox.py", "feedback.py"]

GRADED, FAILED, PENDING, UNGRADABLE, GONE = "graded", "failed", "pending", "ungradable", "gone"


@dataclass
class Record:
    """The grader's last word on one submission."""

    fingerprint: str
    status: str  # GRADED, FAILED (nbgrader failed), PENDING (started, not finished), ...
    note: str = ""  # for grades.csv; empty when the score needs no word
    check: bool = False  # for the instructor to look at (counted in the summary)
    repaired: bool = False
    scores: dict[str, float] = field(default_factory=dict)  # test cell -> auto score
    manual_before: dict[str, float] = field(default_factory=dict)  # overrides found
    seconds: float = 0.0
    graded_at: str = ""
    log: str = ""  # path of the failure's log, relative to the course directory


class State:
    """grading-state/state.json of a course directory."""

    def __init__(self, root: Path):
        self.root = root
        self.path = root / STATE_DIR / STATE_FILE
        data = json.loads(self.path.read_text()) if self.path.is_file() else {}
        self.records = {key: Record(**value) for key, value in data.get("records", {}).items()}
        self.releases: dict[str, str] = data.get("releases", {})

    def get(self, student: str, assignment: str) -> Record | None:
        return self.records.get(key(student, assignment))

    def put(self, student: str, assignment: str, record: Record) -> None:
        self.records[key(student, assignment)] = record
        self.save()

    def save(self) -> None:
        """Write the state atomically: a reader sees the old file or the new one."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        records = {k: asdict(r) for k, r in sorted(self.records.items())}
        text = json.dumps({"releases": self.releases, "records": records}, indent=1)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(text + "\n")
        os.replace(temporary, self.path)


def key(student: str, assignment: str) -> str:
    return f"{student}/{assignment}"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def digest(paths: list[Path], base: Path) -> str:
    """Hash of the files' names (relative to `base`) and contents."""
    h = hashlib.sha256()
    for path in sorted(paths):
        h.update(str(path.relative_to(base)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]


def source_fingerprint(root: Path, assignment: str) -> str:
    """The assignment's source: every file of solutions/<assignment>/."""
    folder = root / layout.SOURCE_DIR / assignment
    return digest(files_under(folder), folder)


def settings_fingerprint(root: Path) -> str:
    """Grading settings and the code that runs while grading."""
    settings = root / layout.GRADING_TOML
    paths = [settings if settings.is_file() else layout.ROOT / layout.GRADING_TOML]
    paths.append(layout.ROOT / "nbgrader_config.py")
    paths += [layout.ROOT / "course" / name for name in GRADING_CODE]
    h = hashlib.sha256()
    for path in (p for p in paths if p.is_file()):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def fingerprint(submission: Path, source: str, settings: str) -> str:
    """What grading a submission depends on: its intake folder, its source, the settings."""
    h = hashlib.sha256(f"{source}\0{settings}\0".encode())
    h.update(digest(files_under(submission), submission).encode())
    return h.hexdigest()


def log_path(root: Path, student: str, assignment: str) -> Path:
    return root / STATE_DIR / LOG_DIR / student / f"{assignment}.log"
