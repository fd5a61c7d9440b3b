"""The offline IBM fake backends shipped with qiskit-ibm-runtime, by name.

``fake_sherbrooke``, ``sherbrooke`` and ``ibm_sherbrooke`` all resolve to FakeSherbrooke.
Backends are built once per process and kept in an explicit name-keyed dict (a fake
backend is an immutable snapshot; building one reads its JSON and takes ~0.1 s).
"""

from __future__ import annotations

import warnings
from typing import Any

_NAMES: list[str] = []            # filled on first use
_BACKENDS: dict[str, Any] = {}   # canonical name → BackendV2


def offline_backends() -> list[str]:
    """Names of every fake backend shipped with qiskit-ibm-runtime (offline snapshots)."""
    if not _NAMES:
        _NAMES.extend(sorted(b.name for b in _provider().backends()))
    return list(_NAMES)


def canonical_name(name: str) -> str:
    """``Sherbrooke``, ``ibm_sherbrooke``, ``fake-sherbrooke`` → ``fake_sherbrooke``."""
    key = name.strip().lower().replace("-", "_")
    for prefix in ("fake_", "ibm_", "ibmq_", "fake"):
        if key.startswith(prefix):
            key = key[len(prefix):]
    return "fake_" + key


def fake_backend(name: str) -> Any | None:
    """The fake backend called ``name`` (any spelling :func:`canonical_name` accepts), or None."""
    key = canonical_name(name)
    if key not in _BACKENDS:
        if key not in offline_backends():
            return None
        _BACKENDS[key] = _provider().backend(key)
    return _BACKENDS[key]


def device_name(backend: Any) -> str:
    """The device a backend snapshots (``ibm_sherbrooke`` for FakeSherbrooke), from its properties."""
    props = backend.properties() if hasattr(backend, "properties") else None
    return getattr(props, "backend_name", None) or backend.name


def _provider() -> Any:
    from qiskit_ibm_runtime.fake_provider import FakeProviderForBackendV2

    class _Quiet(FakeProviderForBackendV2):
        def backends(self, *args, **kwargs):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # fake_nighthawk warns its errors are not typical
                return super().backends(*args, **kwargs)

        def backend(self, *args, **kwargs):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                return super().backend(*args, **kwargs)

    return _Quiet()
