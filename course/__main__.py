"""Command line of the course tooling: python -m course {release,grade,export,demo,...}."""

import argparse
import os
import sys
from pathlib import Path

from . import bench, cells, collect, demo, export, grading, layout, lms, notebook_format, release

LMS = ["canvas", "moodle"]


def names(text: str) -> list[str]:
    """'a,b c' -> ['a', 'b', 'c'] (as make passes STUDENT=... and ASSIGNMENT=...)."""
    return [name for name in text.replace(",", " ").split() if name]


def share(text: str) -> tuple[int, int]:
    """'2/3' -> (2, 3): the second of three grading machines."""
    k, _, n = text.partition("/")
    if not (k.isdigit() and n.isdigit() and 1 <= int(k) <= int(n)):
        raise argparse.ArgumentTypeError(f"{text!r}: write K/N with 1 <= K <= N, e.g. 1/2")
    return int(k), int(n)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run_release = commands.add_parser("release", help="build notebooks/ from solutions/")
    run_release.add_argument("--reset", metavar="ASSIGNMENT", help="drop its grades first")
    grade = commands.add_parser("grade", help="autograde what changed in submitted/, export")
    grade.add_argument("--student", type=names, default=[], help="only these (regraded)")
    grade.add_argument("--assignment", type=names, default=[], help="only these (regraded)")
    grade.add_argument("--force", action="store_true", help="regrade everything")
    grade.add_argument("--share", type=share, help="K/N: machine K of N sharing a gradebook")
    shares = commands.add_parser("shares", help="which students each of N graders grades")
    shares.add_argument("machines", type=int, help="how many grading machines")
    run_export = commands.add_parser("export", help="grades.csv and the summary, no grading")
    run_export.add_argument("--lms", choices=LMS, help="also write the LMS's grade import file")
    run_collect = commands.add_parser("collect", help="an LMS download (zip) into submitted/")
    run_collect.add_argument("zip", type=Path, help="the LMS's bulk download of one assignment")
    run_collect.add_argument("--lms", choices=LMS, default="canvas", help="whose file names")
    run_collect.add_argument("--assignment", help="which one (guessed from the file names)")
    run_demo = commands.add_parser("demo", help="the whole pipeline on the example class")
    run_demo.add_argument("--course-dir", type=Path, default=layout.ROOT / "build" / "demo")
    run_demo.add_argument("--assignment", type=names, default=[], help="only these")
    for command in (grade, run_export, run_collect, shares):
        command.add_argument("--course-dir", type=Path, default=layout.ROOT)
    for command in (grade, run_demo):
        command.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="at once")
    commands.add_parser("format", help="strip outputs and normalise solutions/ notebooks")
    bench.add_arguments(commands.add_parser("bench", help="measure the course and its references"))
    args = parser.parse_args(argv)
    try:
        if args.command == "release":
            if args.reset:
                release.reset(layout.ROOT, args.reset)
            release.release()
            return 0
        if args.command == "grade":
            return grading.grade(
                args.course_dir.resolve(),
                workers=args.jobs,
                students=args.student,
                assignments=args.assignment,
                force=args.force,
                share=args.share,
            )
        if args.command == "shares":
            return grading.print_shares(args.course_dir.resolve(), args.machines)
        if args.command == "export":
            status = export.export(args.course_dir.resolve())
            if args.lms:
                print(f"LMS import: {lms.write_import(args.course_dir.resolve(), args.lms)}")
            return status
        if args.command == "collect":
            root = args.course_dir.resolve()
            return collect.collect(root, args.zip.resolve(), args.lms, args.assignment)
        if args.command == "demo":
            return demo.demo(args.course_dir, workers=args.jobs, assignments=args.assignment)
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
