"""`make test-compat`: every notebook on Colab's runtime and on the newest torch, in own venvs.

Each environment is built once under build/compat/<name> (rebuilt when its pins change); then
every solution notebook runs with nbval and every student version runs on its own, failing
only in its stubs (tests/test_student_version.py). Results go to compat/results.json.
Usage: python compat/run.py [--only colab|newest] [--assignment 02-autograd ...]
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "compat"
RESULTS = ROOT / os.environ.get("COMPAT_RESULTS", "compat/results.json")
PYENV = Path.home() / ".pyenv" / "versions"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
PACKAGES = ("torch", "numpy", "scipy", "matplotlib", "einops", "nbval", "ipykernel")

ENVIRONMENTS = {
    # Colab's runtime: its Python and the pins of compat/colab-constraints.txt.
    "colab": {"python": "3.13.0", "torch": "2.11.0", "constraints": "compat/colab-constraints.txt"},
    # The newest torch pip installs here; everything else at the lock CI uses.
    "newest": {"python": "3.11.7", "torch": "2.14.1", "constraints": None},
}


def sh(*cmd, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], cwd=ROOT, text=True, **kw)


def constraints_for(name: str, spec: dict) -> Path:
    """The constraints file for `name`: the lock without its torch line if none is given."""
    if spec["constraints"]:
        return ROOT / spec["constraints"]
    path = BUILD / f"{name}-constraints.txt"
    lock = (ROOT / "constraints.txt").read_text().splitlines()
    path.write_text("\n".join(line for line in lock if not line.startswith("torch==")) + "\n")
    return path


def build(name: str, spec: dict) -> Path:
    """Create the venv (or reuse it while its pins are unchanged); return its python."""
    venv, python = BUILD / name, BUILD / name / "bin" / "python"
    constraints = constraints_for(name, spec)
    wanted = json.dumps([spec, constraints.read_text(), (ROOT / "requirements.txt").read_text()])
    stamp = venv / ".compat-installed"
    if stamp.exists() and stamp.read_text() == wanted + "\n":
        return python
    print(f"[{name}] building {venv} (Python {spec['python']}, torch {spec['torch']}) ...")
    sh("rm", "-rf", venv, check=True)
    sh(PYENV / spec["python"] / "bin" / "python", "-m", "venv", venv, check=True)
    pip = [python, "-m", "pip", "install", "--quiet"]
    torch = f"torch=={spec['torch']}"
    # Colab's CPU runtime has the +cpu build; PyPI's Linux torch is a CUDA build (several GB).
    if sh(*pip, "--timeout", "15", "--retries", "0", "--index-url", CPU_INDEX, torch).returncode:
        print(f"[{name}] no torch from {CPU_INDEX}: PyPI's build instead (CUDA, several GB)")
        sh(*pip, torch, check=True)
    requirements = (ROOT / "requirements.txt").read_text().splitlines()
    others = BUILD / f"{name}-requirements.txt"  # requirements.txt but its torch range
    others.write_text("\n".join(r for r in requirements if not r.startswith("torch")) + "\n")
    sh(*pip, torch, "-r", others, "-c", constraints, check=True)
    sh(*pip, "--no-deps", "-e", ROOT, check=True)
    stamp.write_text(wanted + "\n")
    return python


def versions(python: Path) -> dict:
    code = (
        "import json, platform; from importlib.metadata import version as v; "
        f"print(json.dumps({{'python': platform.python_version(), "
        f"**{{n: v(n) for n in {PACKAGES!r}}}, 'torch': __import__('torch').__version__}}))"
    )
    return json.loads(sh(python, "-c", code, capture_output=True, check=True).stdout)


def pytest(python: Path, name: str, *args: str) -> dict:
    """Run pytest; the outcome, its seconds and each failure (test name, first line)."""
    report = BUILD / f"{name}.xml"
    start = time.perf_counter()
    done = sh(
        python,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        f"--junitxml={report}",
        *args,
        capture_output=True,
    )
    seconds = round(time.perf_counter() - start, 1)
    failures = []
    for case in ET.parse(report).iter("testcase"):
        for bad in [*case.iter("failure"), *case.iter("error")]:
            failures.append(f"{case.get('name')}: {describe(bad)}")
    outcome = "pass" if done.returncode == 0 else "fail"
    return {"result": outcome, "seconds": seconds, "failures": failures}


def describe(bad: ET.Element) -> str:
    """A failure in a line: pytest's message, or for a notebook cell nbval's report."""
    message = bad.get("message") or ""
    return summary(bad.text or "") if "Notebook cell" in message or not message else message[:400]


def summary(text: str) -> str:
    """nbval's report in a line: what happened to the cell, and the error it ended with."""
    lines = [line for line in re.sub(r"(#x1B|\x1b)\[[0-9;]*m", "", text).splitlines() if line]
    what = next((line for line in lines if line.startswith("Cell ")), "")
    return f"{what} | {lines[-1] if lines else '?'}"[:400]


def failing_cells(assignment: str, failures: list[str]) -> list[str]:
    """nbval names code cells by index ('Cell 12'): add the grade_id of each failing cell."""
    notebook = json.loads((ROOT / "solutions" / assignment / f"{assignment}.ipynb").read_text())
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    named = []
    for failure in failures:
        label = failure.split(":")[0]
        if label.startswith("Cell "):
            cell = code[int(label.split()[1])]
            label = f"{label} ({cell['metadata'].get('nbgrader', {}).get('grade_id')})"
        named.append(label + failure[len(failure.split(":")[0]) :])
    return named


def check(name: str, spec: dict, assignments: list[str]) -> dict:
    python = build(name, spec)
    found = versions(python)
    cpu = "+cpu" in found["torch"]
    found["torch build"] = "CPU wheel index" if cpu else "PyPI's CUDA build, run on the CPU"
    print(f"[{name}] {found}")
    # The guard, run as on Colab against this environment's versions, must install nothing.
    guard = pytest(python, f"{name}-guard", "tests/test_colab_guard.py", "-k", "this_environment")
    print(f"[{name}] Colab guard on these versions: {guard['result']}")
    notebooks = {}
    for a in assignments:
        # Results, not speed, are compared here: a loaded machine gets 600 s per cell, not 120.
        solution = pytest(python, f"{name}-{a}", f"solutions/{a}", "--nbval-cell-timeout=600")
        solution["failures"] = failing_cells(a, solution["failures"])
        student = pytest(
            python,
            f"{name}-{a}-student",
            "tests/test_student_version.py",
            "-k",
            f"test_runs_alone and {a}",
        )
        notebooks[a] = {"solution (nbval)": solution, "student version (stubs only fail)": student}
        print(
            f"[{name}] {a}: solution {solution['result']} ({solution['seconds']} s), "
            f"student version {student['result']} ({student['seconds']} s)"
        )
        for failure in solution["failures"] + student["failures"]:
            print(f"    {failure}")
    seconds = sum(run["seconds"] for runs in notebooks.values() for run in runs.values())
    return {
        "versions": found,
        "seconds": round(seconds, 1),
        "colab guard": guard,
        "notebooks": notebooks,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=list(ENVIRONMENTS), nargs="*")
    parser.add_argument("--assignment", nargs="*")
    args = parser.parse_args()
    BUILD.mkdir(parents=True, exist_ok=True)
    everything = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())
    assignments = args.assignment or everything
    for name in args.only or ENVIRONMENTS:
        done = {"date": datetime.now(UTC).isoformat(timespec="seconds")}
        done |= check(name, ENVIRONMENTS[name], assignments)
        results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}  # read it late:
        earlier = results.get(name, {}).get("notebooks", {})  # --assignment runs only some
        done["notebooks"] = (
            {**earlier, **done["notebooks"]} if args.assignment else done["notebooks"]
        )
        results[name] = done
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    bad = [
        f"{name} {a}"
        for name, env in results.items()
        for a, runs in [*env["notebooks"].items(), ("colab guard", {"": env.get("colab guard")})]
        if any(run and run["result"] != "pass" for run in runs.values())
    ]
    print(f"Results in {RESULTS.relative_to(ROOT)}; " + (f"FAILED: {bad}" if bad else "all pass"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
