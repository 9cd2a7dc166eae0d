"""What a figure hands back, the printed table, and the files under benchmarks/results/."""

import json
import math
import os
import platform
import subprocess
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

import torch

from .. import layout
from . import timing

RESULTS = layout.ROOT / "benchmarks" / "results"
RUNS = RESULTS / "runs"  # one file per run, kept for comparison
PACKAGES = ("numpy", "scipy", "einops", "matplotlib", "nbgrader", "nbclient")


@dataclass
class Target:
    """A goal of the course, e.g. 'under 60 s' (limit 60, unit 's')."""

    label: str
    value: float | None  # None: not measured (see `note`)
    limit: float
    unit: str
    higher_is_better: bool = False
    note: str = ""

    @property
    def met(self) -> bool | None:
        if self.value is None or math.isnan(self.value):
            return None
        return self.value >= self.limit if self.higher_is_better else self.value <= self.limit

    def status(self) -> str:
        if self.met is None:
            return f"not measured: {self.note}" if self.note else "not measured"
        if self.met:
            return "met"
        if self.higher_is_better and self.value <= 0:
            return "missed"
        factor = self.limit / self.value if self.higher_is_better else self.value / self.limit
        return f"missed by {100 * (factor - 1):.0f}%" if factor < 2 else f"missed {factor:.3g}x"

    def goal(self) -> str:
        return f"{'>=' if self.higher_is_better else '<='} {self.limit:g} {self.unit}".strip()


@dataclass
class Figure:
    """One figure of the benchmark: its numbers, its targets and its plot."""

    name: str
    title: str
    data: dict = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    plot: str | None = None  # file name under benchmarks/results/
    skipped: str | None = None  # why nothing was measured
    seconds: float | None = None  # how long the figure took to measure

    def to_json(self, date: str) -> dict:
        result = asdict(self)
        result["date"] = date
        for target, saved in zip(self.targets, result["targets"], strict=True):
            saved["status"] = target.status()
        return result


def environment(date: str) -> dict:
    versions = {"python": platform.python_version(), "torch": torch.__version__}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    cuda = torch.cuda.get_device_name() if torch.cuda.is_available() else None
    return {
        "date": date,
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpus_available": len(os.sched_getaffinity(0)),
            "torch_threads": timing.threads(),
            "load_average_at_start": round(os.getloadavg()[0], 2),  # others' work adds noise
            "device": str(timing.DEVICE),
            "cuda": cuda,
        },
        "versions": versions,
        "commit": git_commit(),
    }


def git_commit() -> str | None:
    done = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=layout.ROOT, capture_output=True, text=True
    )
    return done.stdout.strip() or None


def save(figures: list[Figure], env: dict) -> tuple[Path, dict]:
    """Write this run to runs/<date>.json and merge it into latest.json; return the previous
    latest.json (figures that did not run this time keep their earlier entry there)."""
    RUNS.mkdir(parents=True, exist_ok=True)
    latest_path = RESULTS / "latest.json"
    previous = json.loads(latest_path.read_text()) if latest_path.is_file() else {}
    date = env["date"]
    run = env | {"figures": {f.name: f.to_json(date) for f in figures}}
    stamp = date.replace(":", "")
    (RUNS / f"{stamp}.json").write_text(json.dumps(run, indent=2) + "\n")
    kept = {
        name: entry
        for name, entry in previous.get("figures", {}).items()
        if isinstance(entry, dict) and "targets" in entry and name not in run["figures"]
    }
    latest = run | {"figures": kept | run["figures"]}
    latest_path.write_text(json.dumps(latest, indent=2) + "\n")
    return latest_path, previous


def previous_values(previous: dict) -> dict[str, tuple[float, str]]:
    """Target label -> (value, date) from an earlier latest.json."""
    found = {}
    for entry in previous.get("figures", {}).values():
        if not isinstance(entry, dict):
            continue
        for target in entry.get("targets", []):
            if target.get("value") is not None:
                found[target["label"]] = (target["value"], entry.get("date", "?")[:10])
    return found


def print_targets(figures: list[Figure], previous: dict) -> None:
    before = previous_values(previous)
    rows = [("target", "measured", "goal", "status", "before")]
    for figure in figures:
        for t in figure.targets:
            value = "-" if t.value is None else f"{t.value:.3g} {t.unit}".strip()
            old = before.get(t.label)
            was = f"{old[0]:.3g} ({old[1]})" if old else "-"
            rows.append((t.label, value, t.goal(), t.status(), was))
    if len(rows) == 1:
        print("\nNo targets among these figures.")
        return
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    print("\nTargets (CPU, 2 cores is the reference machine)")
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
        print("  " + "  ".join(cells).rstrip())
