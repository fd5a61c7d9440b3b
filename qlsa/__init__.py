"""qlsa: quantum linear-solver circuits, resource estimation and Q-Newton scheduling.

Subpackages of the distribution: ``qlsa`` (circuits, CLI), ``estimators`` (costs),
``hessians`` (curvature from torch models), ``scheduler`` (routing and the Newton trainer).
"""

from .errors import CalibrationError, InvalidMatrixError, InvalidParameterError, MatrixFileError, QlsaError, ResourceLimitError

__version__ = "0.1.0"
__all__ = ["BlockEncoding", "CalibrationError", "InvalidMatrixError", "InvalidParameterError", "MatrixFileError",
           "QlsaError", "ResourceLimitError", "SolveResult", "__version__", "block_encoding", "solve"]

_LAZY = {"block_encoding": "block_encodings", "BlockEncoding": "block_encodings", "solve": "solver", "SolveResult": "solver"}


def __getattr__(name: str):
    """Circuits import qiskit; load them on first use so ``qlsa --help`` stays fast."""
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'qlsa' has no attribute {name!r}")
