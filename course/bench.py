"""`make bench`: how long each solution notebook takes, top to bottom (median of 3 runs)."""

import json
import platform
import statistics
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import torch

from . import execute, layout

RUNS = 3
RESULTS = layout.ROOT / "benchmarks" / "results"


def notebook_seconds(assignment: str) -> float:
    with tempfile.TemporaryDirectory() as scratch:
        times = [
            execute.execute(layout.source_notebook(assignment), cwd=Path(scratch))[1]
            for _ in range(RUNS)
        ]
    return statistics.median(times)


def bench() -> int:
    figures = {}
    for assignment in layout.assignments():
        figures[f"notebook_seconds/{assignment}"] = seconds = notebook_seconds(assignment)
        print(f"  {assignment:<24} {seconds:6.1f} s  (median of {RUNS})")
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "cpus": torch.get_num_threads(),
            "cuda": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        },
        "versions": {"python": platform.python_version(), "torch": torch.__version__},
        "figures": figures,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = result["date"].replace(":", "")
    for name in ("latest.json", f"{stamp}.json"):
        (RESULTS / name).write_text(json.dumps(result, indent=2) + "\n")
    print(f"Results: {RESULTS / 'latest.json'}")
    return 0
