"""Parallel sweeps on Ray: every point of a sweep is one Ray task, and its result is written as
soon as it finishes, so a killed sweep resumes where it stopped.

:func:`run_sweep` starts a local Ray instance with ``workers`` CPUs (default: all cores) or
joins the cluster at ``address``; keeps at most ``workers`` points in flight, each a task with
one CPU (Ray pins a task's BLAS and torch to one thread, so a point computes the same numbers
whatever the number of workers); skips the points whose file in ``<out>/points/`` already holds
a result; and writes each finished point — its result, or its error — to that file atomically.
A failed point is recorded with its error and the others complete; it is retried on the next run.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from tqdm import tqdm

from qlsa.errors import EstimatorUnavailableError, InvalidParameterError
from qlsa.report import write_json
from qlsa.serialization import jsonable


@dataclass(frozen=True)
class SweepPoint:
    """One point: a file-name-safe ``key`` unique in its sweep, its parameters and its seed."""

    key: str
    params: dict = field(default_factory=dict)
    seed: int = 0


@dataclass(frozen=True)
class PointRecord:
    """A finished point: its result (or the error it raised) and the task's measured wall time."""

    key: str
    params: dict
    seed: int
    result: dict | None
    error: str | None
    seconds: float

    def to_dict(self) -> dict:
        return jsonable(self)


def _call(fn: Callable[[SweepPoint], dict], point: SweepPoint) -> tuple[dict | None, str | None, float]:
    """Run one point (inside a Ray task): its result or its error as one line, and its seconds."""
    t0 = time.perf_counter()
    try:
        return fn(point), None, time.perf_counter() - t0
    except Exception as exc:                     # a point's failure is data: recorded, the sweep goes on
        return None, f"{type(exc).__name__}: {exc}", time.perf_counter() - t0


def load_record(path: Path) -> PointRecord | None:
    """The record in ``path``, or None where it is missing, unreadable or not a record."""
    try:
        return PointRecord(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def check_workers(workers: int | None) -> None:
    if workers is not None and workers < 1:
        raise InvalidParameterError(f"workers must be ≥ 1, got {workers}")


def check_reachable(address: str, timeout: float = 5.0) -> None:
    """Fail fast (Ray itself retries for minutes) where ``host:port`` (or ``ray://host:port``)
    does not accept a connection; ``auto`` is left to Ray."""
    import socket
    if address == "auto":
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise InvalidParameterError(f"--address {address!r} is not host:port (or ray://host:port, or auto)")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as exc:
        raise InvalidParameterError(f"cannot reach the Ray cluster at {address} ({exc}); start one with "
                                    "`ray start --head` or leave out --address to run locally") from None


def start_ray(address: str | None, workers: int | None) -> int:
    """Join ``address`` or start a local instance with ``workers`` CPUs; return the CPUs available."""
    try:
        import ray
    except ImportError as exc:
        raise EstimatorUnavailableError(f"sweeps run on Ray, which is not installed ({exc}); pip install ray") from exc
    check_workers(workers)
    if not ray.is_initialized():
        kwargs: dict[str, Any] = dict(include_dashboard=False, log_to_driver=False, configure_logging=False)
        if address:
            check_reachable(address)
            ray.init(address=address, **kwargs)
        else:
            ray.init(num_cpus=workers or os.cpu_count(), **kwargs)
    return int(ray.cluster_resources().get("CPU", 1))


def run_sweep(fn: Callable[[SweepPoint], dict], points: list[SweepPoint], out: str | Path,
              workers: int | None = None, address: str | None = None, progress: bool = True,
              desc: str = "sweep") -> list[PointRecord]:
    """Run ``fn`` (a module-level function of one point, returning a JSON-able dict) on every
    point not already done in ``out``, ``workers`` at a time on Ray; return all records in point order."""
    check_workers(workers)
    keys = [p.key for p in points]
    if len(set(keys)) != len(keys):
        raise InvalidParameterError("sweep points need unique keys")
    folder = Path(out) / "points"
    records: dict[str, PointRecord] = {}
    todo = []
    for p in points:
        rec = load_record(folder / f"{p.key}.json")
        if rec is not None and rec.error is None and rec.params == jsonable(p.params) and rec.seed == p.seed:
            records[p.key] = rec                 # done in an earlier run with the same settings: skipped
        else:
            todo.append(p)
    if todo:
        import ray
        cpus = start_ray(address, workers)
        slots = min(workers or cpus, cpus)
        task = ray.remote(num_cpus=1)(_call)
        fn_ref = ray.put(fn)
        queue, running = list(todo), {}
        bar = tqdm(total=len(points), initial=len(records), desc=desc, unit="point", disable=None if progress else True)
        while queue or running:
            while queue and len(running) < slots:
                p = queue.pop(0)
                running[task.remote(fn_ref, p)] = p
            (ref,), _ = ray.wait(list(running), num_returns=1)
            p = running.pop(ref)
            result, error, seconds = ray.get(ref)
            rec = PointRecord(p.key, jsonable(p.params), p.seed, result, error, seconds)
            write_json(rec, folder / f"{p.key}.json")
            records[p.key] = rec
            bar.update(1)
            if error:
                bar.write(f"point {p.key} failed: {error}")
        bar.close()
    return [records[k] for k in keys]
