"""`make export LMS=canvas|moodle`: grades.csv as a gradebook import file the LMS reads.

One row per student, one column per assignment, the score after any late penalty (what
grades.csv calls `score`). Students are matched in the LMS by the columns below, filled from
roster.csv (`id`, `lms_id`, `first_name`, `last_name`, `email`, `section` when present).

- Canvas ("How do I import grades in the Gradebook?", Canvas Instructor Guide): the columns
  of Canvas's own gradebook export, `Student` ("Last, First"), `ID` (Canvas user id),
  `SIS User ID`, `SIS Login ID`, `Section`, then one column per assignment, and a
  `Points Possible` row. A column named like no Canvas assignment creates one on import;
  to fill an existing assignment, give its exported header ("03 Training (4567)") in
  grading.toml's [lms-columns].
- Moodle ("Grade import", MoodleDocs: the import format is the export format): `First name`,
  `Last name`, `ID number`, `Email address`, then one column per assignment; on upload map
  "Email address" to "useremail" and each assignment column to its grade item.
"""

import csv
import zipfile
from pathlib import Path

from . import layout

GRADES_CSV = "grades.csv"
CANVAS_IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_IDENTITY = ["First name", "Last name", "ID number", "Email address"]
POINTS_POSSIBLE = "    Points Possible"  # as Canvas writes it in its export's second row


def import_file(root: Path, lms: str) -> Path:
    return root / f"lms-import-{lms}.csv"


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def roster_rows(root: Path) -> dict[str, dict]:
    """roster id -> its row (column names lower-cased), from roster.csv if present."""
    path = root / "roster.csv"
    if not path.is_file():
        return {}
    rows = [
        {k.strip().casefold(): (v or "").strip() for k, v in r.items() if k} for r in read_csv(path)
    ]
    return {r["id"]: r for r in rows if r.get("id")}


def column_names(root: Path, assignments: list[str]) -> dict[str, str]:
    """assignment -> its column header in the LMS (grading.toml's [lms-columns], else the name)."""
    named = layout.grading_settings(root).get("lms-columns", {})
    return {a: named.get(a, a) for a in assignments}


def write_import(root: Path, lms: str) -> Path:
    """Write lms-import-<lms>.csv from grades.csv (rewrite that first: `make export`)."""
    if not (root / GRADES_CSV).is_file():
        raise RuntimeError(f"{root / GRADES_CSV} does not exist: run make grade or make export")
    grades = read_csv(root / GRADES_CSV)
    assignments = list(dict.fromkeys(row["assignment"] for row in grades))
    headers = column_names(root, assignments)
    scores: dict[str, dict] = {}
    for row in grades:
        scores.setdefault(row["student_id"], {})[headers[row["assignment"]]] = score(row["score"])
    people, roster = {r["student_id"]: r for r in grades}, roster_rows(root)
    identity = {"canvas": canvas_identity, "moodle": moodle_identity}[lms]
    rows = [identity(people[s], roster.get(s, {})) | scores[s] for s in sorted(scores)]
    fields = (CANVAS_IDENTITY if lms == "canvas" else MOODLE_IDENTITY) + list(headers.values())
    if lms == "canvas":
        maxima = {headers[r["assignment"]]: score(r["max_score"]) for r in grades}
        rows.insert(0, {"Student": POINTS_POSSIBLE} | maxima)
    path = import_file(root, lms)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path


def score(value: str) -> str:
    """'7.0' -> '7', '7.25' -> '7.25': what an LMS shows."""
    return f"{float(value or 0):g}"


def canvas_identity(grade: dict, person: dict) -> dict:
    last = grade["last_name"] or person.get("last_name", "")
    first = grade["first_name"] or person.get("first_name", "")
    return {
        "Student": ", ".join(n for n in (last, first) if n) or grade["student_id"],
        "ID": person.get("lms_id", ""),
        "SIS User ID": person.get("sis user id", ""),
        "SIS Login ID": grade["student_id"],
        "Section": person.get("section", ""),
    }


def moodle_identity(grade: dict, person: dict) -> dict:
    return {
        "First name": grade["first_name"] or person.get("first_name", ""),
        "Last name": grade["last_name"] or person.get("last_name", ""),
        "ID number": grade["student_id"],
        "Email address": grade["email"] or person.get("email", ""),
    }


BUNDLE_DIR = "feedback-bundles"
MAIL_MERGE = "mail-merge.csv"


def write_bundles(root: Path) -> Path:
    """feedback-bundles/<student>-feedback.zip: a student's feedback pages (<assignment>.html),
    and mail-merge.csv naming each student's address and zip (for a mail merge's attachment
    column, or to upload each page as an LMS feedback file)."""
    feedback, out = root / "feedback", root / BUNDLE_DIR
    if not feedback.is_dir():
        raise RuntimeError(f"{feedback} does not exist: run make grade first")
    out.mkdir(exist_ok=True)
    people = roster_rows(root)
    rows = []
    for student in sorted(p.name for p in feedback.iterdir() if p.is_dir()):
        pages = sorted((feedback / student).glob("*/*.html"))
        if not pages:
            continue
        bundle = out / f"{student}-feedback.zip"
        with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as z:
            for page in pages:
                z.write(page, f"{student}-{page.name}")
        person = people.get(student, {})
        rows.append({"student_id": student} | {k: person.get(k, "") for k in MAIL_FIELDS})
        rows[-1]["attachment"] = str(bundle.relative_to(root))
    with open(out / MAIL_MERGE, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["student_id", *MAIL_FIELDS, "attachment"])
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} bundle(s) in {out}/, and {out / MAIL_MERGE}")
    return out


MAIL_FIELDS = ["first_name", "last_name", "email", "lms_id"]


if __name__ == "__main__":  # python -m course.lms bundle (make feedback-bundle)
    import sys

    if sys.argv[1:] != ["bundle"]:
        sys.exit("usage: python -m course.lms bundle")
    write_bundles(layout.ROOT)
