"""IBM backend calibration snapshots: gate durations and errors, readout, T1/T2 (DESIGN.md §4).

Sources, all reduced to one :class:`qiskit.transpiler.Target` and then summarised:

- the name of any fake backend shipped with qiskit-ibm-runtime (offline snapshots of real
  devices: ``fake_sherbrooke``, ``sherbrooke`` and ``ibm_sherbrooke`` all resolve);
- a BackendProperties JSON file as downloaded from IBM Quantum (``props_*.json`` format);
- a ``Target`` or a ``BackendV2`` object;
- a live backend name through ``QiskitRuntimeService``, only when an account is saved.

Statistics are over working qubits and edges: instructions whose error is 1.0 (broken
couplers, dead qubits) are left out of every median and counted in ``excluded``.
"""

from __future__ import annotations

import difflib
import json
import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.circuit import Measure
from qiskit.transpiler import InstructionProperties, QubitProperties, Target

from qlsa.backends import canonical_name, device_name, fake_backend, offline_backends
from qlsa.errors import CalibrationError
from qlsa.serialization import jsonable

_NOT_GATES = {"delay", "reset", "measure", "if_else", "for_loop", "while_loop", "switch_case", "barrier", "id"}
_SYMMETRIC = {"cz", "rzz", "swap", "iswap", "cp"}   # two-qubit gates symmetric in their qubits
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "": 1.0}


@dataclass(frozen=True)
class GateStats:
    """Duration [s] and error of one gate type over its working qubits or edges."""

    name: str
    num_qubits: int
    count: int
    excluded: int
    median_seconds: float
    min_seconds: float
    max_seconds: float
    median_error: float
    min_error: float
    max_error: float


@dataclass(frozen=True)
class Calibration:
    """Summary of one calibration snapshot; ``target`` is kept for transpiling and noise."""

    backend: str
    snapshot_date: str | None
    source: str
    num_qubits: int
    basis_gates: tuple[str, ...]
    gates: tuple[GateStats, ...]
    two_qubit_gate: str
    median_1q_seconds: float
    median_2q_seconds: float
    median_1q_error: float
    median_2q_error: float
    readout_seconds: float     # NaN when the snapshot has no measure calibration
    readout_error: float
    t1_seconds: float
    t2_seconds: float
    target: Target = field(repr=False, compare=False, hash=False)
    backend_object: Any = field(default=None, repr=False, compare=False, hash=False)

    def gate(self, name: str) -> GateStats:
        for g in self.gates:
            if g.name == name:
                return g
        raise CalibrationError(f"{self.backend} has no calibrated gate {name!r}; it has {', '.join(self.basis_gates)}")

    def to_dict(self) -> dict[str, Any]:
        d = jsonable({k: v for k, v in self.__dict__.items() if k not in ("target", "backend_object")})
        return d


def load_calibration(source: Any) -> Calibration:
    """Calibration from a fake-backend name, a properties JSON path, a Target, or a backend."""
    if isinstance(source, Calibration):
        return source
    if isinstance(source, Target):
        return summarize(source, name="target", date=None, origin="qiskit Target object")
    if hasattr(source, "target") and hasattr(source, "name"):
        return _from_backend(source, "backend object")
    if isinstance(source, Path) or (isinstance(source, str) and (source.endswith(".json") or Path(source).is_file())):
        return _from_properties_file(Path(source))
    if not isinstance(source, str) or not source.strip():
        raise CalibrationError(f"calibration source must be a backend name, a properties .json file, a Target or "
                               f"a backend, got {type(source).__name__}")
    name = canonical_name(source)
    if name in offline_backends():
        return _fake_calibration(name)
    live = _live_backend(source)
    if live is not None:
        return _from_backend(live, "IBM Quantum live backend (QiskitRuntimeService)")
    close = difflib.get_close_matches(name, offline_backends(), n=3, cutoff=0.6)
    hint = f"did you mean {', '.join(close)}?" if close else "run `qlsa calibrate --list` for the offline backends"
    raise CalibrationError(f"unknown backend {source!r}: not an offline fake backend and no saved IBM Quantum account "
                           f"provides it; {hint}")


_FAKE_CALIBRATIONS: dict[str, Calibration] = {}   # canonical fake-backend name → its summary


def _fake_calibration(name: str) -> Calibration:
    """Summary of an offline snapshot, made once per name (the snapshot never changes)."""
    if name not in _FAKE_CALIBRATIONS:
        _FAKE_CALIBRATIONS[name] = _from_backend(fake_backend(name), "qiskit-ibm-runtime offline snapshot")
    return _FAKE_CALIBRATIONS[name]


def _live_backend(name: str) -> Any | None:
    """A live backend when an IBM Quantum account is saved on this machine; otherwise None."""
    try:
        from qiskit_ibm_runtime import QiskitRuntimeService
        if not QiskitRuntimeService.saved_accounts():
            return None
        return QiskitRuntimeService().backend(name)
    except Exception:  # no account, no network, unknown name: the caller reports close offline matches
        return None


def _from_backend(backend: Any, origin: str) -> Calibration:
    props = backend.properties() if hasattr(backend, "properties") else None
    date = props.last_update_date.isoformat() if props is not None and props.last_update_date else None
    return summarize(backend.target, name=device_name(backend), date=date, origin=origin, backend=backend)


def _from_properties_file(path: Path) -> Calibration:
    if not path.is_file():
        raise CalibrationError(f"properties file {path} does not exist")
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CalibrationError(f"{path} is not valid JSON ({exc.__class__.__name__}: {exc}); download the backend "
                               f"properties again") from None
    if not isinstance(data, dict) or not isinstance(data.get("qubits"), list) or not isinstance(data.get("gates"), list):
        raise CalibrationError(f"{path} is not a BackendProperties JSON: it needs 'qubits' and 'gates' lists")
    target = target_from_properties(data, str(path))
    return summarize(target, name=str(data.get("backend_name", path.stem)), date=data.get("last_update_date"),
                     origin=f"BackendProperties file {path}")


def _value(entries: list[dict], name: str, where: str) -> float | None:
    for e in entries:
        if e.get("name") == name:
            try:
                return float(e["value"]) * _UNITS[e.get("unit", "")]
            except (KeyError, TypeError, ValueError):
                raise CalibrationError(f"{where}: malformed {name!r} entry {e}") from None
    return None


def target_from_properties(data: dict, where: str = "properties") -> Target:
    """A Target built from a BackendProperties dict (gate_length/gate_error, readout, T1/T2)."""
    n = len(data["qubits"])
    qprops = []
    for q, entries in enumerate(data["qubits"]):
        if not isinstance(entries, list):
            raise CalibrationError(f"{where}: qubit {q} entry is not a list of parameters")
        qprops.append(QubitProperties(t1=_value(entries, "T1", where), t2=_value(entries, "T2", where)))
    target = Target(num_qubits=n, qubit_properties=qprops)
    gates = get_standard_gate_name_mapping()
    table: dict[str, dict[tuple[int, ...], InstructionProperties]] = {}
    for g in data["gates"]:
        try:
            name, qubits, params = g["gate"], tuple(int(q) for q in g["qubits"]), g.get("parameters", [])
        except (KeyError, TypeError, ValueError):
            raise CalibrationError(f"{where}: malformed gate entry {str(g)[:80]}") from None
        duration = _value(params, "gate_length", where)
        if name not in gates or duration is None or any(q >= n for q in qubits):
            continue   # gates qiskit cannot name, or untimed (e.g. fractional gates listed without a length)
        table.setdefault(name, {})[qubits] = InstructionProperties(duration=duration,
                                                                   error=_value(params, "gate_error", where))
    for name, qargs in table.items():
        target.add_instruction(gates[name], qargs)
    measure = {(q,): InstructionProperties(duration=_value(e, "readout_length", where),
                                           error=_value(e, "readout_error", where))
               for q, e in enumerate(data["qubits"])}
    target.add_instruction(Measure(), measure)
    if "rz" not in table:  # IBM's rz is virtual (a frame change) and is not always listed
        target.add_instruction(gates["rz"], {(q,): InstructionProperties(duration=0.0, error=0.0) for q in range(n)})
    return target


def _stats(name: str, nq: int, props: dict) -> GateStats | None:
    good = [p for p in props.values() if p is not None and not (p.error is not None and p.error >= 1.0)]
    excluded = sum(1 for p in props.values() if p is not None and p.error is not None and p.error >= 1.0)
    durs = [p.duration for p in good if p.duration is not None]
    errs = [p.error for p in good if p.error is not None]
    if not durs:
        return None
    errs = errs or [math.nan]
    return GateStats(name, nq, len(good), excluded, statistics.median(durs), min(durs), max(durs),
                     statistics.median(errs), min(errs), max(errs))


def summarize(target: Target, name: str, date: str | None, origin: str, backend: Any = None) -> Calibration:
    """Medians over working qubits/edges of a Target (error-1.0 instructions excluded and counted)."""
    gates = []
    for op_name in target.operation_names:
        if op_name in _NOT_GATES:
            continue
        op = target.operation_from_name(op_name)
        props = target[op_name]
        if not hasattr(op, "num_qubits") or not props or None in props:
            continue
        if op_name in _SYMMETRIC:   # CZ on (a, b) is CZ on (b, a): one coupler, counted once
            props = {q: v for q, v in props.items() if not (q[0] > q[1] and (q[1], q[0]) in props)}
        s = _stats(op_name, op.num_qubits, props)
        if s is not None:
            gates.append(s)
    two = [g for g in gates if g.num_qubits == 2]
    if not two:
        raise CalibrationError(f"{name} has no two-qubit gate data ({target.num_qubits} qubit(s)); choose a backend "
                               f"with a coupling map, e.g. fake_sherbrooke")
    main2 = max(two, key=lambda g: (g.count, g.name))
    one = [g for g in gates if g.num_qubits == 1 and g.median_seconds > 0]   # rz is virtual (0 s)
    if not one:
        raise CalibrationError(f"{name} has no timed single-qubit gate data")
    main1 = max(one, key=lambda g: (g.count, g.name == "sx", g.name))
    meas = _stats("measure", 1, target["measure"]) if "measure" in target.operation_names else None
    readout = (meas.median_seconds, meas.median_error) if meas is not None else (math.nan, math.nan)
    qp = [p for p in (target.qubit_properties or []) if p is not None]
    t1 = statistics.median([p.t1 for p in qp if p.t1]) if any(p.t1 for p in qp) else math.nan
    t2 = statistics.median([p.t2 for p in qp if p.t2]) if any(p.t2 for p in qp) else math.nan
    basis = tuple(sorted(n for n in target.operation_names if n not in _NOT_GATES - {"id"}
                         and hasattr(target.operation_from_name(n), "num_qubits")))
    return Calibration(name, date, origin, target.num_qubits, basis, tuple(sorted(gates, key=lambda g: g.name)),
                       main2.name, main1.median_seconds, main2.median_seconds, main1.median_error,
                       main2.median_error, readout[0], readout[1], t1, t2, target, backend)
