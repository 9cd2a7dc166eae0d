"""Hostile submissions against the sandbox (course/sandbox.py), graded with the real
pipeline: one class, graded once with the sandbox and once without. With it, every attack
fails and every student gets the exact score of their answers; without it, the same
attacks succeed (so that these tests can fail). The unsandboxed attacks stay inside the
temporary course directory, and the processes they leave are killed at the end."""

import contextlib
import csv
import io
import json
import os
import signal
import socket
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from course import cells, grading, layout, sandbox

from . import fixture_course as fx

PROCESSES = 64  # the fixture course's process limit per kernel
WRONG_DOUBLE = "def double(x):\n    return x"  # exercise 1 wrong: 8 of 10 points
HIDDEN_TEST = "assert_close(double(torch.arange(3.0))"  # text of a hidden test
SOLUTION = "return x + x"  # text of the instructor's answer to exercise 1
ROOT = "root = Path.cwd().parents[2]  # autograded/<student>/<assignment>/ is the cwd\n"

FORGE_SQL = (
    "UPDATE grade SET manual_score = (SELECT max_score FROM grade_cells c WHERE c.id = cell_id)"
    " WHERE notebook_id IN (SELECT n.id FROM submitted_notebook n JOIN submitted_assignment a"
    " ON n.assignment_id = a.id WHERE a.student_id = ?)"
)
FORGER = f"""
import os, sqlite3, sys, time
db, student, when = sys.argv[1:4]
finished = os.path.join(os.path.dirname(db), "grades.csv")
end = time.time() + 600  # the test kills it sooner
while time.time() < end:
    if when == "during" or os.path.exists(finished):
        try:
            with sqlite3.connect(db, timeout=2) as con:
                con.execute({FORGE_SQL!r}, (student,))
            if when == "after":
                break
        except Exception:
            pass
    time.sleep(0.3)
"""
MARKER = "course-test-forger"  # on the forgers' command lines, to find them afterwards


def forge(when: str) -> str:
    """An answer cell that starts a detached process writing full marks into the gradebook,
    all the time (`during`) or once grades.csv exists (`after`)."""
    return (
        "import subprocess, sys\nfrom pathlib import Path\n\n"
        + ROOT
        + f"args = [sys.executable, '-c', {FORGER!r}, str(root / 'gradebook.db')]\n"
        + f"args += [Path.cwd().parent.name, {when!r}, {MARKER!r}]  # the student\n"
        + "subprocess.Popen(args, start_new_session=True, stdin=subprocess.DEVNULL,\n"
        + "                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        + WRONG_DOUBLE
    )


READ_SECRETS = (
    "from pathlib import Path\n\n"
    + ROOT
    + "for path in (root / 'solutions/00-fixture/00-fixture.ipynb', root / 'gradebook.db'):\n"
    + "    try:\n"
    + "        text = path.read_bytes().decode('latin-1')\n"
    + "    except OSError as err:\n"
    + "        print('cannot read', path.name, type(err).__name__)\n"
    + "    else:\n"
    + "        keys = ('assert_close(double', 'x + x')\n"
    + "        print(path.name, [s for s in text.splitlines() if any(k in s for k in keys)])\n"
)
CLOBBER = (
    "from pathlib import Path\n\n"
    + ROOT
    + "victim = Path('perfect', '00-fixture', '00-fixture.ipynb')\n"
    + "for change in (lambda: (root / 'submitted' / victim).write_text('{}'),\n"
    + "               lambda: (root / 'intake' / victim).unlink()):\n"
    + "    try:\n"
    + "        change()\n"
    + "    except OSError as err:\n"
    + "        print(type(err).__name__, err)\n"
)
PLANT_LINK = (
    "import os\nfrom pathlib import Path\n\n"
    + ROOT
    + "os.remove('00-fixture.ipynb')  # the grader writes the autograded notebook here\n"
    + "os.symlink(root / 'submitted/link-victim/00-fixture/00-fixture.ipynb', '00-fixture.ipynb')\n"
)
FORK_100 = """\
import os
import time

forked = 0
for _ in range(100):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(3)
        os._exit(0)
    forked += 1
for _ in range(forked):
    os.wait()
print("forked", forked)
"""
FORK_BOMB = "import os\n\nwhile True:\n    os.fork()"


def phone_home(port: int) -> str:
    return (
        "import socket\n\ntry:\n"
        + f"    with socket.create_connection(('127.0.0.1', {port}), timeout=3) as s:\n"
        + "        s.sendall(b'phones-home')\n"
        + "    print('connected')\n"
        + "except OSError as err:\n"
        + "    print('no network:', err)\n"
    )


def correct(attack: str, exercise: str = "ex2-norm") -> dict:
    """Answers: all correct, with `attack` run first in the answer cell of `exercise`."""
    return {exercise.replace("-", "_"): attack + fx.ANSWERS[exercise]}


def class_of(port: int, sandboxed: bool) -> dict[str, tuple[dict, int]]:
    """student -> (answers, the exact score they earn)"""
    students = {
        "perfect": ({}, 10),
        "link-victim": ({}, 10),
        "forges-while-graded": ({"ex1_double": forge("during")}, 8),
        "forges-after-grading": ({"ex1_double": forge("after")}, 8),
        "reads-solutions-and-gradebook": (correct(READ_SECRETS), 10),
        "clobbers-a-classmate": (correct(CLOBBER), 10),
        "plants-a-link": (correct(PLANT_LINK), 10),
        "phones-home": (correct(phone_home(port)), 10),
        "forks-100-children": (correct(FORK_100), 10),
    }
    if sandboxed:  # unsandboxed, a fork bomb would take the machine down
        students["fork-bomb"] = ({"ex3_mean": FORK_BOMB}, 5)
    return students


class Listener:
    """A TCP server on the grading machine's loopback, recording what it is sent."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.received: list[bytes] = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        with contextlib.suppress(OSError):
            while True:
                conn, _ = self.server.accept()
                with conn:
                    self.received.append(conn.recv(100))


def forgers(root: Path) -> list[int]:
    """Process ids of the forgers started for the course directory `root`."""
    pids = []
    for entry in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            args = entry.read_bytes().split(b"\0")
            if MARKER.encode() in args and str(root).encode() in b" ".join(args):
                pids.append(int(entry.parent.name))
    return pids


def forged(root: Path, student: str) -> bool:
    """Whether the gradebook holds manual scores (the forgers' full marks) for `student`."""
    query = FORGE_SQL.split(" WHERE notebook_id")[1]
    query = "SELECT manual_score FROM grade WHERE notebook_id" + query
    with contextlib.closing(sqlite3.connect(root / "gradebook.db")) as db:
        return any(score is not None for (score,) in db.execute(query, (student,)))


@pytest.fixture(scope="module", params=["sandboxed", "unsandboxed"])
def graded(request, tmp_path_factory):
    sandboxed = request.param == "sandboxed"
    if sandboxed and (why := sandbox.unavailable()):
        pytest.skip(f"no sandbox on this machine: {why}. Install: {sandbox.INSTALL}")
    root = fx.make_course(tmp_path_factory.mktemp(request.param)).resolve()
    with open(root / layout.GRADING_TOML, "a") as f:
        f.write(f"[sandbox]\nenabled = {str(sandboxed).lower()}\nprocesses = {PROCESSES}\n")
    listener = Listener()
    students = class_of(listener.port, sandboxed)
    originals = {
        student: fx.submit(root, student, fx.submission(root, **answers)).read_bytes()
        for student, (answers, _) in students.items()
    }
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            grading.grade(root, workers=2)
        with open(root / grading.GRADES_CSV) as f:
            rows = {row["student_id"]: row for row in csv.DictReader(f)}
        deadline = time.monotonic() + 10  # unsandboxed, the late forger needs a moment
        while not sandboxed and not forged(root, "forges-after-grading"):
            assert time.monotonic() < deadline, "the late forger did not write"
            time.sleep(0.2)
        yield dict(
            sandboxed=sandboxed,
            root=root,
            rows=rows,
            students=students,
            originals=originals,
            listener=listener,
            forgers=forgers(root),
        )
    finally:
        listener.server.close()
        for pid in forgers(root):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def outputs(root: Path, student: str) -> str:
    """The text of every output in the student's autograded notebook."""
    nb = cells.read(root / "autograded" / student / fx.ASSIGNMENT / f"{fx.ASSIGNMENT}.ipynb")
    return json.dumps([c.get("outputs", []) for c in nb.cells])


def feedback(root: Path, student: str) -> str:
    return (root / "feedback" / student / fx.ASSIGNMENT / f"{fx.ASSIGNMENT}.html").read_text()


def test_every_score_is_the_graders_own(graded):
    """Sandboxed, each student gets exactly what their answers earn, forgers and fork bomb
    included, and classmates of the hostile ones lose nothing."""
    if not graded["sandboxed"]:
        pytest.skip("unsandboxed, the attacks below change scores and files")
    got = {s: float(graded["rows"][s]["score"]) for s in graded["students"]}
    assert got == {s: score for s, (_, score) in graded["students"].items()}


def test_detached_processes_cannot_write_the_gradebook(graded):
    root = graded["root"]
    for student in ("forges-while-graded", "forges-after-grading"):
        assert forged(root, student) != graded["sandboxed"], student


def test_no_process_outlives_its_kernel(graded):
    assert bool(graded["forgers"]) != graded["sandboxed"], graded["forgers"]


def test_solutions_and_gradebook_stay_hidden(graded):
    root, student = graded["root"], "reads-solutions-and-gradebook"
    shown = outputs(root, student) + feedback(root, student)
    for secret in (HIDDEN_TEST, SOLUTION):
        assert (secret in shown) != graded["sandboxed"], secret
    if graded["sandboxed"]:
        assert "cannot read 00-fixture.ipynb" in shown and "cannot read gradebook.db" in shown


def test_classmates_files_are_out_of_reach(graded):
    root = graded["root"]
    original = root / "submitted" / "perfect" / fx.ASSIGNMENT / f"{fx.ASSIGNMENT}.ipynb"
    unchanged = original.read_bytes() == graded["originals"]["perfect"]
    assert unchanged == graded["sandboxed"]
    if graded["sandboxed"]:
        assert "FileNotFoundError" in outputs(root, "clobbers-a-classmate")
        assert (root / "intake" / "perfect" / fx.ASSIGNMENT / f"{fx.ASSIGNMENT}.ipynb").is_file()


def test_a_planted_link_cannot_redirect_the_graders_writes(graded):
    root = graded["root"]
    victim = root / "submitted" / "link-victim" / fx.ASSIGNMENT / f"{fx.ASSIGNMENT}.ipynb"
    assert (victim.read_bytes() == graded["originals"]["link-victim"]) == graded["sandboxed"]
    written = root / "autograded" / "plants-a-link" / fx.ASSIGNMENT / f"{fx.ASSIGNMENT}.ipynb"
    assert written.is_symlink() != graded["sandboxed"]
    if graded["sandboxed"]:
        assert not any(p.is_symlink() for p in (root / "autograded").rglob("*"))


def test_no_network(graded):
    connected = graded["listener"].received == [b"phones-home"]
    assert connected != graded["sandboxed"], graded["listener"].received
    said = "no network" if graded["sandboxed"] else "connected"
    assert said in outputs(graded["root"], "phones-home")


def test_processes_are_limited(graded):
    text = outputs(graded["root"], "forks-100-children")
    forked = int(text.split("forked ")[1].split("\\n")[0])
    if graded["sandboxed"]:
        assert 0 < forked < PROCESSES, text
    else:
        assert forked == 100, text


def test_a_fork_bomb_costs_only_its_exercise(graded):
    if not graded["sandboxed"]:
        pytest.skip("a fork bomb runs only in the sandbox")
    assert "BlockingIOError" in outputs(graded["root"], "fork-bomb")
    assert float(graded["rows"]["fork-bomb"]["score"]) == 5


@pytest.mark.parametrize("folder", ["/", "/tmp", "/work", str(Path.home()), sandbox.sys.prefix])
def test_only_a_submissions_folder_is_handed_to_a_kernel(folder):
    """The working folder is given to the kernel's uid: never a shared folder."""
    with pytest.raises(sandbox.SandboxError, match="not a submission's working folder"):
        sandbox.Sandbox(Path(folder), processes=PROCESSES)
