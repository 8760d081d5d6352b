"""Selective integrated tempering sampling (SITS) and plain ITS.

``sponge.SITS`` is a bias for :class:`sponge.Simulation`; see
:mod:`sponge.sits.bias` for the equations, modes and files.
"""

from sponge.sits.bias import SITS, read_nk_file
from sponge.sits.estimator import its_bias, update_log_nk
from sponge.sits.ladder import temperature_ladder
from sponge.sits.selection import SelectedEnergy, selection_mask

__all__ = ["SITS", "SelectedEnergy", "its_bias", "read_nk_file", "selection_mask",
           "temperature_ladder", "update_log_nk"]
