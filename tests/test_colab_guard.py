"""The Colab guard of every notebook: one source, the tested range, and what it installs.

The guard cell is taken from each solution and student notebook and run with faked installed
versions, a faked `google.colab` and a `%pip` that only records what it was asked to do.
"""

import importlib.metadata
import re
import shutil
import sys
import types

import pytest

from course import cells, colab_guard, layout

COLAB = {"torch": "2.11.0+cpu", "numpy": "2.1.3", "scipy": "1.16.3", "matplotlib": "3.10.0"}
COLAB_PYTHON = (3, 13, 5, "final", 0)


def guard_source(path) -> str:
    nb = cells.read(path)
    ids = [cells.grade_id(c) for c in nb.cells]
    assert colab_guard.GRADE_ID in ids, f"{path.name}: no '{colab_guard.GRADE_ID}' cell"
    at = ids.index(colab_guard.GRADE_ID)
    assert ids[at + 1] == "setup", f"{path.name}: the guard must sit right above 'setup'"
    assert cells.is_locked(nb.cells[at]), f"{path.name}: the guard cell must be locked"
    assert not any(c.cell_type == "code" for c in nb.cells[:at]), "the guard runs first"
    return nb.cells[at].source


class Pip:
    """Stands in for IPython's %pip: records each `%pip ...` line."""

    def __init__(self):
        self.lines = []

    def run_line_magic(self, magic, line):
        assert magic == "pip"
        self.lines.append(line)


def run_guard(source, monkeypatch, capsys, installed=COLAB, python=COLAB_PYTHON, gpu=False):
    """Run the guard on a faked Colab; return (the %pip lines, the printed lines)."""

    def version(name):
        if name not in installed:
            raise importlib.metadata.PackageNotFoundError(name)
        return installed[name]

    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setattr(importlib.metadata, "version", version)
    monkeypatch.setattr(shutil, "which", lambda cmd: f"/usr/bin/{cmd}" if gpu else None)
    pip = Pip()
    namespace = {"get_ipython": lambda: pip}
    with monkeypatch.context() as m:
        m.setattr(sys, "version_info", python)
        exec(compile(source, "colab-guard", "exec"), namespace)
    assert set(namespace) <= {"get_ipython", "sys", "__builtins__"}, "the guard leaves names"
    return pip.lines, capsys.readouterr().out.splitlines()


@pytest.fixture(params=["solution", "student"])
def guard(request, assignment):
    notebook = layout.source_notebook if request.param == "solution" else layout.release_notebook
    return guard_source(notebook(assignment))


def test_every_notebook_has_the_one_guard(guard):
    assert guard == colab_guard.CELL.rstrip("\n"), "run `make release` to write the guard"


def test_outside_colab_it_does_nothing(guard, capsys):
    assert "google.colab" not in sys.modules
    namespace = {"get_ipython": lambda: pytest.fail("the guard used IPython outside Colab")}
    exec(compile(guard, "colab-guard", "exec"), namespace)
    assert capsys.readouterr().out == ""


def test_colab_as_it_is_installs_nothing_and_says_one_line(guard, monkeypatch, capsys):
    pips, printed = run_guard(guard, monkeypatch, capsys, {**COLAB, "einops": "0.8.2"})
    assert pips == []
    assert printed == [
        "Colab: Python 3.13.5, torch 2.11.0+cpu, numpy 2.1.3, scipy 1.16.3, matplotlib 3.10.0, "
        "einops 0.8.2 (course tested on torch 2.11-2.14, Python 3.11-3.13)"
    ]


def test_only_a_missing_einops_is_installed(guard, monkeypatch, capsys):
    pips, printed = run_guard(guard, monkeypatch, capsys, COLAB)
    assert pips == ['install "einops>=0.8"'], "only einops, never torch, numpy or scipy"
    assert len(printed) == 1 and "WARNING" not in printed[0]


def test_a_newer_torch_is_kept_with_a_warning(guard, monkeypatch, capsys):
    newer = {**COLAB, "torch": "2.15.0+cu130", "einops": "0.8.2"}
    pips, printed = run_guard(guard, monkeypatch, capsys, newer)
    assert pips == []
    assert len(printed) == 2 and "torch 2.15.0+cu130 is newer than" in printed[1]
    assert "tell your instructor" in printed[1]


@pytest.mark.parametrize(
    "gpu, index", [(False, " --index-url https://download.pytorch.org/whl/cpu"), (True, "")]
)
def test_an_old_torch_is_updated_and_the_student_told_to_restart(
    guard, monkeypatch, capsys, gpu, index
):
    old = {**COLAB, "torch": "2.10.0+cpu", "einops": "0.8.2"}
    pips, printed = run_guard(guard, monkeypatch, capsys, old, gpu=gpu)
    assert pips == [f'install "torch>=2.11,<2.15"{index}']
    assert "-q" not in pips[0], "-q hides Colab's restart prompt"
    assert "NOW RESTART" in printed[-1] and "Runtime > Restart session" in printed[-1]


def test_another_python_is_warned_about(guard, monkeypatch, capsys):
    pips, printed = run_guard(guard, monkeypatch, capsys, {**COLAB, "einops": "0.8.2"},
                              python=(3, 14, 0, "final", 0))  # fmt: skip
    assert pips == [] and "WARNING: Python 3.14.0 is outside" in printed[-1]


def test_this_environment_passes_the_guard(monkeypatch, capsys):
    """With the versions really installed here (the CI lock) nothing is installed."""
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    pip = Pip()
    exec(compile(colab_guard.CELL, "colab-guard", "exec"), {"get_ipython": lambda: pip})
    printed = capsys.readouterr().out.splitlines()
    assert pip.lines == [] and len(printed) == 1, printed
    assert f"torch {importlib.metadata.version('torch')}" in printed[0]


def requirement(name: str) -> str:
    text = (layout.ROOT / "requirements.txt").read_text()
    return re.search(rf"^{name}(\S*)", text, re.M)[1]


def test_the_guard_range_is_the_range_of_requirements_txt():
    low, high = re.search(r'torch_range=\("([\d.]+)", "([\d.]+)"\)', colab_guard.CELL).groups()
    major, minor = high.split(".")
    assert requirement("torch") == f">={low},<{major}.{int(minor) + 1}"
    assert f'install "einops{requirement("einops")}"' in colab_guard.CELL
    python = re.search(r'python_range=\("([\d.]+)", "([\d.]+)"\)', colab_guard.CELL).groups()
    stated = re.search(r"^# Python (\S+)-(\S+)$", layout.ROOT.joinpath("requirements.txt")
                       .read_text(), re.M).groups()  # fmt: skip
    assert stated == python, "requirements.txt states another Python range than the guard"


def test_release_writes_the_guard_above_setup(tmp_path):
    assignment = layout.assignments()[0]
    path = layout.source_notebook(assignment, tmp_path)
    path.parent.mkdir(parents=True)
    nb = cells.read(layout.source_notebook(assignment))
    nb.cells = [c for c in nb.cells if cells.grade_id(c) != colab_guard.GRADE_ID]
    cells.write(nb, path)
    assert colab_guard.stamp(assignment, tmp_path) is True
    assert guard_source(path) == colab_guard.CELL.rstrip("\n")
    assert colab_guard.stamp(assignment, tmp_path) is False, "a second release changes nothing"
