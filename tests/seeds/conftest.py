"""Collected only when COURSE_SEEDS is set, as `make test-seeds` does: never by `make test`.

Prints one summary line per seed at the end: each notebook passed or failed, and how long it ran.
"""

import os

collect_ignore = [] if os.environ.get("COURSE_SEEDS") else ["test_seeds.py"]

RESULTS: dict[int, dict[str, tuple[bool, float]]] = {}  # seed -> assignment -> (passed, s)


def pytest_runtest_logreport(report):
    run = dict(report.user_properties).get("seed_run")
    if report.when == "call" and run is not None:
        seed, assignment, seconds = run
        RESULTS.setdefault(seed, {})[assignment] = (report.passed, seconds)


def pytest_terminal_summary(terminalreporter):
    if not RESULTS:
        return
    terminalreporter.section("graded cells under each seed (make test-seeds)")
    for seed, runs in sorted(RESULTS.items()):
        failed = [name for name, (passed, _) in runs.items() if not passed]
        verdict = f"FAIL in {', '.join(failed)}" if failed else "all pass"
        times = ", ".join(
            f"{name} {'ok' if passed else 'FAIL'} {seconds:.0f} s"
            for name, (passed, seconds) in sorted(runs.items())
        )
        terminalreporter.write_line(f"COURSE_SEED={seed}: {verdict} | {times}")
