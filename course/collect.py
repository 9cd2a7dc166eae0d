"""`make collect ZIP=<file> [LMS=canvas|moodle]`: an LMS bulk download into
submitted/<student>/<assignment>/<assignment>.ipynb, through nbgrader's own zip_collect.

nbgrader's ZipCollectApp (configured in nbgrader_config.py) copies the zip into
downloaded/<assignment>/archive/, extracts it into downloaded/<assignment>/extracted/ and
moves each file its collector plugin accepts into submitted/, with a timestamp.txt. Our
plugin, LmsCollector, does what nbgrader's FileNameCollectorPlugin cannot: it matches the
LMS's file names (not the absolute path), maps LMS user ids to roster ids (roster.csv's
`lms_id` column), takes each file's time from the archive entry, keeps the newest file per
student (Canvas's resubmissions `-1`, `-2` ...), skips what is not newer than what was
collected before, and reports every file it did not take, with the reason.

Late work: nbgrader computes lateness from timestamp.txt and the assignment's due date;
apply_due_dates() stores the due dates of grading.toml's [due] table in the gradebook, and
LatePenalty applies its [late-penalty] table (nbgrader's late submission plugin interface).
References: nbgrader's docs, "ZipCollect plugins" and "Late submission plugin" (0.9), and
the source of nbgrader/apps/zipcollectapp.py and nbgrader/plugins/zipcollect.py.
"""

import csv
import re
import shutil
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from nbgrader.apps import ZipCollectApp
from nbgrader.coursedir import CourseDirectory
from nbgrader.plugins import FileNameCollectorPlugin, LateSubmissionPlugin
from nbgrader.utils import parse_utc
from traitlets import Unicode
from traitlets.config.loader import PyFileConfigLoader

from . import layout
from .nbgrader_api import NbGrader

REPORT = "collect-report.txt"
DOWNLOADED_DIR = "downloaded"  # ZipCollectApp.downloaded_directory
LMS_ID_COLUMNS = ("lms_id", "lms id", "canvas id", "moodle id")  # roster.csv, case-blind
ID_COLUMNS = ("id", "student_id", "student id")

# Canvas "Download Submissions": <name>_[late_]<user id>_<submission id>_<original name>,
# the name in lower case without punctuation; a resubmitted file ends in -1, -2 ... before
# its extension. Moodle "Download all submissions":
# <Full Name>_<user id>_assignsubmission_file_<original name> (or a folder of that name
# holding the files, with "Download submissions in folders").
PATTERNS = {
    "canvas": r"^(?P<name>[^_/]+)_(?:(?P<late>late)_)?(?P<lms_id>\d+)_(?P<submission>\d+)_"
    r"(?P<file>[^/]+)$",
    "moodle": r"^(?P<name>[^/]+?)_(?P<lms_id>\d+)_assignsubmission_(?:file|onlinetext)_"
    r"/?(?P<file>[^/]+)$",
}
RESUBMISSION = re.compile(r"-(\d+)(\.[^.]+)$")  # Canvas: "03-training-2.ipynb"


@dataclass
class Candidate:
    """One file of the download, as the LMS named it."""

    path: Path  # in downloaded/<assignment>/extracted/
    entry: str  # its name in the zip
    student: str  # roster id (or the LMS id when the roster does not know it)
    time: datetime  # UTC
    attempt: int  # Canvas resubmission number, 0 for the first
    late: bool  # Canvas marked it late


def settings(root: Path) -> dict:
    return layout.grading_settings(root)


def local_zone(root: Path) -> ZoneInfo:
    """Time zone of the due dates and of the LMS's archive times ([due] timezone)."""
    return ZoneInfo(settings(root).get("due", {}).get("timezone", "UTC"))


def lms_ids(root: Path) -> dict[str, str]:
    """LMS user id -> roster id, from roster.csv's `lms_id` column (if there is one)."""
    path = root / "roster.csv"
    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return {}
    header = {name.strip().casefold(): name for name in rows[0]}
    lms = next((header[c] for c in LMS_ID_COLUMNS if c in header), None)
    ids = next((header[c] for c in ID_COLUMNS if c in header), None)
    if not (lms and ids):
        return {}
    return {r[lms].strip(): r[ids].strip() for r in rows if r[lms] and r[ids]}


def entry_times(archive: Path, zone: ZoneInfo) -> dict[str, datetime]:
    """'<zip stem>/<entry name>' -> the entry's time in UTC (a zip stores local time)."""
    with zipfile.ZipFile(archive) as z:
        entries = [info for info in z.infolist() if not info.is_dir()]
    return {
        f"{archive.stem}/{info.filename}": datetime(*info.date_time, tzinfo=zone).astimezone(UTC)
        for info in entries
    }


class LmsCollector(FileNameCollectorPlugin):
    """nbgrader's file name collector for Canvas and Moodle downloads (see the module)."""

    lms = Unicode("canvas", help="canvas or moodle: whose file names to read").tag(config=True)

    def collect(self, submitted_file: str):
        if not hasattr(self, "decisions"):
            self.plan()
        return self.decisions.get(submitted_file)

    def plan(self) -> None:
        """Decide for every extracted file at once: the newest per student is collected."""
        app = self.parent
        root, assignment = Path(app.coursedir.root), app.coursedir.assignment_id
        self.assignment, self.report, self.decisions = assignment, [], {}
        extracted = Path(app._format_collect_path(app.extracted_directory))
        archive = Path(app._format_collect_path(app.archive_directory))
        times = {}
        for zip_path in archive.glob("*.zip"):
            times |= entry_times(zip_path, local_zone(root))
        ids = lms_ids(root)
        newest: dict[str, Candidate] = {}
        for path in sorted(p for p in extracted.rglob("*") if p.is_file()):
            entry = path.relative_to(extracted).as_posix()
            candidate = self.read(path, entry, times, ids)
            if candidate is None:
                continue
            best = newest.get(candidate.student)
            if best is None or rank(candidate) > rank(best):
                if best is not None:
                    self.note("superseded", best, f"older than {candidate.entry}")
                newest[candidate.student] = candidate
            else:
                self.note("superseded", candidate, f"older than {best.entry}")
        for candidate in newest.values():
            self.decide(root, candidate)

    def read(self, path: Path, entry: str, times: dict, ids: dict) -> Candidate | None:
        inside = entry.split("/", 1)[1] if "/" in entry else entry  # below the zip's folder
        match = re.match(PATTERNS[self.lms], inside, re.IGNORECASE)
        if not match:
            pattern = PATTERNS[self.lms]
            self.report.append(f"unknown name   {inside}: not the {self.lms} pattern {pattern}")
            return None
        if path.suffix.lower() != ".ipynb":
            self.report.append(f"not a notebook {inside}: skipped")
            return None
        lms_id = match["lms_id"]
        student = ids.get(lms_id, lms_id)
        if ids and lms_id not in ids:
            self.report.append(
                f"not on roster  {inside}: LMS id {lms_id} ({match['name']}) has no row with "
                f"that lms_id in roster.csv; collected as {lms_id}"
            )
        resubmission = RESUBMISSION.search(match["file"])
        attempt = int(resubmission[1]) if resubmission else 0
        when = times.get(entry) or datetime.fromtimestamp(path.stat().st_mtime, UTC)
        late = bool(match.groupdict().get("late"))
        return Candidate(path, inside, student, when, attempt, late)

    def decide(self, root: Path, candidate: Candidate) -> None:
        folder = root / layout.SUBMITTED_DIR / candidate.student / self.assignment
        before = read_timestamp(folder / "timestamp.txt")
        if before is not None and before >= candidate.time:
            self.note("unchanged", candidate, "already collected (same or newer)")
            return
        self.decisions[str(candidate.path)] = {
            "student_id": candidate.student,
            "file_id": f"{self.assignment}.ipynb",  # Colab's "Copy of ..." names too
            "timestamp": candidate.time.isoformat(" "),
        }
        why = " (Canvas marks it late)" if candidate.late else ""
        self.note("collected", candidate, f"-> {folder.relative_to(root)}{why}")

    def note(self, what: str, candidate: Candidate, why: str) -> None:
        when = candidate.time.strftime("%Y-%m-%d %H:%M UTC")
        self.report.append(f"{what:<14} {candidate.entry} ({when}): {why}")


def rank(candidate: Candidate) -> tuple:
    """Newer first by time; a resubmission number breaks ties (a zip has 2 s resolution)."""
    return candidate.time, candidate.attempt


def read_timestamp(path: Path) -> datetime | None:
    if not path.is_file():
        return None
    return parse_utc(path.read_text().strip()).replace(tzinfo=UTC)


def guess_assignment(archive: Path, known: list[str]) -> str | None:
    """The one assignment whose name the notebooks in the zip carry, if there is one."""
    with zipfile.ZipFile(archive) as z:
        names = [Path(n).name.casefold().replace("_", "-") for n in z.namelist()]
    found = {a for a in known for n in names if n.endswith(".ipynb") and a.casefold() in n}
    return found.pop() if len(found) == 1 else None


def collect(root: Path, archive: Path, lms: str = "canvas", assignment: str | None = None) -> int:
    """Collect one LMS download into submitted/; print and write the report; exit status."""
    known = layout.assignments(root)
    if archive == Path.cwd() or not archive.name:
        print("error: say which download: make collect ZIP=<the LMS's zip> [LMS=canvas|moodle]")
        return 1
    if not archive.is_file() or not zipfile.is_zipfile(archive):
        print(f"error: {archive} is not a zip file (the LMS's bulk download of one assignment)")
        return 1
    if lms not in PATTERNS:
        print(f"error: LMS must be one of {', '.join(PATTERNS)}, not {lms!r}")
        return 1
    assignment = assignment or guess_assignment(archive, known)
    if assignment not in known:
        print(
            f"error: which assignment is {archive.name}? Say it: make collect ZIP={archive} "
            f"ASSIGNMENT=<one of {', '.join(known)}>"
        )
        return 1
    app = zip_collect_app(root, lms, assignment)
    archive_dir = Path(app._format_collect_path(app.archive_directory))
    archive_dir.mkdir(parents=True, exist_ok=True)
    if archive.resolve() != (archive_dir / archive.name).resolve():
        shutil.copyfile(archive, archive_dir / archive.name)  # kept: a later zip adds to it
    app.start()
    apply_due_dates(root)  # now, and grading again before autograding (grading.toml may change)
    lines = app.collector_plugin_inst.report
    write_report(root, assignment, archive, lines)
    print("\n".join(lines))
    print(f"\nReport: {root / REPORT}   Collected into {root / layout.SUBMITTED_DIR}/")
    return 0


def zip_collect_app(root: Path, lms: str, assignment: str) -> ZipCollectApp:
    """nbgrader's ZipCollectApp on `root` with the course's nbgrader_config.py."""
    config = PyFileConfigLoader("nbgrader_config.py", path=str(layout.ROOT)).load_config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.assignment_id = assignment
    config.LmsCollector.lms = lms
    app = ZipCollectApp(config=config)
    app.coursedir = CourseDirectory(parent=app)  # what app.initialize() would do from argv
    app.log.setLevel("ERROR")  # our report says what happened to each file
    return app


def write_report(root: Path, assignment: str, archive: Path, lines: list[str]) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    with open(root / REPORT, "a") as f:
        f.write(f"== {stamp}: {archive.name} -> {assignment}\n")
        f.write("".join(f"{line}\n" for line in lines) or "nothing in the download\n")


def apply_due_dates(root: Path) -> list[str]:
    """Store grading.toml's [due] dates on the gradebook's assignments (before autograding:
    nbgrader computes lateness from them). Returns the assignments that got one; a name in
    [due] that is no assignment raises, with the names there are."""
    due, zone, known = settings(root).get("due", {}), local_zone(root), layout.assignments(root)
    dates = {a: d for a, d in due.items() if a != "timezone"}
    if unknown := sorted(set(dates) - set(known)):
        raise RuntimeError(f"grading.toml [due]: no assignment {unknown}; there are {known}")
    with NbGrader(root).gradebook() as gb:
        for assignment, when in dates.items():
            moment = datetime.fromisoformat(str(when))
            moment = moment if moment.tzinfo else moment.replace(tzinfo=zone)
            gb.update_or_create_assignment(assignment, duedate=moment.astimezone(UTC))
    return sorted(dates)


class LatePenalty(LateSubmissionPlugin):
    """grading.toml's [late-penalty]: method "none", "zero" (nbgrader's own), or
    "per-day": `percent-per-day` of the score for each started day late, at most
    `max-percent`; `grace-minutes` of lateness are free."""

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        rule = settings(self.course_root()).get("late-penalty", {})
        method = rule.get("method", "none")
        grace = timedelta(minutes=rule.get("grace-minutes", 0))
        late = timedelta(seconds=total_seconds_late) - grace
        if method == "none" or late <= timedelta(0):
            return None
        if method == "zero":
            return score
        days = -(-late // timedelta(days=1))  # started days
        percent = min(rule.get("percent-per-day", 10) * days, rule.get("max-percent", 100))
        return score * percent / 100

    def course_root(self) -> Path:
        """The course directory of the converter that runs this plugin."""
        node = self
        while node is not None and not hasattr(node, "coursedir"):
            node = node.parent
        return Path(node.coursedir.root) if node is not None else layout.ROOT
