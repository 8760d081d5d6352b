"""Training data for neural potentials: ``.npz`` datasets and labelling.

A :class:`Dataset` holds configurations of one molecule or box (same atoms):
``species (n_atoms,)`` int, ``positions (n_conf, n_atoms, 3)`` nm, ``energy
(n_conf,)`` kJ/mol, ``forces (n_conf, n_atoms, 3)`` kJ/mol/nm and optionally
``box (n_conf, 3, 3)`` nm. Saved with ``np.savez`` under those names.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

REQUIRED = ("species", "positions", "energy", "forces")


@dataclass
class Dataset:
    """Labelled configurations (see the module docstring for shapes and units)."""

    species: np.ndarray
    positions: np.ndarray
    energy: np.ndarray
    forces: np.ndarray
    box: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.species = np.asarray(self.species, dtype=np.int64).reshape(-1)
        self.positions = np.asarray(self.positions, dtype=np.float64)
        self.energy = np.asarray(self.energy, dtype=np.float64).reshape(-1)
        self.forces = np.asarray(self.forces, dtype=np.float64)
        n_conf = len(self.energy)
        n_at = len(self.species)
        for name, arr, shape in (("positions", self.positions, (n_conf, n_at, 3)),
                                 ("forces", self.forces, (n_conf, n_at, 3))):
            if arr.shape != shape:
                raise ValueError(f"dataset {name} has shape {arr.shape}; expected {shape} "
                                 f"({n_conf} energies, {n_at} species)")
        if self.box is not None:
            self.box = np.asarray(self.box, dtype=np.float64)
            if self.box.shape == (3, 3):
                self.box = np.broadcast_to(self.box, (n_conf, 3, 3)).copy()
            if self.box.shape != (n_conf, 3, 3):
                raise ValueError(f"dataset box has shape {self.box.shape}; expected "
                                 f"({n_conf}, 3, 3)")

    def __len__(self) -> int:
        return len(self.energy)

    @property
    def n_atoms(self) -> int:
        return len(self.species)

    def subset(self, idx: Any) -> Dataset:
        return Dataset(self.species, self.positions[idx], self.energy[idx], self.forces[idx],
                       None if self.box is None else self.box[idx])

    def split(self, valid_fraction: float = 0.1, seed: int = 0) -> tuple[Dataset, Dataset]:
        """Random (train, validation) split."""
        if not 0 < valid_fraction < 1:
            raise ValueError(f"valid_fraction must be in (0, 1), got {valid_fraction}")
        perm = np.random.default_rng(seed).permutation(len(self))
        n_val = max(1, int(round(valid_fraction * len(self))))
        return self.subset(np.sort(perm[n_val:])), self.subset(np.sort(perm[:n_val]))

    def save(self, path: str | Path) -> None:
        arrays = dict(species=self.species, positions=self.positions, energy=self.energy,
                      forces=self.forces)
        if self.box is not None:
            arrays["box"] = self.box
        np.savez(path, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> Dataset:
        """Read an ``.npz`` dataset; errors name the file and the missing or bad array."""
        try:
            z = np.load(path)
        except Exception as e:
            raise ValueError(f"{path}: not a readable .npz dataset ({e})") from e
        missing = [k for k in REQUIRED if k not in z.files]
        if missing:
            raise ValueError(f"{path}: dataset lacks arrays {missing} (has {z.files})")
        try:
            return cls(z["species"], z["positions"], z["energy"], z["forces"],
                       z["box"] if "box" in z.files else None)
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from e

    @classmethod
    def concatenate(cls, parts: list[Dataset]) -> Dataset:
        if not parts:
            raise ValueError("nothing to concatenate")
        sp = parts[0].species
        for p in parts[1:]:
            if not np.array_equal(p.species, sp):
                raise ValueError("datasets hold different atoms")
        boxes = [p.box for p in parts]
        box = None if any(b is None for b in boxes) else np.concatenate(boxes)
        return cls(sp, np.concatenate([p.positions for p in parts]),
                   np.concatenate([p.energy for p in parts]),
                   np.concatenate([p.forces for p in parts]), box)


def label_configurations(system: Any, species: np.ndarray, positions: np.ndarray,
                         boxes: np.ndarray | None = None) -> Dataset:
    """Energies and forces of configurations from a sponge ``System`` (classical labels).

    Args:
        system: a ``sponge.System``.
        species: ``(n_atoms,)`` species indices for the model.
        positions: ``(n_conf, n_atoms, 3)`` nm.
        boxes: ``(n_conf, 3, 3)`` nm or None.
    """
    from sponge.state import State

    pos = np.asarray(positions, dtype=np.float64)
    e = np.empty(len(pos))
    f = np.empty_like(pos)
    for k, p in enumerate(pos):
        st = State(p, box=None if boxes is None else boxes[k])
        e[k], f[k] = system.energy_forces(st)
    return Dataset(species, pos, e, f, boxes)


def label_with_pyscf(elements: list[str], positions: np.ndarray, method: str = "HF",
                     basis: str = "sto-3g", charge: int = 0, spin: int = 0) -> tuple:
    """Energies (kJ/mol) and forces (kJ/mol/nm) from PySCF (optional extra ``pyscf``).

    Args:
        elements: element symbols of the atoms.
        positions: ``(n_conf, n_atoms, 3)`` nm.
        method: "HF" or a DFT functional name (e.g. "B3LYP").

    Raises:
        ImportError: PySCF is not installed (``pip install pyscf``).
    """
    try:
        from pyscf import dft, gto, scf
    except ImportError:
        raise ImportError("label_with_pyscf needs PySCF: pip install pyscf") from None
    hartree = 2625.499639  # kJ/mol
    bohr_nm = 0.0529177210903
    pos = np.asarray(positions, dtype=np.float64)
    es, fs = [], []
    for p in pos:
        mol = gto.M(atom=[(el, tuple(x * 10.0)) for el, x in zip(elements, p, strict=True)],
                    basis=basis, charge=charge, spin=spin, unit="Angstrom", verbose=0)
        mf = scf.RHF(mol) if method.upper() == "HF" else dft.RKS(mol, xc=method)
        e = mf.kernel()
        g = mf.nuc_grad_method().kernel()  # Hartree/bohr
        es.append(e * hartree)
        fs.append(-g * hartree / bohr_nm)
    return np.array(es), np.array(fs)
