"""Reporters that observe the simulation loop (OpenMM's model, snake_case names).

Public names: :class:`Reporter` (base), :class:`StateDataReporter` (CSV),
:class:`DCDReporter`, :class:`XTCReporter`, :class:`PDBReporter`
(trajectories), :class:`CheckpointReporter` (atomic checkpoints),
:class:`ProgressReporter` (tqdm bar with ns/day), :class:`CVReporter` (CV values
and bias columns, CSV), and the checkpoint file
helpers :func:`write_checkpoint` / :func:`read_checkpoint`.
"""

from sponge.reporters.base import Reporter, atomic_write_bytes, openmm_topology
from sponge.reporters.checkpoint import (
    CheckpointError,
    CheckpointReporter,
    read_checkpoint,
    write_checkpoint,
)
from sponge.reporters.cv import CVReporter
from sponge.reporters.progress import ProgressReporter
from sponge.reporters.state_data import StateDataReporter
from sponge.reporters.trajectory import DCDReporter, PDBReporter, XTCReporter

__all__ = [
    "CheckpointError",
    "CheckpointReporter",
    "CVReporter",
    "DCDReporter",
    "PDBReporter",
    "ProgressReporter",
    "Reporter",
    "StateDataReporter",
    "XTCReporter",
    "atomic_write_bytes",
    "openmm_topology",
    "read_checkpoint",
    "write_checkpoint",
]
