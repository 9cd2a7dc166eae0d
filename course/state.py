"""What the grader remembers between runs, kept in the gradebook's database.

`make grade` is incremental: a submission is graded again only when what would be graded
changed: the intake copy of the submission (its content, not its mtime), the assignment's
source in solutions/, or a grading setting (grading.toml, nbgrader_config.py, the code
that runs inside grading). Their hash is the submission's *fingerprint*.

Each submission has one record: its fingerprint, whether its last grading completed, the
scores the grader itself observed right after autograding (so a later change of the
gradebook by anything else shows), the note for grades.csv, and the log of a failure. A
record is marked `pending` before its grading starts and rewritten when it ends; each change
is written in a transaction of its own, so an interrupted run leaves the records consistent
and the next run grades exactly what is pending or changed.
"""

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from . import layout
from .nbgrader_api import NbGrader

STATE_DIR = "grading-state"  # logs, and a backup of a release being replaced
TABLE = sa.Table(
    "course_grader_records",
    sa.MetaData(),
    sa.Column("name", sa.String(512), primary_key=True),
    sa.Column("data", sa.Text, nullable=False),
)
RECORD, RELEASE = "record:", "release:"  # the two kinds of rows
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
    """The grader's records of a course directory, in a table of its gradebook database (so
    that graders sharing one database server share them too)."""

    def __init__(self, root: Path):
        self.root = root
        nbgrader = NbGrader(root)
        with nbgrader.gradebook():  # nbgrader creates (and versions) its tables first
            pass
        self.engine = sa.create_engine(nbgrader.db_url)
        TABLE.create(self.engine, checkfirst=True)
        with self.engine.connect() as db:
            self.saved = dict(db.execute(sa.select(TABLE.c.name, TABLE.c.data)).all())
        self.records = {
            name.removeprefix(RECORD): Record(**json.loads(data))
            for name, data in self.saved.items()
            if name.startswith(RECORD)
        }
        self.releases = {
            name.removeprefix(RELEASE): data
            for name, data in self.saved.items()
            if name.startswith(RELEASE)
        }

    def get(self, student: str, assignment: str) -> Record | None:
        return self.records.get(key(student, assignment))

    def put(self, student: str, assignment: str, record: Record) -> None:
        self.records[key(student, assignment)] = record
        self.save()

    def rows(self) -> dict[str, str]:
        rows = {RECORD + k: json.dumps(asdict(r), sort_keys=True) for k, r in self.records.items()}
        return rows | {RELEASE + a: fingerprint for a, fingerprint in self.releases.items()}

    def save(self) -> None:
        """Write what changed since loading or the last save, in one transaction."""
        rows = self.rows()
        changed = {name: data for name, data in rows.items() if self.saved.get(name) != data}
        removed = self.saved.keys() - rows.keys()
        if not changed and not removed:
            return
        with self.engine.begin() as db:
            for name in removed:
                db.execute(TABLE.delete().where(TABLE.c.name == name))
            for name, data in changed.items():
                if name in self.saved:
                    db.execute(TABLE.update().where(TABLE.c.name == name).values(data=data))
                else:
                    db.execute(TABLE.insert().values(name=name, data=data))
        self.saved = rows


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
