"""Machine-learned force fields on the autodiff core: descriptors, models, training, MD term.

Public names: :class:`SchNet`, :class:`BehlerParrinello`, :class:`SymmetryFunctions`,
:class:`NeuralPotential`, :func:`mlmm_openmm_system`, :func:`build_graph`,
:class:`Graph`, and the training/data tools in :mod:`sponge.ml.training` and
:mod:`sponge.ml.data`.
"""

from .behler_parrinello import BehlerParrinello
from .data import Dataset, label_configurations, label_with_pyscf
from .generate import generate_dataset, sample_configurations
from .graph import Graph, build_graph, cosine_cutoff, gaussian_rbf, pair_vectors
from .potential import NeuralPotential, mlmm_openmm_system
from .prior import ShortRangeWall
from .schnet import SchNet, shifted_softplus
from .symmetry import SymmetryFunctions
from .training import (
    TrainConfig,
    TrainResult,
    errors,
    load_checkpoint,
    plot_learning_curve,
    predict,
    save_checkpoint,
    train,
)

__all__ = [
    "BehlerParrinello", "Dataset", "Graph", "NeuralPotential", "SchNet", "SymmetryFunctions",
    "TrainConfig", "TrainResult", "build_graph", "cosine_cutoff", "errors", "gaussian_rbf",
    "generate_dataset", "label_configurations", "label_with_pyscf", "load_checkpoint",
    "mlmm_openmm_system", "pair_vectors", "plot_learning_curve", "predict",
    "sample_configurations", "save_checkpoint", "ShortRangeWall", "shifted_softplus", "train",
]
