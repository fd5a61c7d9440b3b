"""qlsa: quantum linear-solver circuits, resource estimation and Q-Newton scheduling.

Subpackages of the distribution: ``qlsa`` (circuits, CLI), ``estimators`` (costs),
``hessians`` (curvature from torch models), ``scheduler`` (routing and the Newton trainer).
"""

from .errors import CalibrationError, InvalidMatrixError, InvalidParameterError, MatrixFileError, QlsaError, ResourceLimitError

__version__ = "0.1.0"
__all__ = ["CalibrationError", "InvalidMatrixError", "InvalidParameterError", "MatrixFileError", "QlsaError", "ResourceLimitError",
           "__version__"]
