"""Classical solve-time model T(n) = c1·n³ + c2 (Q-Newton Eq. 3), fitted on this machine.

The constants come from timing the actual solver used by the trainer (``scheduler.solvers``)
— torch's Cholesky (``cholesky_ex``, then two triangular solves) for SPD systems, LU (``lu_factor`` +
``lu_solve``) otherwise, LAPACK on the CPU through torch's thread pool — on random systems of a
few sizes, fitted by least squares on the largest sizes (where n³ dominates). The fit is cached
as JSON per machine under the user cache directory (``$QLSA_CACHE_DIR`` overrides it; the file
names the library, so a fit of another solver's timings is never read back) and refreshed on
request.
"""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from scipy.optimize import nnls

from qlsa.checks import check_choice, check_finite_nonnegative
from qlsa.errors import InvalidParameterError
from qlsa.report import write_text
from qlsa.serialization import jsonable

SOLVERS = ("cholesky", "lu")
DEFAULT_SIZES = (256, 512, 768, 1024, 1536)


@dataclass(frozen=True)
class ClassicalCostModel:
    """Fitted c1 [s] and c2 [s] of T(n) = c1·n³ + c2 for one solver on one machine."""

    solver: str
    c1: float
    c2: float
    machine: str
    fitted_at: str
    sizes: tuple[int, ...]
    seconds: tuple[float, ...]

    def __post_init__(self) -> None:
        check_choice(self.solver, SOLVERS, "classical solver")
        for name in ("c1", "c2"):
            check_finite_nonnegative(getattr(self, name), name)
        if not (isinstance(self.machine, str) and isinstance(self.fitted_at, str)
                and all(isinstance(k, int) for k in self.sizes) and len(self.sizes) == len(self.seconds)):
            raise InvalidParameterError("classical model: machine and fitted_at are strings, sizes whole numbers "
                                        "matching seconds")

    def seconds_for(self, n: int) -> float:
        """Predicted seconds of one factor-and-solve of an n×n system."""
        return self.c1 * n**3 + self.c2

    def to_dict(self) -> dict:
        return jsonable(self)

    @staticmethod
    def from_dict(data: dict) -> "ClassicalCostModel":
        """The inverse of :meth:`to_dict` (JSON lists back to tuples)."""
        return ClassicalCostModel(**{**data, "sizes": tuple(data["sizes"]), "seconds": tuple(data["seconds"])})


def machine_id() -> str:
    """A label of this machine: host, CPU architecture, core count."""
    return f"{platform.node() or 'host'}-{platform.machine()}-{os.cpu_count()}cpu"


def cache_dir() -> Path:
    """``$QLSA_CACHE_DIR`` or the platform's user cache directory for qlsa."""
    env = os.environ.get("QLSA_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("qlsa"))


def _time_solve(solver: str, n: int, repeats: int, rng: np.random.Generator) -> float:
    """Best of ``repeats`` seconds of one factor-and-solve of a random SPD n × n system by torch
    (the system is formed by torch too: a NumPy product would wake a second BLAS pool, whose idle
    threads spin through the timing on a machine with few cores)."""
    import torch

    X = torch.from_numpy(rng.standard_normal((n, n)))
    A = X @ X.T + n * torch.eye(n, dtype=torch.float64)
    b = torch.from_numpy(rng.standard_normal((n, 1)))
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        if solver == "cholesky":
            L = torch.linalg.cholesky_ex(A).L
            torch.linalg.solve_triangular(L.mT, torch.linalg.solve_triangular(L, b, upper=False), upper=True)
        else:
            torch.linalg.lu_solve(*torch.linalg.lu_factor(A), b)
        best = min(best, time.perf_counter() - t0)
    return float(best)


def fit_classical_cost(solver: str = "cholesky", sizes: tuple[int, ...] = DEFAULT_SIZES,
                       repeats: int = 3, seed: int = 0) -> ClassicalCostModel:
    """Time ``solver`` at ``sizes`` (best of ``repeats``) and fit c1, c2 ≥ 0 by non-negative
    least squares (``scipy.optimize.nnls``), each size weighted by 1/t so it counts in relative terms."""
    if solver not in SOLVERS:
        raise InvalidParameterError(f"unknown classical solver {solver!r}; choose one of {', '.join(SOLVERS)}")
    rng = np.random.default_rng(seed)
    _time_solve(solver, min(sizes), 1, rng)               # untimed: the first LAPACK call sets up torch's pool
    secs = [_time_solve(solver, n, repeats, rng) for n in sizes]
    n3 = np.asarray(sizes, dtype=float) ** 3
    w = 1.0 / np.asarray(secs)
    (c1, c2), _ = nnls(np.column_stack([n3, np.ones_like(n3)]) * w[:, None], np.asarray(secs) * w)
    return ClassicalCostModel(solver, float(c1), float(c2), machine_id(),
                              datetime.now(timezone.utc).isoformat(timespec="seconds"),
                              tuple(int(s) for s in sizes), tuple(secs))


def cached_fit(name: str, fit, build, refresh: bool = False):
    """The model cached as ``<name>_<machine>.json`` (``build(dict)`` reads it back), or ``fit()`` it
    and write it atomically. A corrupt or wrongly typed cache is refitted; a cache dir that is a
    file is an error."""
    folder = cache_dir()
    if folder.exists() and not folder.is_dir():
        raise InvalidParameterError(f"cache directory {folder} is a file; point QLSA_CACHE_DIR at a directory "
                                    "(or unset it)")
    path = folder / f"{name}_{machine_id()}.json"
    if path.is_file() and not refresh:
        try:
            return build(json.loads(path.read_text()))
        except (ValueError, TypeError, KeyError, OSError, UnicodeDecodeError):
            pass  # corrupt or wrongly typed (InvalidParameterError is a ValueError): refitted below
    model = fit()
    write_text(path, json.dumps(model.to_dict(), indent=2))   # atomic: concurrent runs never read half a file
    return model


def classical_cost_model(solver: str = "cholesky", refresh: bool = False) -> ClassicalCostModel:
    """The cached model for this machine, fitting (about 2 s) on first use or when ``refresh``."""
    check_choice(solver, SOLVERS, "classical solver")

    def build(data: dict) -> ClassicalCostModel:
        model = ClassicalCostModel.from_dict(data)
        if model.solver != solver:
            raise ValueError("another solver's model")
        return model
    return cached_fit(f"classical_{solver}_torch", lambda: fit_classical_cost(solver), build, refresh)
