"""Command line of the course tooling: python -m course {release,grade,demo,format}."""

import argparse
import sys
from pathlib import Path

from . import bench, cells, demo, grading, layout, notebook_format, release


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("release", help="build notebooks/ from solutions/ with nbgrader")
    grade = commands.add_parser("grade", help="autograde submitted/, export, feedback")
    grade.add_argument("--course-dir", type=Path, default=layout.ROOT)
    run_demo = commands.add_parser("demo", help="the whole pipeline on the example class")
    run_demo.add_argument("--course-dir", type=Path, default=layout.ROOT / "build" / "demo")
    for command in (grade, run_demo):
        command.add_argument("--jobs", type=int, default=1, help="submissions graded at once")
    commands.add_parser("format", help="strip outputs and normalise solutions/ notebooks")
    bench.add_arguments(commands.add_parser("bench", help="measure the course and its references"))
    args = parser.parse_args(argv)
    try:
        if args.command == "release":
            release.release()
            return 0
        if args.command == "grade":
            return grading.grade(args.course_dir.resolve(), workers=args.jobs)
        if args.command == "demo":
            return demo.demo(args.course_dir, workers=args.jobs)
        if args.command == "format":
            return notebook_format.format_all()
        if args.command == "bench":
            return bench.bench(args.only)
    except (cells.NotebookError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
