"""roster.csv as instructors have it, and which folder in submitted/ is which student.

The roster may come from Excel ("CSV UTF-8" starts with a byte-order mark; Windows line
endings) or an LMS export (`;` or tab separated in some locales; the id column named
"SIS Login ID", "Username", "ID number" ...). Folder names are matched to roster ids after
Unicode normalisation (NFC: a macOS zip spells "Ünal" as U + combining diaeresis) and case
folding, and every such match is reported. A `status` column marks students who left the
course (dropped, withdrawn, inactive): they are listed, not graded and not exported.
"""

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

ROSTER_CSV = "roster.csv"
# Accepted names of the id column, in order of preference (compared case- and space-blind).
ID_COLUMNS = ["id", "student_id", "student id", "sis login id", "login id", "login", "username"]
ID_COLUMNS += ["user name", "sis user id", "user id", "id number", "netid"]
NAME_COLUMNS = {
    "first_name": ["first_name", "first name", "given name", "firstname"],
    "last_name": ["last_name", "last name", "surname", "family name", "lastname"],
    "email": ["email", "email address", "e-mail", "e-mail address"],
}
STATUS_COLUMNS = ["status", "enrollment status", "enrolment status"]
LEFT = {"dropped", "withdrawn", "inactive", "removed", "deleted", "concluded"}


@dataclass
class Student:
    id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    active: bool = True


@dataclass
class Roster:
    students: dict[str, Student] = field(default_factory=dict)  # id -> student
    problems: list[str] = field(default_factory=list)  # the roster cannot be used
    warnings: list[str] = field(default_factory=list)  # usable, but worth a look
    present: bool = False  # a roster.csv exists

    def dropped(self) -> set[str]:
        return {s.id for s in self.students.values() if not s.active}


def canonical(name: str) -> str:
    """How names are compared: Unicode NFC, case-folded, outer spaces removed."""
    return unicodedata.normalize("NFC", name).casefold().strip()


def column(header: list[str], names: list[str]) -> str | None:
    """The header's column that has one of `names` (first preference wins)."""
    simple = {" ".join(h.replace("_", " ").split()).casefold(): h for h in header}
    for name in names:
        if (found := simple.get(name.replace("_", " "))) is not None:
            return found
    return None


def read(root: Path) -> Roster:
    """The roster of course directory `root` (an empty one if there is no roster.csv)."""
    path = root / ROSTER_CSV
    if not path.is_file():
        return Roster()
    roster = Roster(present=True)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        roster.problems.append(f"{ROSTER_CSV} is not UTF-8 text: save it as 'CSV UTF-8'")
        return roster
    lines = text.splitlines()
    if not lines:
        roster.problems.append(f"{ROSTER_CSV} is empty: it needs a header line with an id column")
        return roster
    delimiter = max(",;\t", key=lines[0].count)
    reader = csv.DictReader(io.StringIO("\n".join(lines)), delimiter=delimiter)
    header = [h or "" for h in reader.fieldnames or []]
    if not (id_column := column(header, ID_COLUMNS)):
        roster.problems.append(
            f"{ROSTER_CSV}: no id column (its header is {', '.join(header)!r}); name one of "
            f"them 'id' (or {', '.join(ID_COLUMNS[1:5])}, ...)"
        )
        return roster
    names = {k: column(header, v) for k, v in NAME_COLUMNS.items()}
    status = column(header, STATUS_COLUMNS)
    for line, row in enumerate(reader, 2):
        add(roster, row, line, id_column, names, status)
    return roster


def add(roster: Roster, row: dict, line: int, id_column: str, names: dict, status) -> None:
    student_id = unicodedata.normalize("NFC", (row.get(id_column) or "").strip())
    if not student_id or student_id.lower() == "points possible":
        return  # blank rows, and the second line of a Canvas gradebook export
    if (twin := find(roster, student_id)) is not None:
        roster.warnings.append(
            f"{ROSTER_CSV} line {line}: {student_id!r} is already on the roster as {twin!r}; "
            "this line is ignored"
        )
        return
    details = {k: (row.get(c) or "").strip() for k, c in names.items() if c}
    active = not status or (row.get(status) or "").strip().casefold() not in LEFT
    roster.students[student_id] = Student(student_id, **details, active=active)


def find(roster: Roster, name: str) -> str | None:
    """The roster id that `name` (a folder name) stands for, or None."""
    if name in roster.students:
        return name
    wanted = canonical(name)
    return next((sid for sid in roster.students if canonical(sid) == wanted), None)


def match_folders(roster: Roster, folders: list[str]) -> tuple[dict[str, str | None], list[str]]:
    """folder name -> student id (None: not to be graded), and what to report.

    Without a roster every folder is its own student. With one, a folder whose name
    differs from a roster id only by case or Unicode form is that student (reported); a
    folder of a student who left the course is listed and not graded; a folder not on the
    roster is graded under its own name and reported."""
    ids: dict[str, str | None] = {}
    notes: list[str] = []
    for folder in sorted(folders, key=lambda f: (f not in roster.students, f)):  # exact first
        student = find(roster, folder) if roster.present else folder
        if student is None:
            student = folder
            notes.append(f"submitted/{folder}: not on {ROSTER_CSV}; graded under this name")
        elif student != folder:
            notes.append(f"submitted/{folder}: taken as roster id {student!r} (case or accents)")
        if roster.present and student in roster.dropped():
            notes.append(f"submitted/{folder}: {student} has left the course (roster status)")
            student = None
        if student is not None and student in ids.values():
            first = next(f for f, s in ids.items() if s == student)
            notes.append(f"submitted/{folder}: {student} also has submitted/{first}; not graded")
            student = None
        ids[folder] = student
    return ids, notes
