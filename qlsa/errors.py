"""Typed exceptions shared by every qlsa package.

Each carries a one-line message that names the problem and what to do; the CLI prints
``str(exc)`` on stderr and exits with code 2.
"""


class QlsaError(ValueError):
    """Base class of every error qlsa raises on bad input."""


class InvalidMatrixError(QlsaError):
    """The matrix is not square, empty, non-finite, or otherwise unusable."""


class MatrixFileError(QlsaError):
    """A file could not be read as a matrix (unknown format, pickle, truncated)."""


class InvalidParameterError(QlsaError):
    """A numeric parameter is outside its domain (ε ∉ (0, 1), gate time ≤ 0, …)."""


class ResourceLimitError(QlsaError):
    """The request would exceed a memory, size or qubit limit."""


class CalibrationError(QlsaError):
    """A backend name, properties file or target cannot give the calibration asked for."""


class EstimatorUnavailableError(QlsaError):
    """An external estimator the request needs (``qdk.estimator``) cannot be imported."""


class CheckpointError(QlsaError):
    """A training checkpoint cannot be read (not a torch weights file, or not the trainer's)."""
