"""Measuring one command: wall time and peak memory, from the kernel's own accounting."""

from __future__ import annotations

import json
import math
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def run_measured(command: list[str], cwd: Path | None = None, env: dict | None = None,
                 timeout: float = 3600) -> dict[str, Any]:
    """Run ``command``; its wall seconds, the peak resident memory (MiB) of its largest
    process (itself or a descendant, as /proc's VmHWM says after exec), exit status and output.

    (``ru_maxrss`` would also count the parent's pages a fork copies before exec.)
    """
    peak_kib: dict[int, int] = {}
    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = started + timeout
        while True:
            for pid in _tree(process.pid):
                peak_kib[pid] = max(peak_kib.get(pid, 0), _high_water_kib(pid))
            pid, status, _ = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                process.kill()
                raise TimeoutError(f"{command[:3]} took longer than {timeout} s")
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        log.seek(0)
        output = log.read()
    return {"seconds": round(seconds, 3), "peak_rss_mib": round(max(peak_kib.values(), default=0) / 1024, 1),
            "exit": process.returncode, "output": output.decode("utf-8", "replace")[-4000:]}


def _tree(pid: int) -> list[int]:
    """``pid`` and every live descendant."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as stream:
                    queue += [int(child) for child in stream.read().split()]
        except OSError:
            continue
    return found


def _high_water_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as stream:
            for line in stream:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def own_peak_rss_mib() -> float:
    """This process's peak resident memory since it started its program (VmHWM)."""
    return round(_high_water_kib(os.getpid()) / 1024, 1)


def growth_exponent(scales: list[float], values: list[float]) -> float:
    """The least-squares slope of log(value) over log(scale): 1.0 is linear growth."""
    xs = [math.log(s) for s in scales]
    ys = [math.log(max(v, 1e-9)) for v in values]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    return round(sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys))
                 / sum((x - mean_x) ** 2 for x in xs), 3)


def busy_seconds(intervals: list[tuple[float, float]]) -> float:
    """Seconds during which at least one of the (start, end) intervals was open."""
    total, end = 0.0, float("-inf")
    for start, stop in sorted(intervals):
        if start > end:
            total += stop - start
            end = stop
        elif stop > end:
            total += stop - end
            end = stop
    return total


def write_result(name: str, data: dict) -> Path:
    """``benchmarks/results/<name>.json``, written whole."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)
    return path
