"""Neural-network building blocks on the autodiff core."""

from ..tensor import Parameter
from . import init
from .layers import (
    ACTIVATIONS,
    MLP,
    Activation,
    Linear,
    ReLU,
    Sequential,
    Sigmoid,
    SiLU,
    Softplus,
    Tanh,
    get_activation,
)
from .losses import huber_loss, mae_loss, mse_loss
from .module import Module

__all__ = [
    "ACTIVATIONS", "MLP", "Activation", "Linear", "Module", "Parameter", "ReLU", "Sequential",
    "SiLU", "Sigmoid", "Softplus", "Tanh", "get_activation", "huber_loss", "init", "mae_loss",
    "mse_loss",
]
