"""End-to-end training of a model (:mod:`scheduler.models`: the paper's MLP, a CNN, a tiny GPT) with SGD, Adam and Newton (classical-only, quantum-only,
Q-Newton hybrid), with a ledger, checkpoints after every step, and a Table-1-like report.

Times (:class:`MethodResult`): each step's measured wall time is split into curvature capture,
classical solves and the rest (from the ledger's per-part seconds); a simulated quantum solve is
charged its projected quantum time instead of its wall time. SGD warm-up steps are kept apart.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from estimators import ClassicalCostModel
from hessians import capture_step
from qlsa.errors import CheckpointError, InvalidParameterError, QlsaError
from qlsa.report import write_text
from qlsa.serialization import jsonable

from .data import TEXT_DATASETS, Dataset, load_dataset
from .models import MODELS, build_model, lm_loss
from .qnewton import LedgerRow, NewtonSettings, QNewton

METHODS = ("sgd", "adam", "classical", "quantum", "qnewton")
# ``qlsa train --model gpt`` defaults: a test-loss target in nats per character (the text corpus's
# unigram entropy is 3.13), and Newton on the empirical Fisher, damped more, with a full step —
# the per-sample GGN of a sequence model has context × vocabulary outputs (measured 45 s per
# step at batch 256, the Fisher 0.14 s)
GPT_TARGET_LOSS = 2.5
GPT_NEWTON = {"kind": "fisher", "regularization": 0.1, "lr": 1.0}
NEWTON_POLICY = {"classical": "classical", "quantum": "quantum", "qnewton": "hybrid"}


class TrainingDivergedError(QlsaError):
    """The loss became NaN/Inf; the checkpoint of the last good step is kept."""


@dataclass(frozen=True)
class TrainConfig:
    dataset: str = "digits"
    data_dir: str | None = None
    model: str = "mlp"
    target_loss: float | None = None      # if set, the target is test loss ≤ this (nats) instead of the accuracy
    device: str = "cpu"                   # torch device of the model, data and curvature capture
    methods: tuple[str, ...] = METHODS
    steps: int = 400
    target_accuracy: float = 0.90
    seed: int = 0
    batch_size: int = 256
    hidden: int = 16
    sgd_lr: float = 0.5
    adam_lr: float = 0.01
    warmup: int = 5
    newton: NewtonSettings = field(default_factory=NewtonSettings)

    def __post_init__(self) -> None:
        bad = [m for m in self.methods if m not in METHODS]
        if self.model not in MODELS:
            raise InvalidParameterError(f"unknown model {self.model!r}; choose one of {', '.join(MODELS)}")
        if (self.model == "gpt") != (self.dataset in TEXT_DATASETS):
            raise InvalidParameterError(
                f"--model {self.model} does not train on --dataset {self.dataset}; the GPT takes text "
                f"({', '.join(TEXT_DATASETS)}), the MLP and CNN take images (digits, mnist)")
        check_device(self.device)
        if self.target_loss is not None and not (math.isfinite(self.target_loss) and self.target_loss > 0):
            raise InvalidParameterError(f"target loss must be a finite number > 0, got {self.target_loss}")
        if bad or not self.methods:
            raise InvalidParameterError(f"unknown method(s) {bad or '(none)'}; choose from {', '.join(METHODS)}")
        if not (0 < self.target_accuracy <= 1):
            raise InvalidParameterError(f"target accuracy must lie in (0, 1], got {self.target_accuracy}")
        if not all(math.isfinite(lr) and lr > 0 for lr in (self.sgd_lr, self.adam_lr)):
            raise InvalidParameterError(f"learning rates must be finite and > 0, got {self.sgd_lr}, {self.adam_lr}")
        if self.steps < 1 or self.batch_size < 1 or self.hidden < 1 or self.warmup < 0:
            raise InvalidParameterError("steps, batch size and hidden width must be ≥ 1 and warm-up ≥ 0")

    @staticmethod
    def from_dict(d: dict) -> "TrainConfig":
        d = dict(d)
        d["methods"] = tuple(d["methods"])
        d["newton"] = NewtonSettings(**d["newton"])
        return TrainConfig(**d)


@dataclass(frozen=True)
class MethodResult:
    """One row of the report (paper Table 1).

    Per-step figures of a Newton method are over its Newton steps; the SGD warm-up steps before
    Newton starts are counted and timed apart (``warmup_*``), never averaged in. ``steps_*``
    count every step, warm-up included. Measured: warm-up, curvature (capture of the blocks and
    the gradient), other (everything else a step does: regularise, prune, κ, estimate, decide,
    update; the whole step of SGD/Adam), classical solves. Projected: quantum solves, charged
    the cost model's seconds (Jennings et al. Theorem 1 at the configured gate time or backend)
    instead of the wall time of their simulation. ``time_to_target`` adds them up to the step
    that reached the target. ``solver_seconds_*``: the cost models' predictions summed over this
    method's own blocks — as chosen, and had every block gone classical or quantum — so the
    hybrid's chosen ≤ both on the same trajectory by construction (it takes the smaller per block).
    """

    method: str
    steps_run: int
    warmup_steps: int
    warmup_seconds_per_step: float
    steps_to_target: int | None
    curvature_seconds_per_step: float
    other_seconds_per_step: float
    classical_solve_seconds_per_step: float
    quantum_solve_seconds_per_step: float
    time_to_target: float | None
    solver_seconds_chosen: float
    solver_seconds_all_classical: float
    solver_seconds_all_quantum: float
    final_test_accuracy: float
    final_loss: float
    final_test_loss: float
    quantum_decisions: int
    classical_decisions: int

    def to_dict(self) -> dict:
        return jsonable(self)


# The paper's Table III (DESIGN §5): MNIST 784-16-10 on an H100 with ibm_sherbrooke, for reference.
PAPER_TABLE_III = (("sgd", 1500, 0.14, 204.0), ("classical", 1000, 1.06, 1064.0), ("quantum", 1000, 0.17, 170.0),
                   ("qnewton", 1000, 0.15, 123.0))
PAPER_TABLE_III_SOURCE = "Li et al., arXiv:2405.00252, Table III (DNN on MNIST, H100 + ibm_sherbrooke)"


def check_device(device: str) -> torch.device:
    """``device`` as a torch device that exists here, or a one-line error."""
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise InvalidParameterError(f"unknown device {device!r}; give cpu, cuda or cuda:N") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InvalidParameterError(f"device {device!r} asked for, but torch sees no CUDA device here "
                                    f"(torch {torch.__version__}); use --device cpu")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise InvalidParameterError(f"device {device!r}: only {torch.cuda.device_count()} CUDA device(s) here")
    if dev.type not in ("cpu", "cuda"):
        raise InvalidParameterError(f"device {device!r}: qlsa trains on cpu or cuda")
    return dev


def evaluate(model: nn.Module, loss_fn, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """Test accuracy (of the arg-max class, or of every next token) and test loss."""
    with torch.no_grad():
        out = model(x)
        return float((out.argmax(-1) == y).float().mean()), float(loss_fn(out, y))


CHECKPOINT_KEYS = ("config", "results", "ledger", "history", "method", "step", "model", "opt", "stats")


class Trainer:
    """Runs every configured method in turn; ``out_dir`` receives the checkpoint, ledger, report, plots."""

    def __init__(self, config: TrainConfig, out_dir: str | Path, progress: bool = True,
                 classical_model: ClassicalCostModel | None = None):
        """``classical_model`` pins the classical c1·n³ + c2 model (default: this machine's cached fit)."""
        self.config, self.out, self.progress = config, Path(out_dir), progress
        self.classical_model = classical_model
        if self.out.exists() and not self.out.is_dir():
            raise InvalidParameterError(f"--out {self.out} is a file; give a directory for the run's outputs")
        data = load_dataset(config.dataset, config.data_dir, config.seed)   # validate, then write
        self.device = torch.device(config.device)
        self.data: Dataset = replace(data, **{k: getattr(data, k).to(self.device)
                                              for k in ("x_train", "y_train", "x_test", "y_test")})
        self.out.mkdir(parents=True, exist_ok=True)
        self.loss_fn = lm_loss if config.model == "gpt" else nn.functional.cross_entropy
        self.results: list[MethodResult] = []
        self.ledger: list[LedgerRow] = []
        self.history: list[dict] = []
        self._resume_state: dict | None = None

    # ------------------------------------------------------------------ checkpoints
    @property
    def checkpoint_path(self) -> Path:
        return self.out / "checkpoint.pt"

    @classmethod
    def resume(cls, out_dir: str | Path, progress: bool = True) -> "Trainer":
        path = Path(out_dir) / "checkpoint.pt"
        if not path.is_file():
            raise InvalidParameterError(f"{out_dir} holds no checkpoint.pt to resume from")
        try:
            ck = torch.load(path, weights_only=True, map_location="cpu")
        except Exception:                 # random bytes, a pickle weights_only refuses, a truncated file
            import zipfile
            what = ("holds Python objects beyond tensors, which qlsa does not load (torch weights only)"
                    if zipfile.is_zipfile(path) else "is not a torch checkpoint file")
            raise CheckpointError(f"{path} {what}; start a new run without --resume") from None
        missing = [k for k in CHECKPOINT_KEYS if not isinstance(ck, dict) or k not in ck]
        if missing:
            raise CheckpointError(f"{path}: a torch file without the trainer's {', '.join(missing)}; start a new run "
                                  "without --resume")
        try:
            config = TrainConfig.from_dict(json.loads(ck["config"]))
            results = [MethodResult(**r) for r in json.loads(ck["results"])]
            ledger = [LedgerRow(**r) for r in json.loads(ck["ledger"])]
            history = json.loads(ck["history"])
        except (TypeError, ValueError, KeyError) as exc:
            raise CheckpointError(f"{path}: its run record does not parse ({exc}); start a new run without "
                                  "--resume") from None
        t = cls(config, out_dir, progress)
        t.results, t.ledger, t.history = results, ledger, history
        t._resume_state = ck
        return t

    def _save(self, method: str, step: int, model: nn.Module, opt: torch.optim.Optimizer,
              extra_opt: torch.optim.Optimizer | None, stats: dict) -> None:
        ck = {"config": json.dumps(jsonable(asdict(self.config))), "results": json.dumps([r.to_dict() for r in self.results]),
              "ledger": json.dumps([r.to_dict() for r in self.ledger]), "history": json.dumps(self.history),
              "method": method, "step": step, "model": model.state_dict(), "opt": opt.state_dict(),
              "stats": json.dumps(stats)}
        if extra_opt is not None:
            ck["warmup_opt"] = extra_opt.state_dict()
        tmp = self.checkpoint_path.with_suffix(".tmp")
        torch.save(ck, tmp)
        tmp.replace(self.checkpoint_path)

    # ------------------------------------------------------------------ training
    def _batch(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        n = len(self.data.y_train)
        bs = min(self.config.batch_size, n)
        per_epoch = n // bs
        epoch, k = divmod(step, per_epoch)
        perm = np.random.default_rng([self.config.seed, epoch]).permutation(n)[k * bs:(k + 1) * bs]
        idx = torch.as_tensor(perm, device=self.device)
        return self.data.x_train[idx], self.data.y_train[idx]

    def run(self) -> list[MethodResult]:
        done = {r.method for r in self.results}
        todo = [m for m in self.config.methods if m not in done]
        if any(m in NEWTON_POLICY for m in todo):
            self._warm_up_capture()
        for method in todo:
            self.results.append(self._train_method(method))
            self._resume_state = None
        self.write_outputs()
        return self.results

    def _warm_up_capture(self) -> None:
        """One untimed curvature capture on the first batch, before any method runs: torch.func's
        first use in a process costs about 0.4 s (the default run: 0.43 s against 0.05 s for each
        later capture), which would otherwise be charged to whichever Newton method runs first,
        as QNewton's numba kernels are compiled before its first timed step."""
        n = self.config.newton
        x, y = self._batch(0)
        capture_step(self.new_model(), self.loss_fn, x, y, n.structure, n.kind, n.chunk_size, progress=False)

    def new_model(self) -> nn.Module:
        """The configured model at its seeded initialisation (every method starts from it)."""
        c, d = self.config, self.data
        return build_model(c.model, d.num_features, d.num_classes, c.hidden, c.seed).to(self.device)

    def _optimizers(self, method: str, model: nn.Module):
        c = self.config
        if method == "sgd":
            return torch.optim.SGD(model.parameters(), lr=c.sgd_lr), None
        if method == "adam":
            return torch.optim.Adam(model.parameters(), lr=c.adam_lr), None
        opt = QNewton(model, self.loss_fn, NEWTON_POLICY[method], self.classical_model, c.newton, method, c.seed)
        return opt, torch.optim.SGD(model.parameters(), lr=c.sgd_lr)

    def _train_method(self, method: str) -> MethodResult:
        c, d = self.config, self.data
        model = self.new_model()
        opt, warm = self._optimizers(method, model)
        start = 0
        stats = self._fresh_stats()
        ck = self._resume_state
        if ck is not None and ck["method"] == method:
            model.load_state_dict(ck["model"])
            opt.load_state_dict(ck["opt"])
            if warm is not None and "warmup_opt" in ck:
                warm.load_state_dict(ck["warmup_opt"])
            start, stats = int(ck["step"]), {**self._fresh_stats(), **json.loads(ck["stats"])}
        if start == 0:
            self._save(method, 0, model, opt, warm, stats)
        bar = tqdm(range(start, c.steps), desc=method, disable=None if self.progress else True, leave=False)
        step, loss_value = start, math.nan
        acc, test_loss = evaluate(model, self.loss_fn, d.x_test, d.y_test)
        for step in bar:
            x, y = self._batch(step)
            t0 = time.perf_counter()
            newton = isinstance(opt, QNewton) and step >= c.warmup
            if newton:
                opt.state["step"] = step
                rows = opt.step(x, y)
                loss_value = rows[0].loss
            else:
                sgd = warm or opt
                sgd.zero_grad()
                loss = self.loss_fn(model(x), y)
                loss.backward()
                sgd.step()
                loss_value = float(loss.detach())
            wall = time.perf_counter() - t0
            if newton:
                self.ledger.extend(rows)
                solves = sum(r.measured_solve_seconds for r in rows)
                classical = sum(r.measured_solve_seconds for r in rows if r.processor == "classical")
                quantum = sum(r.charged_seconds for r in rows if r.processor == "quantum")
                parts = {"curvature": rows[0].capture_seconds, "other": wall - rows[0].capture_seconds - solves,
                         "classical_solve": classical, "quantum_solve": quantum}
                stats["newton_steps"] += 1
                stats["chosen"] += sum(r.predicted_quantum_seconds if r.processor == "quantum"
                                       else r.predicted_classical_seconds for r in rows)
                stats["all_classical"] += sum(r.predicted_classical_seconds for r in rows)
                stats["all_quantum"] += sum(r.predicted_quantum_seconds for r in rows)
                stats["q"] += sum(r.processor == "quantum" for r in rows)
                stats["c"] += sum(r.processor == "classical" for r in rows)
            elif isinstance(opt, QNewton):                           # SGD warm-up before Newton starts
                parts, quantum = {"warmup": wall}, 0.0
            else:
                parts, quantum = {"other": wall}, 0.0
                stats["newton_steps"] += 1                           # SGD/Adam: every step is one of its own
            for k, v in parts.items():
                stats[k] += v
            stats["elapsed"] += sum(parts.values())
            compute = sum(v for k, v in parts.items() if k != "quantum_solve")
            if not math.isfinite(loss_value) or not all(torch.isfinite(p).all() for p in model.parameters()):
                raise TrainingDivergedError(
                    f"{method}: loss became {loss_value} at step {step}; the checkpoint of step {step} is kept in "
                    f"{self.out} (lower the learning rate or raise the regularisation)")
            acc, test_loss = evaluate(model, self.loss_fn, d.x_test, d.y_test)
            self.history.append({"method": method, "step": step, "loss": loss_value, "test_accuracy": acc,
                                 "test_loss": test_loss, "compute_seconds": compute, "quantum_seconds": quantum})
            reached = test_loss <= c.target_loss if c.target_loss is not None else acc >= c.target_accuracy
            if reached and stats["to_target"] is None:
                stats["to_target"], stats["time_to_target"] = step + 1, stats["elapsed"]
            self._save(method, step + 1, model, opt, warm, stats)
            bar.set_postfix(loss=f"{loss_value:.3f}", acc=f"{acc:.3f}")
            if stats["to_target"] is not None:
                break
        steps_run = sum(1 for h in self.history if h["method"] == method)
        n, warm_n = max(stats["newton_steps"], 1), steps_run - stats["newton_steps"]
        return MethodResult(method, steps_run, warm_n, stats["warmup"] / max(warm_n, 1), stats["to_target"],
                            stats["curvature"] / n, stats["other"] / n, stats["classical_solve"] / n,
                            stats["quantum_solve"] / n, stats["time_to_target"], stats["chosen"],
                            stats["all_classical"], stats["all_quantum"], acc, loss_value, test_loss, int(stats["q"]),
                            int(stats["c"]))

    @staticmethod
    def _fresh_stats() -> dict:
        return {"warmup": 0.0, "curvature": 0.0, "other": 0.0, "classical_solve": 0.0, "quantum_solve": 0.0,
                "elapsed": 0.0, "newton_steps": 0, "chosen": 0.0, "all_classical": 0.0, "all_quantum": 0.0,
                "to_target": None, "time_to_target": None, "q": 0, "c": 0}

    # ------------------------------------------------------------------ outputs
    def write_outputs(self) -> None:
        from .ledger import plot_run, write_ledger

        write_ledger(self.ledger, self.out)
        write_text(self.out / "history.json", json.dumps(self.history, indent=1))
        write_text(self.out / "report.json", json.dumps(
            {"config": jsonable(asdict(self.config)), "methods": [r.to_dict() for r in self.results],
             "paper_table_iii": {"source": PAPER_TABLE_III_SOURCE,
                                 "rows": [dict(zip(("method", "steps", "seconds_per_step", "total_seconds"), r))
                                          for r in PAPER_TABLE_III]}}, indent=2,
            ensure_ascii=False))
        plot_run(self.history, self.ledger, self.out)


def config_with(config: TrainConfig, **changes) -> TrainConfig:
    """A copy of ``config`` with top-level or ``newton_*`` fields changed."""
    newton = {k[len("newton_"):]: v for k, v in changes.items() if k.startswith("newton_")}
    top = {k: v for k, v in changes.items() if not k.startswith("newton_")}
    return replace(config, newton=replace(config.newton, **newton), **top)
