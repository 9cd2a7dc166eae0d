"""`make feedback-screenshot`: what a student sees. Grades the feedback tests' small class
(tests/test_feedback.py) in build/feedback-screenshot and photographs one feedback page in
headless Chromium (Debian's package), with the network off, into tests/artefacts/."""

import contextlib
import io
import shutil
import subprocess
import sys

from course import grading, layout

from . import fixture_course as fx
from .test_feedback import STUDENTS, course_with_math

OUT = layout.ROOT / "tests" / "artefacts" / "feedback.png"
STUDENT = "mixed"


def main() -> int:
    root = layout.ROOT / "build" / "feedback-screenshot"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    course_with_math(root)
    fx.submit(root, STUDENT, fx.submission(root, **STUDENTS[STUDENT]))
    with contextlib.redirect_stdout(io.StringIO()):
        grading.grade(root)
    page = root / "feedback" / STUDENT / fx.ASSIGNMENT / f"{fx.ASSIGNMENT}.html"
    OUT.parent.mkdir(exist_ok=True)
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("chromium is not installed: apt-get install chromium", file=sys.stderr)
        return 1
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    command += ["--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>"]  # no network
    command += ["--window-size=1000,3000", f"--screenshot={OUT}", page.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if done.returncode or not OUT.is_file():
        print(done.stderr, file=sys.stderr)
        return 1
    print(f"{OUT.relative_to(layout.ROOT)}: {page.relative_to(root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
