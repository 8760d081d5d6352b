"""State-vector simulation: the ``Simulator``, compiled ops, fusion and adjoint gradients."""

from .grad_ops import GradOpsWrapper
from .measure import MeasureResult
from .simulator import Simulator

__all__ = ["Simulator", "MeasureResult", "GradOpsWrapper"]
