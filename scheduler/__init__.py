"""Cost models, routing policies, the simulated quantum solver and the Q-Newton trainer."""

from .cost_models import ClassicalCholeskyCost, CostModel, JenningsCost, PaperQuantumCost
from .policies import POLICIES, Decision, Policy
from .qnewton import LedgerRow, NewtonSettings, QNewton
from .solvers import classical_solve, quantum_solve
from .tracking import block_estimates
from .trainer import METHODS, MethodResult, TrainConfig, Trainer, TrainingDivergedError

__all__ = ["POLICIES", "METHODS", "ClassicalCholeskyCost", "CostModel", "Decision", "JenningsCost", "LedgerRow",
           "MethodResult", "NewtonSettings", "PaperQuantumCost", "Policy", "QNewton", "TrainConfig", "Trainer",
           "TrainingDivergedError", "block_estimates", "classical_solve", "quantum_solve"]
