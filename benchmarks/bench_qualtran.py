"""Our sparse-access block-encoding against Qualtran's ``SparseMatrix`` (optional anchor,
``pip install qlsa[bench]``): qubits and Toffoli/T per U_A call on 2-D Laplacians.

Qualtran side: ``SparseMatrix(SymmetricBandedRowColumnOracle(n, bandsize=k) ×2,
ExplicitEntryOracle(n, |A|/‖A‖_max, entry_bitsize=16))``, costed by ``get_cost_value`` with
``QubitCount`` and ``QECGatesCost``. Its banded row/column oracles take the band of width
2k + 1 (α = 2k + 1 in units of ‖A‖_max, against our d = 5), and its entry oracle accepts only
entries in [0, 1], so it is given |A| (the same pattern, the same cost). Qualtran has no
row/column oracle for an arbitrary sparsity pattern, so a random sparse matrix has no
counterpart there. Seconds are the time to count (ours: the spec; Qualtran: the call graph).
"""

from __future__ import annotations

import time

import numpy as np

from estimators.examples import laplacian_2d
from qlsa.block_encodings import encoding_spec

from .runner import BenchRow, benchmark


@benchmark("block_encoding_vs_qualtran")
def block_encoding_vs_qualtran() -> list[BenchRow]:
    from qualtran.bloqs.block_encoding.sparse_matrix import (ExplicitEntryOracle, SparseMatrix,
                                                             SymmetricBandedRowColumnOracle)
    from qualtran.resource_counting import QECGatesCost, QubitCount, get_cost_value

    rows = []
    for k in (4, 8, 16, 32):
        A = laplacian_2d(k)
        N, n = A.shape[0], int(np.log2(A.shape[0]))
        t0 = time.perf_counter()
        spec = encoding_spec(A, "sparse")
        ours = spec.gate_counts()
        t_ours = time.perf_counter() - t0
        dense = np.abs(A.toarray())
        t0 = time.perf_counter()
        band = SymmetricBandedRowColumnOracle(n, bandsize=k)
        be = SparseMatrix(band, band, ExplicitEntryOracle(n, data=dense / dense.max(), entry_bitsize=16), eps=0)
        q_qubits = int(get_cost_value(be, QubitCount()))
        gates = get_cost_value(be, QECGatesCost()).total_t_and_ccz_count()
        t_qt = time.perf_counter() - t0
        rows.append(BenchRow(f"2-D Laplacian {k}×{k} (N = {N})", t_ours, "qualtran SparseMatrix", t_qt, {
            "qubits": spec.qubits, "qualtran_qubits": q_qubits,
            "toffoli": ours.toffoli, "t": ours.t, "qualtran_ccz": int(gates["n_ccz"]), "qualtran_t": int(gates["n_t"]),
            "alpha_raw": spec.alpha_raw, "qualtran_alpha_raw": float(be.alpha) * float(dense.max())}))
    return rows
