"""Extreme eigenvalues of a Hermitian matrix: exact for small n, Lanczos beyond (the floor
that :mod:`estimators.condition` and :mod:`hessians.prune` share)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
from scipy.linalg.lapack import dstevd

from .matrices import Matrix, as_matrix

EXACT_MAX_N = 1500
_EPS = np.finfo(np.float64).eps


@dataclass(frozen=True)
class Ritz:
    """The extreme Ritz values (or exact eigenvalues, errors 0) and their absolute error
    estimates min(r, r²/gap); ``steps``: Lanczos steps run (0: exact)."""

    lo: float
    hi: float
    err_lo: float
    err_hi: float
    steps: int


def lanczos_extremes(matvec: Callable[[np.ndarray], np.ndarray], n: int, dtype: np.dtype,
                     max_steps: int, tol: float, seed: int = 0, stop_ratio: float = math.inf,
                     top_only: bool = False) -> Ritz:
    """Extreme eigenvalues of a Hermitian operator by Lanczos without reorthogonalisation.

    Returns the extreme Ritz values and their error estimates min(r, r²/gap) (NaN values if
    the operator overflowed); stops when
    both relative errors (only the top one with ``top_only``) are below ``tol``/2, when
    θ_max/θ_min exceeds ``stop_ratio`` (the ratio is already a lower bound beyond what the
    arithmetic resolves), or after ``max_steps``.
    """
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(n).astype(dtype)
    v /= np.linalg.norm(v)
    v_prev = np.zeros_like(v)
    alphas: list[float] = []
    betas: list[float] = []
    beta = 0.0
    ritz = Ritz(0.0, 0.0, math.inf, math.inf, 0)
    for k in range(1, min(max_steps, n) + 1):
        with np.errstate(over="ignore", invalid="ignore"):           # overflow is caught just below
            w = matvec(v)
            alpha = float(np.vdot(v, w).real)
            w -= alpha * v
            w -= beta * v_prev
        alphas.append(alpha)
        beta = float(np.linalg.norm(w))
        if not (math.isfinite(alpha) and math.isfinite(beta)):      # overflow in the operator
            return Ritz(math.nan, math.nan, math.inf, math.inf, k)
        # Ritz check every step while steps are few, then every ⌊k/16⌋-th (O(log) checks per doubling)
        if k >= 3 and (k % max(1, k // 16) == 0 or k == min(max_steps, n) or beta == 0.0):
            ritz = _ritz_errors(alphas, betas, beta, k)
            scale = max(abs(ritz.lo), abs(ritz.hi))
            if ritz.lo > 0 and ritz.hi / ritz.lo > stop_ratio:
                return ritz
            lo_done = top_only or ritz.err_lo <= tol / 2 * abs(ritz.lo)
            if beta <= _EPS * scale or (lo_done and ritz.err_hi <= tol / 2 * abs(ritz.hi)):
                return ritz
        if beta == 0.0:
            break
        betas.append(beta)
        v_prev, v = v, w / beta
    return ritz if ritz.steps == len(alphas) else _ritz_errors(alphas, betas[: len(alphas) - 1], beta, len(alphas))


def _tridiagonal_eigh(d: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues and eigenvectors of the symmetric tridiagonal (d, e): LAPACK ``stevd``, the
    driver ``scipy.linalg.eigh_tridiagonal`` picks, called directly (its validation cost more
    than the solve at the few dozen steps of a Ritz check)."""
    if d.size == 1:
        return d.copy(), np.ones((1, 1))
    theta, s, info = dstevd(d, e, compute_v=1)
    if info:
        raise sla.LinAlgError(f"stevd did not converge (info {info})")
    return theta, s


def _ritz_errors(alphas: list[float], betas: list[float], beta_m: float, m: int) -> Ritz:
    d, e = np.asarray(alphas, dtype=np.float64), np.asarray(betas[: m - 1], dtype=np.float64)
    theta, s = _tridiagonal_eigh(d, e)
    resid = abs(beta_m) * np.abs(s[-1, :])

    def err(i: int, j: int) -> float:
        # gap to the rest of the spectrum ≥ |θ_j − θ_i| − r_j − r_i (Temple-type correction)
        r = float(resid[i])
        gap = abs(theta[j] - theta[i]) - float(resid[j]) - r if m > 1 else math.inf
        return r if gap <= r else min(r, r * r / gap)

    return Ritz(float(theta[0]), float(theta[-1]), err(0, 1), err(m - 1, m - 2), m)


def extreme_eigenvalues(matrix: Matrix, tol: float = 1e-3, seed: int = 0,
                        exact_max_n: int = EXACT_MAX_N) -> tuple[float, float, str]:
    """Signed (λ_min, λ_max) of a symmetric matrix: ``eigvalsh`` up to ``exact_max_n``, else
    Lanczos (θ_min ≥ λ_min and θ_max ≤ λ_max, to about ``tol`` relative)."""
    A = as_matrix(matrix)
    if A.shape[0] <= exact_max_n:
        lam = sla.eigvalsh(A.toarray() if sp.issparse(A) else A)
        return float(lam[0]), float(lam[-1]), "eigvalsh"
    r = extreme_ritz(A, tol, seed)
    return r.lo, r.hi, "lanczos"


def extreme_ritz(matrix: Matrix, tol: float = 1e-3, seed: int = 0) -> Ritz:
    """The extreme Ritz values of a symmetric matrix by Lanczos (400 steps at most) with their
    error estimates, to about ``tol`` relative: :func:`extreme_eigenvalues` beyond ``exact_max_n``."""
    A = as_matrix(matrix)
    return lanczos_extremes(A.__matmul__, A.shape[0], A.dtype, 400, tol, seed)
