"""Intake: submissions as students send them, made ready for nbgrader.

The originals under submitted/<student>/<folder>/ are only read. For each student and
assignment, intake writes intake/<student>/<assignment>/<assignment>.ipynb: the notebook
found under whatever name it was saved, in nbformat 4.5, its cells aligned to the release
notebook so that nbgrader's metadata sits where the release has it (copies of a cell run as
ordinary cells; deleted locked cells and answer stubs are restored in place). Repairs, what
cannot be graded and code that tampers with what the tests rely on go to intake-report.txt.
"""

import ast
import copy
import difflib
import itertools
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import nbformat.reader

from . import cells, layout
from .preprocessors import names_tests_read

INTAKE_DIR = "intake"  # nbgrader's submitted_directory when grading
REPORT = "intake-report.txt"
TIMESTAMP = "timestamp.txt"
CELL_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
DROPPED_METADATA = ("id", "colab", "outputId", "executionInfo", "nbgrader", "deletable", "editable")
BUILTINS = {"builtins", "__builtins__"}
SCOPES = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda | ast.comprehension
DOWNLOAD = "ask the student to download it again (File > Download > Download .ipynb)"


@dataclass
class Intake:
    student: str
    assignment: str
    notebook: Path | None = None  # the normalised copy; None when it cannot be graded
    repairs: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # why not graded, or what to check
    suspicious: list[str] = field(default_factory=list)


class Unreadable(Exception):
    """A file that is not a notebook; the message says what it is instead."""


# Finding the submissions


def take_in(
    root: Path, assignments: list[str], ids: dict[str, str | None] | None = None
) -> tuple[list[Intake], list[str]]:
    """Take in root/submitted/*/*; also return what belongs to no single submission.

    `ids` maps a student folder's name to the student's id (None: not taken in, the caller
    says why); by default each folder is taken in under its own name."""
    submitted, out = root / layout.SUBMITTED_DIR, root / INTAKE_DIR
    if out.is_dir() and not out.is_symlink():
        shutil.rmtree(out)  # rebuilt every time, so nothing stale is graded
    out.unlink(missing_ok=True)
    if not submitted.is_dir() or submitted.is_symlink():
        return [], [f"{layout.SUBMITTED_DIR}/ is missing or a link: nothing taken in"]
    releases = {a: study(root, a) for a in assignments}
    intakes, other = [], []
    for student_dir in sorted(submitted.iterdir()):
        if student_dir.name.startswith(".") and not student_dir.is_dir():
            continue  # .DS_Store and the like
        if why := unusable(student_dir, submitted, "a student's folder"):
            other.append(f"{relative(student_dir, root)}: {why}")
            continue
        student = (ids or {}).get(student_dir.name, student_dir.name)
        if student is None:
            continue
        folders = {}
        for folder in sorted(f for f in student_dir.iterdir() if not f.name.startswith(".")):
            assignment = next((a for a in assignments if simplify(folder.name) == a), None)
            why = unusable(folder, submitted, "an assignment folder")
            if not why and not assignment:
                why = f"unknown assignment, not graded; {suggest(folder, assignments)}"
            if why:
                other.append(f"{relative(folder, root)}: {why}")
            else:
                folders.setdefault(assignment, []).append(folder)
        for assignment, found in folders.items():
            intake = Intake(student, assignment)
            intakes.append(take_in_one(root, intake, found, releases[assignment]))
    return intakes, other


def unusable(path: Path, base: Path, what: str) -> str | None:
    """Why path cannot be `what` (a plain, visible folder inside `base`), or None."""
    if path.name.startswith("."):
        return f"ignored: its name starts with '.' (hidden); rename it if it is {what}"
    if path.is_symlink() or not path.resolve().is_relative_to(base.resolve()):
        return f"ignored: a link, not followed; copy the files in if it is {what}"
    return None if path.is_dir() else f"ignored: a file where {what} belongs"


def simplify(name: str) -> str:
    """A file or folder name without what copies and downloads add to it."""
    name = re.sub(r"\.ipynb$", "", name.strip().lower())
    noise = r"^copy of\s+|\s*-?\s*copy(\s+\d+)?$|\s*\(\d+\)$|\s+\d+$"
    while (shorter := re.sub(noise, "", name).strip()) != name:
        name = shorter
    return re.sub(r"[\s_-]+", "-", name).strip("-")


def suggest(folder: Path, assignments: list[str]) -> str:
    near = difflib.get_close_matches(simplify(folder.name), assignments, n=1, cutoff=0)
    return f"rename the folder if it is {near[0]}" if near else "no assignments are released"


def relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def pick(paths: list[Path], exact: str, intake: Intake, kind: str, root: Path) -> Path:
    """The path named `exact`, else one whose name matches, else the newest (reported)."""
    named = [p for p in paths if simplify(p.name) == intake.assignment]
    choices = [p for p in paths if p.name == exact] or named or paths
    chosen = max(choices, key=lambda p: (p.stat().st_mtime, p.name))
    if len(choices) > 1:
        intake.problems.append(
            f"{len(choices)} {kind}s could be the submission: took the most recently modified, "
            f"{chosen.name}; check the others by hand"
        )
    elif chosen.name != exact:
        intake.repairs.append(f"{kind} '{chosen.name}' taken as '{exact}'")
    return chosen


def find_notebook(folder: Path, intake: Intake, root: Path) -> Path | None:
    """The submitted notebook in `folder`; the other files there are listed, not copied."""
    entries = [p for p in sorted(folder.iterdir()) if not p.name.startswith(".")]
    notebooks = [p for p in entries if p.suffix.lower() == ".ipynb" and not note(p)]
    if not notebooks:
        found = ", ".join(p.name + note(p) for p in entries) or "nothing"
        intake.problems.append(
            f"no notebook in {relative(folder, root)} (found: {found}): not graded; "
            f"ask the student to hand in {intake.assignment}.ipynb"
        )
        return None
    chosen = pick(notebooks, f"{intake.assignment}.ipynb", intake, "notebook", root)
    if left := [p.name + note(p) for p in entries if p.name not in (chosen.name, TIMESTAMP)]:
        intake.repairs.append(f"other files in the folder, not copied: {', '.join(left)}")
    return chosen


def note(path: Path) -> str:
    """Nothing for a plain file; else what it is, to write after its name."""
    return " (a link, not followed)" if path.is_symlink() else "" if path.is_file() else "/"


# One submission


def take_in_one(root: Path, intake: Intake, folders: list[Path], release: "Release") -> Intake:
    folder = pick(folders, intake.assignment, intake, "folder", root)
    if unused := [relative(f, root) for f in folders if f != folder]:
        intake.repairs.append(
            f"other folders for {intake.assignment}, not used: {', '.join(unused)}"
        )
    if not (path := find_notebook(folder, intake, root)):
        return intake
    try:
        nb = normalise(load(path, intake), release, intake)
        nbformat.validate(nb)
    except Unreadable as err:
        intake.problems.append(f"{relative(path, root)} {err}: not graded; {DOWNLOAD}")
        return intake
    except Exception as err:  # one strange notebook must not stop the intake of the others
        why = f"{type(err).__name__}: {err}"
        intake.problems.append(f"{relative(path, root)}: intake failed ({why}); grade it by hand")
        return intake
    target = root / INTAKE_DIR / intake.student / intake.assignment
    cells.write(nb, target / f"{intake.assignment}.ipynb")
    if (folder / TIMESTAMP).is_file() and not (folder / TIMESTAMP).is_symlink():
        shutil.copyfile(folder / TIMESTAMP, target / TIMESTAMP)
    intake.notebook = target / f"{intake.assignment}.ipynb"
    return intake


def load(path: Path, intake: Intake):
    """The notebook at path in nbformat 4; Unreadable says what the file is instead."""
    data = path.read_bytes()
    if not data.strip():
        raise Unreadable("is empty")
    if data.startswith(b"%PDF"):
        raise Unreadable("is a PDF, not a notebook")
    try:
        text = data.decode("utf-8-sig")
        raw = json.loads(text)
    except UnicodeDecodeError:
        raise Unreadable("is a binary file, not a notebook") from None
    except json.JSONDecodeError as err:
        if parses(text):
            raise Unreadable("is a Python script, not a notebook") from None
        raise Unreadable(f"is not valid JSON ({err.msg}, line {err.lineno})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("nbformat"), int):
        raise Unreadable("is JSON but not a Jupyter notebook")
    try:  # nbformat.reads would also "repair" duplicate cell ids with random ones
        nb = nbformat.convert(nbformat.reader.reads(text), 4)
    except Exception as err:
        raise Unreadable(f"is not a notebook that nbformat can read ({err})") from None
    version, colab = f"{raw['nbformat']}.{raw.get('nbformat_minor')}", "colab" in nb.metadata
    if version != "4.5" or colab:
        by = " by Google Colab" if colab else ""
        intake.repairs.append(f"saved{by} as nbformat {version}: converted to nbformat 4.5")
    return nb


def parses(source: str) -> bool:
    try:
        ast.parse(cells.python_source(source))
    except (SyntaxError, ValueError):
        return False
    return True


# Aligning a submission to the release


@dataclass
class Release:
    """A release notebook and what intake needs to know about it, worked out once."""

    nb: object
    ids: dict[str, int]  # grade_id -> cell index
    texts: dict[tuple[str, str], set[int]]  # squashed cell -> cell indices
    numbers: dict[str, int]  # answer grade_id -> exercise number
    guarded: set[str]  # names the test cells take from the locked cells
    imports: dict[str, str]  # name -> what the locked cells import under that name
    statements: set[str]  # the locked cells' statements (ast.dump): repeating one is harmless

    def exercise(self, answer_id: str) -> str:
        return f"exercise {self.numbers.get(answer_id, '?')} ({answer_id})"


def study(root: Path, assignment: str) -> Release:
    """The release notebook; the source notebook, if there, for what the hidden tests use."""
    nb = cells.read(layout.release_notebook(assignment, root))
    source = layout.source_notebook(assignment, root)
    texts = {}
    for i, cell in enumerate(nb.cells):
        texts.setdefault(squash(cell), set()).add(i)
    ids = {cells.grade_id(c): i for i, c in enumerate(nb.cells)}
    numbers = {ex.solution_id: ex.number for ex in cells.exercises(nb)}
    tests = cells.read(source) if source.is_file() else nb
    return Release(nb, ids, texts, numbers, *what_tests_use(tests))


def normalise(nb, release: Release, intake: Intake):
    """The submission aligned to the release, in nbformat 4.5; suspicious code reported."""
    ref = release.nb.cells
    keys = [candidates(cell, release) for cell in nb.cells]
    # An answer outweighs all other cells together: the student's work is what must line up.
    match = align(keys, [len(ref) + 1 if cells.is_solution(c) else 1 for c in ref])
    match_answers_by_position(nb.cells, release, keys, match, intake)
    report_alignment(nb.cells, release, keys, match, intake)
    report_unaligned(nb.cells, release, match, intake)
    placed = assemble(nb.cells, ref, match)
    intake.suspicious = suspicious(placed, release)
    give_ids([cell for cell, _ in placed])
    metadata = copy.deepcopy(release.nb.metadata)
    return nbformat.v4.new_notebook(cells=[cell for cell, _ in placed], metadata=metadata)


def candidates(cell, release: Release) -> set[int]:
    """The release cells a submitted cell can be: by its grade_id, else by its text."""
    if (gid := cells.grade_id(cell)) in release.ids:
        return {release.ids[gid]}
    return release.texts.get(squash(cell), set())


def squash(cell) -> tuple[str, str]:
    return cell.cell_type, " ".join(cell.source.split())


def align(keys: list[set[int]], weights: list[int]) -> dict[int, int]:
    """The heaviest common subsequence of the release's cells (with weights) and the
    submission's (keys: the release cells each one could be): release -> submission index."""
    n, m = len(weights), len(keys)
    best = [[0] * (m + 1) for _ in range(n + 1)]
    for i in reversed(range(n)):
        for j in reversed(range(m)):
            paired = best[i + 1][j + 1] + weights[i] if i in keys[j] else 0
            best[i][j] = max(best[i + 1][j], best[i][j + 1], paired)
    match, i, j = {}, 0, 0
    while i < n and j < m:
        if i in keys[j] and best[i][j] == best[i + 1][j + 1] + weights[i]:
            match[i], i, j = j, i + 1, j + 1
        elif best[i + 1][j] >= best[i][j + 1]:
            i += 1
        else:
            j += 1
    return match


def match_answers_by_position(subs, release: Release, keys, match, intake: Intake) -> None:
    """An answer cell without metadata: the first plain code cell between its neighbours."""
    for i, cell in enumerate(release.nb.cells):
        if i in match or not cells.is_solution(cell):
            continue
        low = max((j for k, j in match.items() if k < i), default=-1)
        high = min((j for k, j in match.items() if k > i), default=len(subs))
        plain = [j for j in range(low + 1, high) if subs[j].cell_type == "code" and not keys[j]]
        if plain := [j for j in plain if cells.grade_id(subs[j]) is None]:
            match[i] = plain[0]
            intake.repairs.append(
                f"the answer to {release.exercise(cells.grade_id(cell))} had no nbgrader "
                f"metadata: cell {plain[0] + 1}, the first code cell after its task, is graded"
            )


def report_alignment(subs, release: Release, keys, match, intake: Intake) -> None:
    """Report metadata restored by text, edited locked code and deleted release cells."""
    ids = [cells.grade_id(c) for c in release.nb.cells]
    if restored := sum(
        1 for i, j in match.items() if keys[j] and cells.grade_id(subs[j]) != ids[i]
    ):
        intake.repairs.append(f"nbgrader metadata restored on {restored} cell(s) by their text")
    present, deleted = {cells.grade_id(c) for c in subs}, []
    for i, cell in enumerate(release.nb.cells):
        gid, kind = cells.grade_id(cell), "test cell" if cells.is_test(cell) else "teaching cell"
        if i in match and cells.is_locked(cell) and cell.cell_type == "code":
            if squash(subs[match[i]]) != squash(cell):
                intake.repairs.append(
                    f"{kind} {gid} was edited; the original was restored for grading"
                )
        elif i in match:
            continue
        elif cells.is_solution(cell):
            intake.problems.append(
                f"the answer cell of {release.exercise(gid)} is missing or out of order: its "
                "stub was inserted and scores 0; if the answer is elsewhere, grade it by hand"
            )
        elif gid in present:
            continue  # moved: reported with the cell that carries the grade_id
        elif cells.is_test(cell):
            intake.repairs.append(f"test cell {gid} was deleted: restored from the release")
        else:
            deleted.append(gid)
    if deleted:
        more = f" and {len(deleted) - 5} more" if len(deleted) > 5 else ""
        intake.repairs.append(f"deleted teaching cells restored: {', '.join(deleted[:5])}{more}")
    locked = [i for i, c in enumerate(release.nb.cells) if cells.is_locked(c)]
    if 2 * sum(1 for i in locked if i in match) < len(locked):
        intake.problems.append(
            f"less than half of the teaching cells of {intake.assignment} were found: is this "
            "the right notebook? The missing cells were restored; check it by hand"
        )


def report_unaligned(subs, release: Release, match, intake: Intake) -> None:
    """Cells with a grade_id that do not line up with the release become ordinary cells."""
    kept = {cells.grade_id(release.nb.cells[i]): j for i, j in match.items()}
    for j, cell in enumerate(subs):
        if (gid := cells.grade_id(cell)) is None or j in match.values():
            continue
        if gid not in release.ids:
            what = f"has grade_id '{gid}', which {intake.assignment} does not have"
        elif gid in kept:
            what = f"repeats {gid} (cell {kept[gid] + 1} lines up with the release and keeps it)"
        else:
            what = f"is {gid} out of the release's order (the release's cell is restored in place)"
        intake.repairs.append(f"cell {j + 1} {what}: it runs as an ordinary cell")


def assemble(subs, ref, match) -> list[tuple[object, int | None]]:
    """The submission's cells in order, each followed by the release cells missing after
    it; each paired with its index in the submission (None: restored from the release)."""
    missing_after, anchor = {}, -1
    for i in range(len(ref)):
        if i in match:
            anchor = match[i]
        else:
            missing_after.setdefault(anchor, []).append(i)
    release_of = {j: i for i, j in match.items()}
    placed = [(copy.deepcopy(ref[i]), None) for i in missing_after.get(-1, [])]
    for j, cell in enumerate(subs):
        placed.append((cleaned(cell, ref[release_of[j]] if j in release_of else None), j))
        placed += [(copy.deepcopy(ref[i]), None) for i in missing_after.get(j, [])]
    return placed


def cleaned(cell, release_cell):
    """The student's cell with the release's metadata (or no nbgrader's), without outputs."""
    for key in DROPPED_METADATA:
        cell.metadata.pop(key, None)
    if release_cell is not None:
        cell.metadata.update(copy.deepcopy(release_cell.metadata))
        cell.id = release_cell.id
    if cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
    return cell


def give_ids(placed: list) -> None:
    """Release cells have the release's ids; the student's keep theirs where valid and new."""
    taken, number = {c.id for c in placed if cells.grade_id(c)}, 0
    for cell in (c for c in placed if not cells.grade_id(c)):
        while not CELL_ID.match(cell.get("id") or "") or cell.id in taken:
            number += 1
            cell.id = f"cell-{number}"
        taken.add(cell.id)


# Code that changes what the tests rely on: reported, never changed


def suspicious(placed: list[tuple[object, int | None]], release: Release) -> list[str]:
    """Tampering found in the cells the student wrote (answers and their own cells)."""
    trees = {}
    for cell, j in placed:
        if j is not None and cell.cell_type == "code" and not cells.is_locked(cell):
            try:
                trees[label(cell, j)] = ast.parse(cells.python_source(cell.source))
            except (SyntaxError, ValueError) as err:  # ValueError: a null byte in the source
                where = f"line {getattr(err, 'lineno', '?')}: {getattr(err, 'msg', err)}"
                trees[label(cell, j)] = f"does not parse ({where})"
    modules = BUILTINS | set(release.imports)
    for tree in (t for t in trees.values() if isinstance(t, ast.AST)):
        modules |= {name for name, spec in bindings(tree) if spec}
    found = []
    for where, tree in trees.items():
        if isinstance(tree, str):
            found.append(f"{where} {tree}")
            continue
        hits = set(tampering(tree, modules))
        for statement in (s for s in tree.body if ast.dump(s) not in release.statements):
            hits |= set(redefinitions(statement, release.guarded, release.imports))
        found += [f"{where}, line {line}: {what}; check it by hand" for line, what in sorted(hits)]
    return found


def label(cell, j: int) -> str:
    gid = cells.grade_id(cell)
    return f"answer {gid} (cell {j + 1})" if gid else f"cell {j + 1}"


def what_tests_use(nb) -> tuple[set[str], dict[str, str], set[str]]:
    """The names the test cells take from the locked cells, what the locked cells import,
    and their statements (a student who repeats one changes nothing)."""
    provided, imports, used, statements = set(), {}, set(), set()
    for cell in nb.cells:
        if cell.cell_type != "code" or not cells.is_locked(cell):
            continue
        try:
            tree = ast.parse(cells.python_source(cell.source))
        except SyntaxError:  # not Python (a cell magic): nothing the tests can take from it
            continue
        statements |= {ast.dump(s) for s in tree.body}
        for name, spec in bindings(tree):
            provided.add(name)
            imports |= {name: spec} if spec else {}
        if cells.is_test(cell):
            loads = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
            used |= loads - {name for node in ast.walk(tree) for name, _ in binds(node)}
    return provided & names_tests_read(nb, used), imports, statements


def tampering(tree, modules: set[str]):
    """(line, what) for changes to attributes of imported modules or of the builtins."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.Delete):
            verb = "deletes" if isinstance(node, ast.Delete) else "assigns to"
            for target in flatten(getattr(node, "targets", None) or [node.target]):
                if patches(target, modules):
                    yield node.lineno, f"{verb} `{ast.unparse(target)}`, {whose(target)}"
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("setattr", "delattr"):
            if node.args and root_name(node.args[0]) in modules:
                what = f"calls {node.func.id} on `{ast.unparse(node.args[0])}`"
                yield node.lineno, f"{what}, {whose(node.args[0])}"


def patches(target, modules: set[str]) -> bool:
    if isinstance(target, ast.Subscript):  # __builtins__["print"] = ...
        return root_name(target) in BUILTINS
    return isinstance(target, ast.Attribute) and root_name(target) in modules


def whose(target) -> str:
    name = root_name(target)
    changed = "Python's builtins" if name in BUILTINS else f"the imported `{name}`"
    return f"which changes {changed} for the tests too"


def root_name(node) -> str | None:
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def flatten(targets):
    for target in targets:
        if isinstance(target, ast.Tuple | ast.List):
            yield from flatten(target.elts)
        else:
            yield target.value if isinstance(target, ast.Starred) else target


def redefinitions(statement, guarded: set[str], imports: dict[str, str]):
    """(line, what) for names the tests use from the locked cells, bound again by a
    student's module-level statement (importing the same thing again is fine)."""
    for name, spec, line in bindings(statement, with_lines=True):
        if name in guarded and (spec is None or spec != imports.get(name)):
            yield line, f"redefines `{name}`, which the tests take from the teaching cells"
    for node in ast.walk(statement):
        for name in set(getattr(node, "names", None) or []) & guarded:
            if isinstance(node, ast.Global):
                yield node.lineno, f"rebinds `{name}` from a function (global), which the tests use"


def bindings(tree, with_lines: bool = False):
    """(name, import spec or None) bound at module level, outside functions and classes."""
    todo = [tree]
    while todo:
        node = todo.pop()
        for name, spec in binds(node):
            yield (name, spec, node.lineno) if with_lines else (name, spec)
        if not isinstance(node, SCOPES):
            todo.extend(ast.iter_child_nodes(node))


def binds(node):
    """(name, spec) the node itself binds; spec says what an import binds, else None."""
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
        yield node.id, None
    elif isinstance(node, ast.Import):
        for alias in node.names:
            top = alias.name.split(".")[0]
            yield (alias.asname, alias.name) if alias.asname else (top, top)
    elif isinstance(node, ast.ImportFrom):
        for alias in (a for a in node.names if a.name != "*"):
            yield alias.asname or alias.name, f"{'.' * node.level}{node.module or ''}.{alias.name}"
    elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        yield node.name, None
    elif isinstance(node, ast.arg) or (isinstance(node, ast.ExceptHandler) and node.name):
        yield getattr(node, "arg", None) or node.name, None


# The report


def write_report(root: Path, intakes: list[Intake], other: list[str]) -> Path:
    """intake-report.txt: per student, one line per problem, repair or suspicious code."""
    graded = sum(1 for it in intakes if it.notebook)
    lines = [
        f"Intake of {layout.SUBMITTED_DIR}/: {len(intakes)} submission(s), {graded} to grade, "
        f"{len(intakes) - graded} not gradable. The originals are unchanged; what is graded "
        f"is in {INTAKE_DIR}/.",
        "",
    ]
    if other:
        lines += ["Not taken in:", *(f"  {line}" for line in other), ""]
    ordered = sorted(intakes, key=lambda it: (it.student, it.assignment))
    for student, theirs in itertools.groupby(ordered, key=lambda it: it.student):
        lines.append(student)
        for it in theirs:
            lines.append(f"  {it.assignment}: {'to grade' if it.notebook else 'NOT GRADED'}")
            lines += [f"    problem: {line}" for line in it.problems]
            lines += [f"    repaired: {line}" for line in it.repairs]
            lines += [f"    suspicious: {line}" for line in it.suspicious]
    path = root / REPORT
    path.unlink(missing_ok=True)  # a link there is removed, never followed
    path.write_text("\n".join(lines) + "\n")
    return path
