"""From the LMS and back, with the real nbgrader zip_collect on generated Canvas and Moodle
downloads (a late file, a resubmission, a Colab-saved notebook, unknown names), real
grading with a due date and a late penalty, the LMS import files compared with the
documented columns, the feedback bundles, and `git status` clean after it all."""

import contextlib
import csv
import io
import json
import shutil
import subprocess
import zipfile

import pytest

from course import collect, grading, layout, lms

from . import fixture_course as fx

ROSTER = "id,first_name,last_name,email,lms_id\njane,Jane,Doe,jane@uni.example,101\n"
ROSTER += "bob,Bob,Smith,bob@uni.example,102\n"
DUE = '\n[due]\ntimezone = "UTC"\n"00-fixture" = "2026-10-05 23:59"\n'
DUE += '[late-penalty]\nmethod = "per-day"\npercent-per-day = 10\n'
ON_TIME, ONE_DAY_LATE, TWO_DAYS_LATE = (
    (2026, 10, 5, 12, 0, 0),
    (2026, 10, 6, 9, 0, 0),
    (2026, 10, 7, 9, 0, 0),
)


def colab(root) -> str:
    """The notebook as Google Colab saves it: nbformat 4.0, no cell ids, Colab metadata."""
    nb = json.loads(json.dumps(fx.submission(root)))
    nb["nbformat_minor"] = 0
    nb["metadata"] = {"colab": {"provenance": []}, "kernelspec": {"name": "python3"}}
    for c in nb["cells"]:
        c.pop("id", None)
    return json.dumps(nb)


def make_zip(path, entries):
    """entries: (name in the zip, its time as the LMS stamped it, content)."""
    with zipfile.ZipFile(path, "w") as z:
        for name, when, content in entries:
            z.writestr(zipfile.ZipInfo(name, when), content)
    return path


def canvas_download(root, path):
    nb = json.dumps(fx.submission(root))
    return make_zip(
        path,
        [
            (
                "doejane_101_5001_00-fixture.ipynb",
                (2026, 10, 1, 10, 0, 0),
                json.dumps(fx.blank(root)),
            ),
            ("doejane_101_5002_00-fixture-1.ipynb", ON_TIME, nb),  # her resubmission
            ("smithbob_late_102_5003_Copy of 00-fixture.ipynb", TWO_DAYS_LATE, colab(root)),
            ("smithbob_late_102_5004_notes.pdf", TWO_DAYS_LATE, "%PDF-1.4"),
            ("00-fixture.ipynb", ON_TIME, nb),  # not named by Canvas
        ],
    )


def submitted(root, student):
    return root / layout.SUBMITTED_DIR / student / fx.ASSIGNMENT


def run_collect(root, archive, lms_name="canvas"):
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = collect.collect(root, archive, lms_name)
    assert status == 0, printed.getvalue()
    return printed.getvalue()


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    return fx.make_course(tmp_path_factory.mktemp("released"))


@pytest.fixture
def course(released, tmp_path):
    """A fresh copy of the released fixture course, with a roster that has LMS ids."""
    root = shutil.copytree(released, tmp_path / "course")
    (root / "roster.csv").write_text(ROSTER)
    return root


def test_canvas_download(course, tmp_path):
    report = run_collect(course, canvas_download(course, tmp_path / "submissions.zip"))
    assert sorted(p.name for p in (course / layout.SUBMITTED_DIR).iterdir()) == ["bob", "jane"]
    for student in ("jane", "bob"):
        files = sorted(p.name for p in submitted(course, student).iterdir())
        assert files == [f"{fx.ASSIGNMENT}.ipynb", "timestamp.txt"], files
    assert (submitted(course, "jane") / "timestamp.txt").read_text() == "2026-10-05 12:00:00"
    assert (submitted(course, "bob") / "timestamp.txt").read_text() == "2026-10-07 09:00:00"
    jane = json.loads((submitted(course, "jane") / f"{fx.ASSIGNMENT}.ipynb").read_text())
    assert jane == json.loads(json.dumps(fx.submission(course))), "the newest file is kept"
    assert "superseded     doejane_101_5001_00-fixture.ipynb" in report
    assert "older than doejane_101_5002_00-fixture-1.ipynb" in report
    assert "Canvas marks it late" in report
    assert "not a notebook smithbob_late_102_5004_notes.pdf" in report
    assert (
        f"unknown name   00-fixture.ipynb: not the canvas pattern {collect.PATTERNS['canvas']}"
        in report
    )
    assert report.splitlines()[0] in (course / collect.REPORT).read_text()


def test_moodle_download_with_and_without_folders(course, tmp_path):
    nb = json.dumps(fx.submission(course))
    archive = make_zip(
        tmp_path / "COURSE-Fixture-42.zip",
        [
            ("Jane Doe_101_assignsubmission_file_00-fixture.ipynb", ON_TIME, nb),
            ("Bob Smith_102_assignsubmission_file_/00-fixture (1).ipynb", ONE_DAY_LATE, nb),
            ("Carla Ruiz_103_assignsubmission_file_00-fixture.ipynb", ON_TIME, nb),
            ("Jane Doe_101_assignsubmission_onlinetext_onlinetext.html", ON_TIME, "<p>hi</p>"),
            ("feedback.ipynb", ON_TIME, nb),
        ],
    )
    report = run_collect(course, archive, "moodle")
    assert sorted(p.name for p in (course / layout.SUBMITTED_DIR).iterdir()) == [
        "103",
        "bob",
        "jane",
    ]
    assert (submitted(course, "bob") / "timestamp.txt").read_text() == "2026-10-06 09:00:00"
    assert "LMS id 103 (Carla Ruiz) has no row with that lms_id in roster.csv" in report
    assert "not a notebook Jane Doe_101_assignsubmission_onlinetext_onlinetext.html" in report
    assert "unknown name   feedback.ipynb: not the moodle pattern" in report


def snapshot(root):
    folder = root / layout.SUBMITTED_DIR
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_collecting_again_is_idempotent_and_a_newer_zip_replaces_only_what_is_newer(
    course, tmp_path
):
    first = canvas_download(course, tmp_path / "submissions.zip")
    run_collect(course, first)
    before = snapshot(course)
    report = run_collect(course, first)
    assert snapshot(course) == before
    assert "unchanged      doejane_101_5002_00-fixture-1.ipynb" in report
    fixed = json.dumps(fx.submission(course, ex1_double="def double(x):\n    return x * 2"))
    (tmp_path / "later").mkdir()
    later = make_zip(
        tmp_path / "later" / "submissions.zip",
        [
            ("doejane_101_5010_00-fixture-2.ipynb", (2026, 10, 6, 8, 0, 0), fixed),
            ("smithbob_102_5003_00-fixture.ipynb", (2026, 10, 4, 8, 0, 0), fixed),  # older
        ],
    )
    report = run_collect(course, later)
    after = snapshot(course)
    assert after["jane/00-fixture/timestamp.txt"] == b"2026-10-06 08:00:00"
    assert after["jane/00-fixture/00-fixture.ipynb"] == fixed.encode()
    assert {k: v for k, v in after.items() if k.startswith("bob/")} == {
        k: v for k, v in before.items() if k.startswith("bob/")
    }
    assert "unchanged      smithbob_102_5003_00-fixture.ipynb" in report


def git(repo, *args):
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def graded_repo(tmp_path_factory):
    """A git repository with this repository's .gitignore and a fixture course, a Canvas
    download collected into it with a due date, graded by `make grade`'s code."""
    root = tmp_path_factory.mktemp("repo")
    git(root, "init", "-q")
    shutil.copyfile(layout.ROOT / ".gitignore", root / ".gitignore")
    fx.make_course(root)
    (root / layout.GRADING_TOML).write_text((root / layout.GRADING_TOML).read_text() + DUE)
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "course")
    (root / "roster.csv").write_text(ROSTER)
    run_collect(root, canvas_download(root, root / "submissions.zip"))
    assert collect.apply_due_dates(root) == [fx.ASSIGNMENT]
    with contextlib.redirect_stdout(io.StringIO()):
        grading.grade(root, workers=2)
    with open(root / grading.GRADES_CSV) as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    return root, rows


def test_late_work_loses_points_per_day(graded_repo):
    _, rows = graded_repo
    assert (
        float(rows["jane"]["score"]) == 10 and float(rows["jane"]["late_submission_penalty"]) == 0
    )
    # due 2026-10-05 23:59 UTC, handed in 2026-10-07 09:00: 2 started days, 10 % each
    assert float(rows["bob"]["raw_score"]) == 10
    assert float(rows["bob"]["late_submission_penalty"]) == 2
    assert float(rows["bob"]["score"]) == 8
    assert rows["bob"]["duedate"].startswith("2026-10-05 23:59")


CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", fx.ASSIGNMENT]
MOODLE_HEADER = ["First name", "Last name", "ID number", "Email address", fx.ASSIGNMENT]


def test_lms_import_files_have_the_documented_columns(graded_repo):
    root, _ = graded_repo
    with open(lms.write_import(root, "canvas"), newline="") as f:
        canvas = list(csv.reader(f))
    assert canvas[0] == CANVAS_HEADER
    assert canvas[1] == ["    Points Possible", "", "", "", "", "10"]
    assert canvas[2:] == [
        ["Smith, Bob", "102", "", "bob", "", "8"],
        ["Doe, Jane", "101", "", "jane", "", "10"],
    ]
    with open(lms.write_import(root, "moodle"), newline="") as f:
        moodle = list(csv.reader(f))
    assert moodle[0] == MOODLE_HEADER
    assert moodle[1:] == [
        ["Bob", "Smith", "bob", "bob@uni.example", "8"],
        ["Jane", "Doe", "jane", "jane@uni.example", "10"],
    ]


def test_feedback_bundles(graded_repo):
    root, _ = graded_repo
    with contextlib.redirect_stdout(io.StringIO()):
        out = lms.write_bundles(root)
    for student in ("jane", "bob"):
        with zipfile.ZipFile(out / f"{student}-feedback.zip") as z:
            assert z.namelist() == [f"{student}-{fx.ASSIGNMENT}.html"]
            assert b"course-summary" in z.read(f"{student}-{fx.ASSIGNMENT}.html")
    with open(out / lms.MAIL_MERGE) as f:
        rows = list(csv.DictReader(f))
    assert [(r["student_id"], r["email"], r["attachment"]) for r in rows] == [
        ("bob", "bob@uni.example", "feedback-bundles/bob-feedback.zip"),
        ("jane", "jane@uni.example", "feedback-bundles/jane-feedback.zip"),
    ]


def test_student_data_stays_out_of_git(graded_repo):
    root, _ = graded_repo
    lms.write_import(root, "canvas")
    with contextlib.redirect_stdout(io.StringIO()):
        lms.write_bundles(root)
    made = {p.name for p in root.iterdir()} - {".git"}
    for expected in ("submitted", "downloaded", "gradebook.db", "feedback", "roster.csv"):
        assert expected in made, f"the workflow did not make {expected}: the test proves nothing"
    assert git(root, "status", "--porcelain", "--untracked-files=all") == ""


def test_a_due_date_for_no_assignment_is_refused(course):
    (course / layout.GRADING_TOML).write_text(
        (course / layout.GRADING_TOML).read_text() + '\n[due]\n"00-fixtre" = "2026-10-05 23:59"\n'
    )
    with pytest.raises(
        RuntimeError, match=r"no assignment \['00-fixtre'\]; there are \['00-fixture'\]"
    ):
        collect.apply_due_dates(course)
