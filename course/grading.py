"""`make grade`: take in submitted/, autograde what changed, export grades, write feedback.

The roster is read first (course.roster): a roster that cannot be used stops the run
before anything is graded. Changed assignments are released again. Intake
(course.intake) reads the originals in submitted/ and writes what nbgrader grades to
intake/. A submission is autograded only when what it would be graded from changed since
it was last graded (course.state), unless asked for by name or FORCE; `workers` at a time,
each on its own, so one broken notebook cannot stop the others. Ctrl-C stops the run
within seconds; what was not finished is graded by the next run. Every student gets a row
per assignment in grades.csv, with a note saying why where the score is not simply the
autograder's. The exit status is 1 when something could not be graded, 130 if interrupted.
"""

import hashlib
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from . import collect, intake, interrupts, layout, parallel, release, roster, sandbox, state
from .export import GRADES_CSV, export
from .nbgrader_api import NbGrader
from .roster import ROSTER_CSV

__all__ = ["GRADES_CSV", "ROSTER_CSV", "export", "grade", "gradebook"]


def grade(
    root: Path,
    release_first: bool = True,
    workers: int = 1,
    students: list[str] | None = None,
    assignments: list[str] | None = None,
    force: bool = False,
    share: tuple[int, int] | None = None,
) -> int:
    """Grade the course directory `root`; print scores and problems; return the exit status.

    `students` / `assignments` narrow the run to those submissions, which are then graded
    again even if unchanged; `force` grades everything again; `share` (k, n): only the
    students of the k-th of n machines that share one gradebook database."""
    if why := not_ready(root, assignments):
        print(why)
        return 1
    class_list = roster.read(root)
    if class_list.problems:
        print("The roster cannot be used, so nothing was graded:")
        print("\n".join(f"  {line}" for line in class_list.problems))
        return 1
    try:
        print(sandbox.announce(root))
    except sandbox.SandboxError as err:
        print(f"The grading kernels cannot be sandboxed, so nothing was graded: {err}")
        return 1
    records = state.State(root)
    known = layout.assignments(root)
    if release_first and (count := release.release_changed(root, known, records)):
        print(f"Released {count} changed assignment(s) into the gradebook")
    collect.apply_due_dates(root)  # grading.toml's [due]: nbgrader's late penalties need them
    folders = submitted_folders(root)
    ids, roster_notes = roster.match_folders(class_list, folders)
    for line in class_list.warnings + roster_notes:
        print(f"roster: {line}")
    intakes, other = intake.take_in(root, known, ids)
    intake_report = intake.write_report(root, intakes, other)
    add_students(root, class_list, {it.student for it in intakes} | set(ids.values()) - {None})
    selection = Selection(students or [], assignments or [], share)
    wanted = [it for it in intakes if selection.wants(it.student, it.assignment)]
    jobs = plan(root, wanted, records, force or selection.named)
    forget_missing(root, intakes, records, selection)
    unchanged = sum(1 for it in wanted if it.notebook) - len(jobs)
    print(f"Autograding {len(jobs)} submission(s), {workers} at a time ({unchanged} unchanged)")
    try:
        with interrupts.interruptible():
            progress = parallel.Progress(len(jobs))
            # closing: an interrupt between two results stops the workers before we go on
            with closing(parallel.autograde_all(root, jobs, workers)) as results:
                for done in results:
                    record = finished_record(done, records)
                    records.put(done.job.student, done.job.assignment, record)
                    progress.update(done)  # printed once its record is saved
    except KeyboardInterrupt:
        saved = state.State(root)  # what was written before the interrupt, not what was meant
        unfinished = [j for j in jobs if saved.get(j.student, j.assignment).status == state.PENDING]
        for job in unfinished:  # a worker may have written feedback its record never got
            remove_feedback(root, job.student, job.assignment)
        finished = len(jobs) - len(unfinished)
        export(root, quiet=True)
        print(f"\ninterrupted: {finished} of {len(jobs)} graded; run make grade again to finish")
        return 130
    status = export(root, mine=selection.wants)
    print(f"Intake:     {intake_report} (repairs, problems, suspicious code, per student)")
    print(f"Feedback:   {root / 'feedback'}/<student>/<assignment>/<assignment>.html")
    print(f"Autograded: {root / 'autograded'}   Gradebook: {NbGrader(root).db_url}")
    if other:
        print(f"\n{len(other)} folder(s) or file(s) in {layout.SUBMITTED_DIR}/ not taken in:")
        print("\n".join(f"  {line}" for line in other))
        status = 1
    return status


def not_ready(root: Path, assignments: list[str] | None = None) -> str | None:
    """Why `root` cannot be graded, with what to do; None when it can."""
    if not (root / layout.SOURCE_DIR).is_dir():
        return f"Not a course directory: {root} has no {layout.SOURCE_DIR}/ folder."
    if not (root / layout.SUBMITTED_DIR).is_dir():
        return (
            f"Nothing to grade: {root / layout.SUBMITTED_DIR} does not exist.\n"
            "Put each submission at submitted/<student>/<assignment>/<assignment>.ipynb "
            "(nbgrader's layout) and run `make grade` again."
        )
    unknown = sorted(set(assignments or []) - set(layout.assignments(root)))
    if unknown:
        names = ", ".join(layout.assignments(root))
        return f"No such assignment: {', '.join(unknown)} (the assignments are {names})"
    return None


def submitted_folders(root: Path) -> list[str]:
    """Names of the usable student folders in submitted/."""
    submitted = root / layout.SUBMITTED_DIR
    return [f.name for f in submitted.iterdir() if not intake.unusable(f, root, "a folder")]


@dataclass(frozen=True)
class Selection:
    """The submissions a run is about: named students and assignments (none named: all),
    within one machine's share of the class."""

    students: list[str]
    assignments: list[str]
    share: tuple[int, int] | None = None

    @property
    def named(self) -> bool:
        return bool(self.students or self.assignments)

    def wants(self, student: str, assignment: str) -> bool:
        named = {roster.canonical(s) for s in self.students}
        return (
            (not named or roster.canonical(student) in named)
            and (not self.assignments or assignment in self.assignments)
            and (not self.share or machine(student, self.share[1]) == self.share[0])
        )


def print_shares(root: Path, machines: int) -> int:
    """Print the students in submitted/ (and on the roster) each grading machine grades."""
    students = set(submitted_folders(root)) if (root / layout.SUBMITTED_DIR).is_dir() else set()
    students |= set(roster.read(root).students)
    for k in range(1, machines + 1):
        mine = sorted(s for s in students if machine(s, machines) == k)
        print(f"machine {k}/{machines} (make grade SHARE={k}/{machines}): {len(mine)} student(s)")
        print("  " + " ".join(mine))
    return 0


def machine(student: str, machines: int) -> int:
    """Which of `machines` graders (1, 2, ...) grades a student: a stable hash of the id."""
    digest = hashlib.sha256(roster.canonical(student).encode()).digest()
    return int.from_bytes(digest[:8], "big") % machines + 1


def gradebook(root: Path):
    """The course's gradebook (nbgrader's Gradebook, a context manager)."""
    return NbGrader(root).gradebook()


def add_students(root: Path, class_list: roster.Roster, students: set[str]) -> None:
    """Put the roster's students and every student with a folder in the gradebook."""
    with gradebook(root) as gb:
        for s in class_list.students.values():
            details = {"first_name": s.first_name, "last_name": s.last_name, "email": s.email}
            gb.update_or_create_student(s.id, **{k: v for k, v in details.items() if v})
        for student in sorted(students - set(class_list.students)):
            gb.update_or_create_student(student)


def plan(root: Path, intakes: list, records: state.State, force: bool) -> list[parallel.Job]:
    """The submissions to autograde: new, changed, unfinished, or all (`force`). Each is
    marked pending, and its old feedback removed, before any grading starts; submissions
    that cannot be graded get their record here. The longest (as last graded) go first."""
    settings = state.settings_fingerprint(root)
    sources = {a: state.source_fingerprint(root, a) for a in {it.assignment for it in intakes}}
    took = {where: record.seconds for where, record in records.records.items() if record.seconds}
    jobs = []
    for it in intakes:
        old = records.get(it.student, it.assignment)
        if not it.notebook:
            records.put(it.student, it.assignment, ungradable_record(it))
            continue
        fingerprint = state.fingerprint(it.notebook.parent, sources[it.assignment], settings)
        done = old and old.fingerprint == fingerprint and old.status in (state.GRADED, state.FAILED)
        if done and not force:
            continue
        record = state.Record(fingerprint, state.PENDING, **intake_notes(it))
        records.records[state.key(it.student, it.assignment)] = record
        jobs.append(parallel.Job(it.student, it.assignment))
    records.save()  # pending first: stopped here or later, the next run grades them again
    for job in jobs:
        remove_feedback(root, job.student, job.assignment)
    return parallel.longest_first(jobs, took)


def intake_notes(it: intake.Intake) -> dict:
    """What intake found that the instructor should know, as fields of a Record."""
    if it.problems or it.suspicious:
        note = "graded; check by hand: " + "; ".join(it.problems + it.suspicious)
        return {"note": note, "check": True, "repaired": bool(it.repairs)}
    if it.repairs:
        note = f"graded after {len(it.repairs)} repair(s): see {intake.REPORT}"
        return {"note": note, "repaired": True}
    return {}


def ungradable_record(it: intake.Intake) -> state.Record:
    why = "; ".join(it.problems)
    note = why if "not graded" in why else f"not graded: {why}"
    return state.Record("", state.UNGRADABLE, note=note, check=True, graded_at=state.now())


def finished_record(done: parallel.Done, records: state.State) -> state.Record:
    """The record of a submission whose grading just ended."""
    record = records.get(done.job.student, done.job.assignment)
    record.seconds, record.graded_at = round(done.seconds, 1), state.now()
    record.scores, record.manual_before = done.scores, done.manual_before
    if done.error:
        record.status, record.check, record.log = state.FAILED, True, done.log
        record.note = f"not graded: nbgrader failed ({done.error}); its log: {done.log}"
        return record
    record.status = state.GRADED
    if done.retried:
        record.note = "; ".join(filter(None, [record.note, f"graded on a retry ({done.retried})"]))
    return record


def forget_missing(root: Path, intakes: list, records: state.State, selection: Selection):
    """Mark the selection's records whose submission is no longer in submitted/."""
    present = {state.key(it.student, it.assignment) for it in intakes}
    for where, record in records.records.items():
        student, assignment = where.split("/", 1)
        if where in present or record.status == state.GONE:
            continue
        if not selection.wants(student, assignment):
            continue
        record.status, record.check = state.GONE, True
        record.note = (
            f"not exported: its folder in {layout.SUBMITTED_DIR}/ is gone (it was graded "
            f"{record.graded_at or 'earlier'}); put it back and run make grade, or leave it at 0"
        )
        remove_feedback(root, student, assignment)
    records.save()


def remove_feedback(root: Path, student: str, assignment: str) -> None:
    """No feedback from an earlier version of a submission may look current."""
    for path in (root / "feedback" / student / assignment).glob("*.html"):
        path.unlink()
