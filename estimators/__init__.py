"""Numbers about matrices and quantum linear-solver algorithms.

κ and sparsity, block-encoding scale α (from the specs of :mod:`qlsa.block_encodings`), closed-form query counts (numeric and sympy),
logical qubits, gate-time projections, a machine-calibrated classical cost model, and the
one-call :func:`estimate`.
"""

from .calibration import Calibration, GateStats, load_calibration, offline_backends
from .classical_cost import ClassicalCostModel, classical_cost_model, fit_classical_cost
from .condition import ConditionEstimate, condition_number, definite_condition, merikoski_bound
from .estimate import DEFAULT_EPSILON, DEFAULT_GATE_TIME, Estimate, estimate
from .device_time import (Projection, QueryTiming, TimeTerms, break_even_gate_time, plot_projection, projections,
                          query_timing)
from qlsa.matrices import as_matrix, load_matrix
from .properties import MatrixProperties, matrix_properties
from qlsa.solve_counts import SolveCounts, jennings_qubits
from .query_counts import (cks_complexity, hhl_complexity, jennings_expected_query_count, jennings_parameters,
                           jennings_query_count, jennings_success_probability, paper_classical_time,
                           paper_quantum_time)

__all__ = [
    "Calibration", "GateStats", "Projection", "QueryTiming", "TimeTerms",
    "break_even_gate_time", "load_calibration", "offline_backends", "plot_projection", "projections", "query_timing",
    "ClassicalCostModel", "ConditionEstimate", "Estimate", "MatrixProperties", "SolveCounts",
    "DEFAULT_EPSILON", "DEFAULT_GATE_TIME", "as_matrix", "classical_cost_model",
    "cks_complexity", "condition_number", "definite_condition", "estimate", "fit_classical_cost", "hhl_complexity",
    "jennings_expected_query_count", "jennings_parameters", "jennings_qubits", "jennings_query_count",
    "jennings_success_probability", "load_matrix", "matrix_properties", "merikoski_bound",
    "paper_classical_time", "paper_quantum_time",
]
