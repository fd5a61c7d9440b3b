"""Condition number κ₂(A) = σ_max/σ_min without a full eigendecomposition where possible.

Methods (DESIGN.md §3.4):

- ``exact``: ``eigvalsh`` (symmetric/Hermitian) or ``svdvals``; O(n³), used for small n.
- ``lanczos``: three-term Lanczos (no stored basis, O(n) memory) on A (symmetric) or on
  AᴴA (general, σ² = λ). Ritz values interlace: θ_max ≤ λ_max and θ_min ≥ λ_min, so the
  estimate is a lower bound on κ; the error estimate of each extreme Ritz value θ is
  min(r, r²/gap) with r = β_m·|s_m| the residual norm and gap ≥ |θ₂ − θ₁| − r₂ − r₁
  (Parlett, *The Symmetric Eigenvalue Problem*, §11.4).
- ``shift-invert``: Lanczos on A⁻¹ (or A⁻¹A⁻ᴴ) after one Cholesky/LU factorisation;
  the largest eigenvalue 1/λ_min converges in a few steps. Costs about one solve.
- ``lobpcg-amg``: LOBPCG (Knyazev 2001) for λ_min of a sparse SPD matrix, preconditioned
  by smoothed-aggregation AMG (pyamg); never densifies.
- ``merikoski``: the bound of Merikoski, Urpala, Virtanen & Elsner (1997),
  κ ≤ sqrt((1+x)/(1−x)), x = sqrt(1 − (n/‖A‖_F²)ⁿ|det A|²), evaluated from ``slogdet`` in log
  space; loose (exponentially in n) and O(n³). Offered, never the default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.linalg as sla
from scipy.linalg import blas
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from qlsa.serialization import jsonable
from qlsa.errors import InvalidParameterError

from qlsa.matrices import Matrix, as_matrix
from qlsa.spectrum import EXACT_MAX_N, lanczos_extremes
from .properties import SINGLE_RANGE, MatrixScan, scan_matrix

Method = Literal["auto", "exact", "lanczos", "shift-invert", "lobpcg-amg", "merikoski"]
METHODS: tuple[str, ...] = ("auto", "exact", "lanczos", "shift-invert", "lobpcg-amg", "merikoski")

_EPS = np.finfo(np.float64).eps
_EPS32 = float(np.finfo(np.float32).eps)


@dataclass(frozen=True)
class ConditionEstimate:
    """κ₂ with its method, accuracy and what kind of number it is.

    ``kind`` is ``"exact"``, ``"estimate"`` (with ``rel_error``), ``"upper-bound"`` or
    ``"lower-bound"`` (Lanczos stopped at a caller's ``stop_above``: κ ≥ ``kappa``).
    ``sigma_max`` is ‖A‖₂ (or its estimate, to ``sigma_max_rel_error``); ``sigma_min`` the
    smallest singular value.
    ``definite`` is True when A is Hermitian positive definite (as far as the method shows).
    """

    kappa: float
    sigma_max: float
    sigma_min: float
    method: str
    kind: str
    rel_error: float
    definite: bool | None
    steps: int = 0
    note: str = ""
    sigma_max_rel_error: float = 0.0
    precision_limited: bool = False     # a lower bound because σ_min is below double precision's rounding

    def to_dict(self) -> dict:
        return jsonable(self)

    def describe(self) -> str:
        """Human label, e.g. ``κ: 1.2e+03 (lanczos, ±2%)``."""
        if math.isinf(self.kappa):
            return f"κ = ∞ ({self.method}: {self.note or 'singular'})"
        if self.kind == "exact":
            return f"κ: {self.kappa:.4g} ({self.method}, exact)"
        if self.kind == "upper-bound":
            return f"κ ≤ {self.kappa:.4g} ({self.method} bound)"
        if self.kind == "lower-bound":
            if self.precision_limited:
                return f"κ ≥ {self.kappa:.4g} ({self.method}: {self.note})"
            return f"κ ≥ {self.kappa:.4g} ({self.method}, certified lower bound: θ_max/θ_min less rounding)"
        return f"κ: {self.kappa:.4g} ({self.method}, ±{100 * self.rel_error:.2g}%)"


def condition_number(matrix: Matrix, method: Method = "auto", tol: float = 0.02,
                     seed: int = 0, exact_max_n: int = EXACT_MAX_N, scan: MatrixScan | None = None,
                     stop_above: float = math.inf) -> ConditionEstimate:
    """Estimate κ₂ of a square matrix by ``method`` to relative accuracy ``tol``;
    ``auto`` is exact up to ``exact_max_n`` and iterative beyond. ``scan`` is the
    :func:`~estimators.properties.scan_matrix` result of the same matrix, made with
    ``single=uses_single_precision(A, method, exact_max_n)``, for a caller that already has it.

    ``stop_above``: a κ past which the caller needs no accuracy (a decision is already made
    there). Lanczos stops once its Ritz values certify κ ≥ ``stop_above`` — θ_max ≤ λ_max and
    θ_min ≥ λ_min (interlacing), less their f32 rounding — and returns that lower bound
    (kind ``"lower-bound"``) instead of refining it."""
    if method not in METHODS:
        raise InvalidParameterError(f"unknown condition-number method {method!r}; choose one of {', '.join(METHODS)}")
    if not 0 < tol < 1:
        raise InvalidParameterError(f"tol must lie in (0, 1), got {tol}")
    A = as_matrix(matrix, check_finite=False)          # the scan checks finiteness in its pass
    scan = scan or scan_matrix(A, single=uses_single_precision(A, method, exact_max_n))
    n = A.shape[0]
    hermitian = scan.properties.hermitian
    if method == "exact" or (method == "auto" and n <= exact_max_n):
        return _exact(A, hermitian)
    if method == "merikoski":
        return merikoski_bound(A, hermitian)
    op = _single_operator(scan)
    steps = {"shift-invert": 60, "lobpcg-amg": 300, "lanczos": 400}.get(method) or _auto_steps(A)
    est = _lanczos_bounds(A, op, hermitian, steps, tol, seed, stop_above)
    if est.kind == "lower-bound":
        return est
    if method == "shift-invert":
        return _shift_invert(A, hermitian, est, tol, seed, op)
    if method == "lobpcg-amg":
        return _lobpcg_amg(A, est, tol, seed)
    if method == "lanczos" or est.rel_error <= tol:
        return est
    if hermitian and est.definite is not False and sp.issparse(A) and n > 50_000:
        return _lobpcg_amg(A, est, tol, seed)
    return _shift_invert(A, hermitian, est, tol, seed, op)


def uses_single_precision(A: Matrix, method: str = "auto", exact_max_n: int = EXACT_MAX_N) -> bool:
    """Whether :func:`condition_number` runs its Lanczos passes on an f32 copy of A: real dense
    n ≥ 2000 (a pass is memory-bound, so half the bytes is about half the time) and an
    iterative method."""
    iterative = method in ("lanczos", "shift-invert") or (method == "auto" and A.shape[0] > exact_max_n)
    return iterative and not sp.issparse(A) and not np.iscomplexobj(A) and A.shape[0] >= 2000


def _auto_steps(A: Matrix) -> int:
    """Lanczos steps before ``auto`` factorises instead. Dense: a step is one pass over the
    f32 copy (n²·4 bytes, memory-bound; 0.45 ms at n = 4000 on 2 cores) and an f32 Cholesky
    n³/3 flops (0.11 s there), so n/160 steps cost about a tenth of the factorisation —
    enough for Hessian-like spectra (an isolated cluster at λ_min: 12–16 steps at κ = 10³)."""
    return max(24, min(200, A.shape[0] // 160)) if not sp.issparse(A) else 300


def _single_operator(scan: MatrixScan) -> np.ndarray | None:
    """The scan's f32 copy where the Lanczos operator stays in the f32 range: A itself
    (‖A‖_max within SINGLE_RANGE, checked by the scan) or, for non-Hermitian A, AᵀA
    (‖A‖_max² within it)."""
    if scan.single is None or scan.properties.hermitian:
        return scan.single
    lo, hi = SINGLE_RANGE
    return scan.single if lo <= scan.properties.norm_max ** 2 <= hi else None


# ---------------------------------------------------------------------------- exact
def _exact(A: Matrix, hermitian: bool) -> ConditionEstimate:
    dense = A.toarray() if sp.issparse(A) else A
    if hermitian:
        lam = sla.eigvalsh(dense)
        mags = np.abs(lam)
        return _exact_from(float(mags.max()), float(mags.min()), bool(lam[0] > 0), "eigvalsh")
    s = sla.svdvals(dense)
    return _exact_from(float(s[0]), float(s[-1]), False, "svd")


def definite_condition(lam_min: float, lam_max: float,
                       errors: tuple[float, float] = (0.0, 0.0)) -> ConditionEstimate:
    """κ = λ_max/λ_min of a Hermitian positive-definite matrix from extreme eigenvalues a caller
    has already (prune's repair: the pruned block's, shifted by δ). ``errors`` (0, 0): computed
    exactly by ``eigvalsh``, the same result as ``condition_number(A, method="exact")``. Else
    Lanczos Ritz values with absolute error estimates (e_min, e_max), reported as
    ``condition_number``'s Lanczos is: rel_error = e_min/λ_min + e_max/λ_max. A shift moves Ritz
    values and keeps their errors (the Krylov spaces of P and P + δI are the same), so Ritz
    values of P, shifted, are those of P + δI."""
    if not 0 < lam_min <= lam_max:
        raise InvalidParameterError(f"definite_condition needs 0 < λ_min ≤ λ_max, got {lam_min}, {lam_max}")
    if errors == (0.0, 0.0):
        return _exact_from(float(lam_max), float(lam_min), True, "eigvalsh")
    rel_lo, rel_hi = errors[0] / lam_min, errors[1] / lam_max
    return _finish(lam_max, lam_min, "lanczos", "estimate", rel_lo + rel_hi, True, 0,
                   "Ritz values of the pruning repair's Lanczos run, shifted by its δ", rel_hi)


def _exact_from(smax: float, smin: float, definite: bool, method: str) -> ConditionEstimate:
    n_eps = 64 * _EPS * smax
    if 0.0 < smin <= n_eps:
        # σ_min below the rounding error of the decomposition (≈ ε·‖A‖₂): κ is not resolved in double
        # precision, but σ_min,true ≤ σ_min + 64·ε·‖A‖₂ certifies κ ≥ σ_max/(σ_min + 64·ε·‖A‖₂) ≈ 1/(65ε)
        return ConditionEstimate(smax / (smin + n_eps), smax, smin, method, "lower-bound", 0.0, definite, 0,
                                 f"numerically singular in double precision: σ_min ≤ 64·ε_mach·‖A‖₂ (computed "
                                 f"σ_max/σ_min = {smax / smin:.2g}, κ ≳ 10¹⁶ unresolved)", precision_limited=True)
    return _finish(smax, smin, method, "exact", 0.0, definite, 0)


def _finish(smax: float, smin: float, method: str, kind: str, rel: float,
            definite: bool | None, steps: int, note: str = "", smax_rel: float = 0.0) -> ConditionEstimate:
    smax, smin, rel, smax_rel = float(smax), float(smin), float(rel), float(smax_rel)
    n_eps = 64 * _EPS * smax
    if smax == 0.0:
        return ConditionEstimate(math.inf, 0.0, 0.0, method, kind, 0.0, False, steps, "zero matrix")
    if smin <= n_eps:
        return ConditionEstimate(math.inf, smax, smin, method, kind, rel, False, steps,
                                 "numerically singular: σ_min ≤ 64·ε_mach·‖A‖₂", smax_rel)
    return ConditionEstimate(smax / smin, smax, smin, method, kind, rel, definite, steps, note, smax_rel)


def _lanczos_bounds(A: Matrix, op32: np.ndarray | None, hermitian: bool, max_steps: int, tol: float,
                    seed: int, stop_above: float = math.inf) -> ConditionEstimate:
    n = A.shape[0]
    use_f32 = op32 is not None
    op = op32 if use_f32 else A
    dtype = np.float32 if use_f32 else A.dtype
    # f32 resolves λ_min only to ≈ √n·ε₃₂·‖A‖: beyond κ = tol/(√n·ε₃₂) hand over to shift-invert;
    # a caller's stop_above (raised by the rounding margin below) may end the run sooner
    rounding = math.sqrt(n) * _EPS32 if use_f32 else 0.0
    stop_ratio = min(tol / rounding if use_f32 else math.inf, stop_above * (1 + 2 * rounding * stop_above))
    if hermitian:
        # ssymv reads one triangle: half the memory traffic of a gemv (1.1 ms against 1.9 ms at n = 4000)
        matvec = (lambda x: blas.ssymv(1.0, op.T, x, lower=0)) if use_f32 else op.__matmul__
        r = lanczos_extremes(matvec, n, dtype, max_steps, tol, seed, stop_ratio)
        if use_f32 and not (math.isfinite(r.lo) and math.isfinite(r.hi)):   # f32 overflow
            return _lanczos_bounds(A, None, hermitian, max_steps, tol, seed, stop_above)
        if r.lo <= 0:  # indefinite (certified: θ_min ≥ λ_min); smallest |λ| is interior
            big = max(abs(r.lo), abs(r.hi))
            big_err = r.err_hi if abs(r.hi) >= abs(r.lo) else r.err_lo
            return ConditionEstimate(math.inf, big, 0.0, "lanczos", "estimate", math.inf, False, r.steps,
                                     "indefinite: smallest |λ| is interior, Lanczos cannot resolve it", big_err / big)
        smax, smin = r.hi, r.lo
        rel_hi, rel_lo = r.err_hi / r.hi, r.err_lo / r.lo
    else:
        r = lanczos_extremes(lambda x: np.conj(np.conj(op @ x) @ op), n, dtype, max_steps, tol, seed, stop_ratio**2)
        if use_f32 and not (math.isfinite(r.lo) and math.isfinite(r.hi)):
            return _lanczos_bounds(A, None, hermitian, max_steps, tol, seed, stop_above)
        smax, smin = math.sqrt(max(r.hi, 0.0)), math.sqrt(max(r.lo, 0.0))
        rel_hi = r.err_hi / max(r.hi, 1e-300) / 2
        rel_lo = r.err_lo / max(r.lo, 1e-300) / 2 if r.lo > 0 else math.inf
    label = "lanczos-f32" if use_f32 else "lanczos"
    # Ritz values bracket inwards: θ_max ≤ σ_max, θ_min ≥ σ_min, each up to the f32 rounding of A
    shift = rounding * smax
    if smin > 0 and (smax - shift) / (smin + shift) >= stop_above:
        kappa_low = (smax - shift) / (smin + shift)
        return ConditionEstimate(kappa_low, smax, smin, label, "lower-bound", 0.0, True if hermitian else False,
                                 r.steps, f"stopped at κ ≥ {stop_above:.4g}, where the caller's decision is made",
                                 rel_hi + rounding)
    # f32 round-off floor on λ_min relative to ‖A‖: √n·ε₃₂·‖A‖ / λ_min.
    floor = rounding * smax / max(smin, 1e-300)
    rel = rel_hi + rel_lo + floor
    smax_rel = rel_hi + rounding
    return _finish(smax, smin, label, "estimate", rel, True if hermitian else False, r.steps, smax_rel=smax_rel)


# ---------------------------------------------------------------------------- refinement
def _shift_invert(A: Matrix, hermitian: bool, top: ConditionEstimate, tol: float, seed: int,
                  op32: np.ndarray | None = None) -> ConditionEstimate:
    """λ_min from Lanczos on A⁻¹ after one factorisation; σ_max from the Lanczos run ``top``.

    A Hermitian dense A is factorised in f32 (half the flops) when the f32 copy resolves λ_min
    to tol/4: the rounding A → fl₃₂(A) moves λ_min by ≲ √n·ε₃₂·‖A‖₂ (random rounding), i.e.
    by a relative √n·ε₃₂·κ, which is added to the error; otherwise in f64.
    """
    n = A.shape[0]
    definite: bool | None = None
    floor = 0.0
    try:
        if sp.issparse(A):
            lu = spla.splu(sp.csc_matrix(A))
            solve = lu.solve
            solve_h = lambda x: lu.solve(x, trans="H")  # noqa: E731
            definite = None
        elif hermitian:
            single = op32 is not None and math.sqrt(n) * _EPS32 * top.kappa * 4 <= tol
            try:   # A = Aᴴ, so the Fortran-ordered view .T is A (conj(A) if complex: same spectrum);
                   # LAPACK factorises it without a reordering copy, in place for the spent f32 copy
                U, _ = sla.cho_factor((op32 if single else A).T, overwrite_a=single, check_finite=False)

                def solve(x: np.ndarray) -> np.ndarray:   # two triangular solves (potrs is slower on one vector)
                    y = sla.solve_triangular(U, x, trans="C", check_finite=False)
                    return sla.solve_triangular(U, y, check_finite=False)

                solve_h = solve
                definite = True
                floor = math.sqrt(n) * _EPS32 if single else 0.0
            except sla.LinAlgError:
                if single:                                    # not definite in f32: decide in f64
                    return _shift_invert(A, hermitian, top, tol, seed, None)
                lu_ = sla.lu_factor(A, check_finite=False)
                solve = lambda x: sla.lu_solve(lu_, x, check_finite=False)  # noqa: E731
                solve_h = lambda x: sla.lu_solve(lu_, x, trans=2, check_finite=False)  # noqa: E731
                definite = False
        else:
            lu_ = sla.lu_factor(A, check_finite=False)
            solve = lambda x: sla.lu_solve(lu_, x, check_finite=False)  # noqa: E731
            solve_h = lambda x: sla.lu_solve(lu_, x, trans=2, check_finite=False)  # noqa: E731
    except (RuntimeError, sla.LinAlgError, ValueError):
        return ConditionEstimate(math.inf, top.sigma_max, 0.0, "shift-invert", "estimate", 0.0, False, top.steps,
                                 "factorisation failed: matrix is singular")
    with np.errstate(all="ignore"):
        if hermitian and definite is not False:
            r = lanczos_extremes(solve, n, np.float32 if floor else A.dtype, 60, tol, seed + 1,
                                 top_only=definite is True)
            inv_max, inv_rel = r.hi, r.err_hi / r.hi if r.hi > 0 else math.inf
            smin = 1.0 / inv_max if inv_max > 0 else 0.0
            if definite is None:  # sparse LU: Lanczos on A⁻¹ with θ_min < 0 reveals indefiniteness
                definite = bool(r.lo > 0)
                if not definite:
                    r = lanczos_extremes(lambda x: solve_h(solve(x)), n, A.dtype, 60, tol, seed + 1)
                    inv_max, inv_rel = math.sqrt(r.hi), r.err_hi / r.hi / 2
                    smin = 1.0 / inv_max
        else:
            r = lanczos_extremes(lambda x: solve(solve_h(x)), n, A.dtype, 60, tol, seed + 1)
            smin = 1.0 / math.sqrt(r.hi) if r.hi > 0 else 0.0
            inv_rel = r.err_hi / r.hi / 2 if r.hi > 0 else math.inf
    if not np.isfinite(smin) or smin == 0.0:
        return ConditionEstimate(math.inf, top.sigma_max, 0.0, "shift-invert", "estimate", 0.0, False, top.steps,
                                 "factorisation hit a zero pivot: matrix is singular")
    rounding = floor * top.sigma_max / smin                  # √n·ε₃₂·κ for the f32 factorisation
    if rounding * 4 > tol:                                    # κ came out larger than Lanczos suggested
        return _shift_invert(A, hermitian, top, tol, seed, None)
    label = f"{top.method}+shift-invert{'-f32' if floor else ''}"
    smax_rel = top.sigma_max_rel_error           # σ_max from the Lanczos run, σ_min from the factorisation
    return _finish(top.sigma_max, smin, label, "estimate", smax_rel + inv_rel + rounding, definite,
                   top.steps + r.steps, smax_rel=smax_rel)


def _lobpcg_amg(A: Matrix, top: ConditionEstimate, tol: float, seed: int) -> ConditionEstimate:
    """λ_min of a sparse SPD matrix by LOBPCG with a smoothed-aggregation AMG preconditioner."""
    import pyamg

    A = sp.csr_matrix(A)
    n = A.shape[0]
    ml = pyamg.smoothed_aggregation_solver(A, symmetry="hermitian", strength="symmetric")
    M = ml.aspreconditioner(cycle="V")
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    lam, vecs = spla.lobpcg(A, X, M=M, largest=False, tol=tol * 1e-2 * top.sigma_min if top.sigma_min > 0 else None,
                            maxiter=200)
    order = np.argsort(lam)
    lam, vecs = lam[order], vecs[:, order]
    r = np.linalg.norm(A @ vecs[:, 0] - lam[0] * vecs[:, 0])
    gap = lam[1] - lam[0]
    err = r if gap <= r else min(r, r * r / gap)
    if lam[0] <= 0:
        return ConditionEstimate(math.inf, top.sigma_max, 0.0, "lobpcg-amg", "estimate", math.inf, False, top.steps,
                                 "not positive definite: LOBPCG found λ_min ≤ 0")
    rel = top.sigma_max_rel_error + err / lam[0]
    return _finish(top.sigma_max, float(lam[0]), "lanczos+lobpcg-amg", "estimate", rel, True, top.steps,
                   smax_rel=top.sigma_max_rel_error)


# ---------------------------------------------------------------------------- bound
def merikoski_bound(matrix: Matrix, spd_trace_form: bool = False) -> ConditionEstimate:
    """Merikoski et al. (1997) upper bound on κ₂, in log space (never overflows).

    General: κ ≤ (1+x)/√t with t = (n/‖A‖_F²)ⁿ·|det A|², x = √(1−t).
    SPD trace form: κ ≤ (1+y)²/s with s = (n/tr A)ⁿ·det A, y = √(1−s).
    """
    A = as_matrix(matrix)
    dense = A.toarray() if sp.issparse(A) else A
    n = dense.shape[0]
    sign, logdet = np.linalg.slogdet(dense)
    smax = float(sla.norm(dense, 2)) if n <= EXACT_MAX_N else math.nan
    if sign == 0 or not np.isfinite(logdet):
        return ConditionEstimate(math.inf, smax, 0.0, "merikoski", "upper-bound", 0.0, False, 0, "det A = 0")
    trace = float(np.trace(dense).real)
    if spd_trace_form and trace > 0 and sign > 0:
        log_s = n * (math.log(n) - math.log(trace)) + logdet
        y = math.sqrt(-math.expm1(min(log_s, 0.0)))
        log_kappa = 2 * math.log1p(y) - log_s
        label = "merikoski-trace"
    else:
        fro2 = float(np.vdot(dense, dense).real)
        log_t = n * (math.log(n) - math.log(fro2)) + 2 * logdet
        x = math.sqrt(-math.expm1(min(log_t, 0.0)))
        log_kappa = math.log1p(x) - 0.5 * log_t
        label = "merikoski"
    kappa = math.exp(log_kappa) if log_kappa < 709 else math.inf
    return ConditionEstimate(kappa, smax, smax / kappa if kappa else math.nan, label, "upper-bound", 0.0,
                             None, 0, "Merikoski et al. 1997; exact for n = 2, loose for large n")
