"""Generalized Born implicit solvent: HCT, OBC1 and OBC2 with the ACE surface term.

Reproduces OpenMM's ``GBSAOBCForce`` (OBC2) and the ``CustomGBForce`` objects
that ``AmberPrmtopFile.createSystem(implicitSolvent=HCT|OBC1|OBC2)`` emits
(``openmm.app.internal.customgbforces``), without salt screening, with no
cutoff or with OpenMM's cutoff convention (pairs beyond ``r_c`` ignored in the
Born radii and the energy, pair energies shifted by ``-k tau q_i q_j / r_c``;
minimum image for CutoffPeriodic).

Born radii (offset ``d = 0.009`` nm, ``o_i = rho_i - d``, ``s_j`` the scaled offset
radius ``S_j o_j``):

    I_i = sum_{j != i, o_i < r + s_j} 1/2 [1/L - 1/U + (r - s_j^2/r)(1/U^2 - 1/L^2)/4
                                          + ln(L/U)/(2r)]  (+ 1/o_i - 1/L if o_i < s_j - r)
    U = r + s_j,  L = max(o_i, |r - s_j|)

(the bracketed engulfing term only in OpenMM's native GBSAOBCForce);
HCT ``B_i = 1/(1/o_i - I_i)``; OBC ``B_i = 1/(1/o_i - tanh(a psi - b psi^2 + c psi^3)/rho_i)``,
``psi = I_i o_i`` with ``(a, b, c) = (0.8, 0, 2.909125)`` (OBC1) or ``(1, 0.8, 4.85)`` (OBC2).

Energy (``k`` the Coulomb constant, ``tau = 1/eps_solute - 1/eps_solvent``):

    E = -k tau [sum_i q_i^2 / (2 B_i) + sum_{i<j} q_i q_j / f_ij]
        + sum_i 4 pi gamma (rho_i + r_probe)^2 (rho_i / B_i)^6,
    f_ij = sqrt(r^2 + B_i B_j exp(-r^2 / (4 B_i B_j))).

Forces use the chain rule through the Born radii (three O(N^2) numba passes,
parallel over atoms). Units: nm, e, kJ/mol.
"""

from __future__ import annotations

import math
import re

import numpy as np
from numba import njit, prange

from .neighbor_list import check_box
from .nonbonded.parameters import ONE_4PI_EPS0

__all__ = ["GBTerm"]

OFFSET = 0.009
_MODELS = {"HCT": (0.0, 0.0, 0.0), "OBC1": (0.8, 0.0, 2.909125), "OBC2": (1.0, 0.8, 4.85)}
_CUSTOM_K = 138.935485  # the constant written into OpenMM's CustomGBForce expressions


@njit(cache=True, inline="always")
def _integral(r: float, o_i: float, s_j: float, engulf: bool) -> tuple:
    """Contribution of atom j to I_i and its derivative in r."""
    if o_i >= r + s_j:
        return 0.0, 0.0
    u = r + s_j
    d = r - s_j
    if o_i > abs(d):
        lo = o_i
        dl = 0.0
    else:
        lo = abs(d)
        dl = 1.0 if d > 0 else -1.0
    inv_l = 1.0 / lo
    inv_u = 1.0 / u
    inv_r = 1.0 / r
    q = r - s_j * s_j * inv_r
    diff = inv_u * inv_u - inv_l * inv_l
    lnlu = math.log(lo * inv_u)
    t = 0.5 * (inv_l - inv_u + 0.25 * q * diff + 0.5 * lnlu * inv_r)
    dt = 0.5 * (
        -dl * inv_l * inv_l
        + inv_u * inv_u
        + 0.25 * (1.0 + s_j * s_j * inv_r * inv_r) * diff
        + 0.25 * q * (-2.0 * inv_u**3 + 2.0 * dl * inv_l**3)
        + 0.5 * (dl * inv_l - inv_u) * inv_r
        - 0.5 * lnlu * inv_r * inv_r
    )
    if engulf and o_i < s_j - r:
        t += 1.0 / o_i - inv_l
        dt += dl * inv_l * inv_l
    return t, dt


@njit(cache=True, inline="always")
def _delta(x: np.ndarray, i: int, j: int, box: np.ndarray, periodic: bool) -> tuple:
    """x_i - x_j, minimum image in a reduced box when ``periodic`` (OpenMM's rule)."""
    dx = x[i, 0] - x[j, 0]
    dy = x[i, 1] - x[j, 1]
    dz = x[i, 2] - x[j, 2]
    if periodic:
        sh = np.rint(dz / box[2, 2])
        dx -= sh * box[2, 0]
        dy -= sh * box[2, 1]
        dz -= sh * box[2, 2]
        sh = np.rint(dy / box[1, 1])
        dx -= sh * box[1, 0]
        dy -= sh * box[1, 1]
        dx -= np.rint(dx / box[0, 0]) * box[0, 0]
    return dx, dy, dz


@njit(cache=True, parallel=True)
def _born_radii(
    x: np.ndarray,
    o: np.ndarray,
    s: np.ndarray,
    model: np.ndarray,
    hct: bool,
    engulf: bool,
    cut2: float,
    box: np.ndarray,
    periodic: bool,
) -> tuple:
    n = x.shape[0]
    born = np.empty(n)
    chain = np.empty(n)
    a, b, c = model[0], model[1], model[2]
    for i in prange(n):
        acc = 0.0
        for j in range(n):
            if j == i:
                continue
            dx, dy, dz = _delta(x, i, j, box, periodic)
            r2 = dx * dx + dy * dy + dz * dz
            if r2 > cut2:
                continue
            acc += _integral(math.sqrt(r2), o[i], s[j], engulf)[0]
        if hct:
            born[i] = 1.0 / (1.0 / o[i] - acc)
            chain[i] = born[i] * born[i]
        else:
            rho = o[i] + OFFSET
            psi = acc * o[i]
            th = math.tanh(a * psi - b * psi * psi + c * psi**3)
            born[i] = 1.0 / (1.0 / o[i] - th / rho)
            chain[i] = (
                born[i] ** 2 * (1.0 - th * th) * (a - 2 * b * psi + 3 * c * psi**2) * o[i] / rho
            )
    return born, chain


@njit(cache=True, parallel=True)
def _gb_energy(
    x: np.ndarray,
    q: np.ndarray,
    born: np.ndarray,
    pref: float,
    sa: float,
    probe: float,
    o: np.ndarray,
    forces: np.ndarray,
    dedb: np.ndarray,
    cut2: float,
    inv_cut: float,
    box: np.ndarray,
    periodic: bool,
) -> tuple:
    """Polar (pair + self) and ACE energies; explicit-r forces; dE/dB per atom.

    With a cutoff, pairs beyond it are skipped and each pair energy is shifted by
    ``-k tau q_i q_j / r_c`` (OpenMM's convention).
    """
    n = x.shape[0]
    e_pol = np.zeros(n)
    e_sa = np.zeros(n)
    for i in prange(n):
        bi = born[i]
        acc_e = 0.5 * pref * q[i] * q[i] / bi
        acc_b = -0.5 * pref * q[i] * q[i] / (bi * bi)
        fx = 0.0
        fy = 0.0
        fz = 0.0
        for j in range(n):
            if j == i:
                continue
            dx, dy, dz = _delta(x, i, j, box, periodic)
            r2 = dx * dx + dy * dy + dz * dz
            if r2 > cut2:
                continue
            bij = bi * born[j]
            ex = math.exp(-r2 / (4.0 * bij))
            f2 = r2 + bij * ex
            f = math.sqrt(f2)
            cq = pref * q[i] * q[j]
            acc_e += 0.5 * cq * (1.0 / f - inv_cut)
            # d(1/f)/dB_i = -(1/f^2) * B_j ex (1 + r^2/(4 B_i B_j)) / (2 f)
            acc_b += -cq * born[j] * ex * (1.0 + r2 / (4.0 * bij)) / (2.0 * f2 * f)
            g = cq * (1.0 - 0.25 * ex) / (f2 * f)
            fx += g * dx
            fy += g * dy
            fz += g * dz
        forces[i, 0] = fx
        forces[i, 1] = fy
        forces[i, 2] = fz
        if sa > 0.0:
            rho = o[i] + OFFSET
            ratio = rho / bi
            es = sa * (rho + probe) ** 2 * ratio**6
            e_sa[i] = es
            acc_b -= 6.0 * es / bi
        e_pol[i] = acc_e
        dedb[i] = acc_b
    return e_pol.sum(), e_sa.sum()


@njit(cache=True, parallel=True)
def _chain_forces(
    x: np.ndarray,
    o: np.ndarray,
    s: np.ndarray,
    coef: np.ndarray,
    engulf: bool,
    forces: np.ndarray,
    cut2: float,
    box: np.ndarray,
    periodic: bool,
) -> None:
    """forces_i -= sum_j [c_i dI_i/dr_ij + c_j dI_j/dr_ij] (r_i - r_j)/r,  c = dE/dB dB/dI."""
    n = x.shape[0]
    for i in prange(n):
        fx = 0.0
        fy = 0.0
        fz = 0.0
        for j in range(n):
            if j == i:
                continue
            dx, dy, dz = _delta(x, i, j, box, periodic)
            r2 = dx * dx + dy * dy + dz * dz
            if r2 > cut2:
                continue
            r = math.sqrt(r2)
            d_ij = _integral(r, o[i], s[j], engulf)[1]
            d_ji = _integral(r, o[j], s[i], engulf)[1]
            g = (coef[i] * d_ij + coef[j] * d_ji) / r
            fx -= g * dx
            fy -= g * dy
            fz -= g * dz
        forces[i, 0] += fx
        forces[i, 1] += fy
        forces[i, 2] += fz


class GBTerm:
    """Generalized Born (HCT / OBC1 / OBC2) with optional ACE surface-area term.

    Args:
        charges: ``(n,)`` e.
        radii: ``(n,)`` intrinsic Born radii rho_i, nm.
        scales: ``(n,)`` screening factors S_i (scaled radius ``S_i (rho_i - 0.009)``).
        model: ``"HCT"``, ``"OBC1"`` or ``"OBC2"``.
        solute_dielectric, solvent_dielectric: dielectric constants.
        surface_area_energy: ACE gamma in kJ/mol/nm^2 (OpenMM's 2.25936), or 0 for none.
        probe_radius: solvent probe radius for ACE, nm.
        coulomb_constant: k in kJ nm/(mol e^2); OpenMM's native force uses 1/(4 pi eps0),
            its CustomGBForce expressions 138.935485.
        engulf_term: include the engulfing correction of OpenMM's native GBSAOBCForce.
        cutoff: nm, or None. With a cutoff, pairs beyond it are ignored in the Born
            radii and the energy, and pair energies are shifted by ``-k tau q q / r_c``.
        periodic: minimum image in the box passed at evaluation (needs a cutoff).

    Example:
        >>> term = GBTerm([0.5, -0.5], [0.15, 0.17], [0.8, 0.85], model="OBC2")
        >>> e, f = term.energy_forces(np.array([[0.0, 0, 0], [0.3, 0, 0]]))
    """

    name = "gb"

    def __init__(
        self,
        charges: np.ndarray,
        radii: np.ndarray,
        scales: np.ndarray,
        model: str = "OBC2",
        solute_dielectric: float = 1.0,
        solvent_dielectric: float = 78.5,
        surface_area_energy: float = 2.25936,
        probe_radius: float = 0.14,
        coulomb_constant: float = ONE_4PI_EPS0,
        engulf_term: bool = True,
        cutoff: float | None = None,
        periodic: bool = False,
    ) -> None:
        if model not in _MODELS:
            raise ValueError(f"unknown GB model {model!r}; expected one of {list(_MODELS)}")
        self.charges = np.ascontiguousarray(charges, dtype=np.float64)
        n = len(self.charges)
        self.radii = np.ascontiguousarray(radii, dtype=np.float64)
        self.scales = np.ascontiguousarray(scales, dtype=np.float64)
        for label, arr in (("radii", self.radii), ("scales", self.scales)):
            if arr.shape != (n,):
                raise ValueError(f"{label} must have shape ({n},) like charges, got {arr.shape}")
        bad = np.nonzero(self.radii <= OFFSET)[0]
        if len(bad):
            raise ValueError(
                f"atom {bad[0]}: GB radius {self.radii[bad[0]]} nm must exceed the 0.009 nm offset"
            )
        self.model = model
        self.n_atoms = n
        self._o = self.radii - OFFSET
        self._s = self.scales * self._o
        self._model = np.array(_MODELS[model])
        self.solute_dielectric = float(solute_dielectric)
        self.solvent_dielectric = float(solvent_dielectric)
        self._pref = -coulomb_constant * (1.0 / solute_dielectric - 1.0 / solvent_dielectric)
        self._sa = 4.0 * math.pi * float(surface_area_energy)
        self.probe_radius = float(probe_radius)
        self.engulf_term = bool(engulf_term)
        if cutoff is not None and cutoff <= 0:
            raise ValueError(f"GB cutoff must be positive, got {cutoff} nm")
        if periodic and cutoff is None:
            raise ValueError("periodic GB needs a cutoff")
        self.cutoff = None if cutoff is None else float(cutoff)
        self.periodic = bool(periodic)

    @classmethod
    def from_openmm(cls, force, box_vectors: np.ndarray | None = None) -> GBTerm:
        """Translate ``openmm.GBSAOBCForce`` or an Amber-style ``openmm.CustomGBForce``.

        Raises:
            ValueError: for salt (kappa), GBn/GBn2 or any other custom GB form.
        """
        import openmm

        if isinstance(force, openmm.GBSAOBCForce):
            method = force.getNonbondedMethod()
            cutoff = None if method == force.NoCutoff else _num(force.getCutoffDistance())
            n = force.getNumParticles()
            p = np.array([[_num(v) for v in force.getParticleParameters(i)] for i in range(n)])
            p = p.reshape(n, 3)
            return cls(
                p[:, 0],
                p[:, 1],
                p[:, 2],
                model="OBC2",
                solute_dielectric=force.getSoluteDielectric(),
                solvent_dielectric=force.getSolventDielectric(),
                surface_area_energy=_num(force.getSurfaceAreaEnergy()),
                probe_radius=0.14,
                coulomb_constant=ONE_4PI_EPS0,
                engulf_term=True,
                cutoff=cutoff,
                periodic=method == force.CutoffPeriodic,
            )
        if isinstance(force, openmm.CustomGBForce):
            return cls._from_custom(force)
        raise ValueError(f"GBTerm cannot translate {type(force).__name__}")

    @classmethod
    def _from_custom(cls, force) -> GBTerm:
        import openmm
        from openmm.app.internal import customgbforces as cgb

        names = [
            force.getPerParticleParameterName(i) for i in range(force.getNumPerParticleParameters())
        ]
        values = [force.getComputedValueParameters(i) for i in range(force.getNumComputedValues())]
        born = [v[1] for v in values if v[0] == "B"]
        model = None
        for label, klass in (
            ("HCT", cgb.GBSAHCTForce),
            ("OBC1", cgb.GBSAOBC1Force),
            ("OBC2", cgb.GBSAOBC2Force),
        ):
            ref = klass()
            ref_born = [
                ref.getComputedValueParameters(i)[1]
                for i in range(ref.getNumComputedValues())
                if ref.getComputedValueParameters(i)[0] == "B"
            ]
            ref_i = ref.getComputedValueParameters(0)[1]
            if born == ref_born and values and values[0][1] == ref_i:
                model = label
                break
        if model is None or names != ["charge", "or", "sr"]:
            raise ValueError(
                "CustomGBForce is not one of the Amber HCT/OBC1/OBC2 forms sponge supports "
                f"(per-particle parameters {names}, computed values {[v[0] for v in values]})"
            )
        terms = [force.getEnergyTermParameters(i)[0] for i in range(force.getNumEnergyTerms())]
        text = ";".join(terms)

        def param(name: str) -> float:
            m = re.search(rf"\b{name}=([-+0-9.eE]+)", text)
            if m is None:
                raise ValueError(f"CustomGBForce: parameter {name} not found in its energy terms")
            return float(m.group(1))

        method = force.getNonbondedMethod()
        cutoff = None
        if method != openmm.CustomGBForce.NoCutoff:
            cutoff = _num(force.getCutoffDistance())
            if "cutoff=" not in text or abs(param("cutoff") - cutoff) > 1e-12:
                raise ValueError(
                    "CustomGBForce: its cutoff method and the cutoff in its energy terms disagree"
                )
        elif "cutoff=" in text:
            raise ValueError("CustomGBForce: energy terms carry a cutoff but the force has none")

        if param("kappa") != 0.0:
            raise ValueError("CustomGBForce with salt screening (kappa > 0) is not supported")
        sa = 28.3919551 / (4.0 * math.pi) if "28.3919551" in text else 0.0
        if len(terms) != (3 if sa else 2):
            raise ValueError(f"CustomGBForce has unexpected energy terms: {terms}")
        n = force.getNumParticles()
        p = np.array([force.getParticleParameters(i) for i in range(n)], dtype=np.float64)
        o, sr = p[:, 1], p[:, 2]
        scales = np.divide(sr, o, out=np.zeros_like(sr), where=o != 0)
        return cls(
            p[:, 0],
            o + OFFSET,
            scales,
            model=model,
            solute_dielectric=param("soluteDielectric"),
            solvent_dielectric=param("solventDielectric"),
            surface_area_energy=sa,
            probe_radius=0.14,
            coulomb_constant=_CUSTOM_K,
            engulf_term=False,
            cutoff=cutoff,
            periodic=method == openmm.CustomGBForce.CutoffPeriodic,
        )

    def _geometry(self, positions: np.ndarray, box: np.ndarray | None) -> tuple:
        x = np.ascontiguousarray(positions, dtype=np.float64)
        if x.shape != (self.n_atoms, 3):
            raise ValueError(f"positions must have shape ({self.n_atoms}, 3), got {x.shape}")
        if self.periodic:
            if box is None:
                raise ValueError("periodic GB (CutoffPeriodic) needs the box (3, 3) in nm")
            b = check_box(box, self.cutoff)
        else:
            b = np.eye(3)
        cut2 = 1e300 if self.cutoff is None else self.cutoff**2
        return x, b, cut2

    def born_radii(self, positions: np.ndarray, box: np.ndarray | None = None) -> np.ndarray:
        """Effective Born radii ``(n,)`` nm."""
        x, b, cut2 = self._geometry(positions, box)
        hct = self.model == "HCT"
        args = (self._model, hct, self.engulf_term, cut2, b, self.periodic)
        return _born_radii(x, self._o, self._s, *args)[0]

    def _evaluate(self, positions: np.ndarray, box: np.ndarray | None) -> tuple[dict, np.ndarray]:
        x, b, cut2 = self._geometry(positions, box)
        hct = self.model == "HCT"
        born, chain = _born_radii(
            x, self._o, self._s, self._model, hct, self.engulf_term, cut2, b, self.periodic
        )
        forces = np.empty_like(x)
        dedb = np.empty(self.n_atoms)
        inv_cut = 0.0 if self.cutoff is None else 1.0 / self.cutoff
        e_pol, e_sa = _gb_energy(
            x,
            self.charges,
            born,
            self._pref,
            self._sa,
            self.probe_radius,
            self._o,
            forces,
            dedb,
            cut2,
            inv_cut,
            b,
            self.periodic,
        )
        _chain_forces(
            x, self._o, self._s, dedb * chain, self.engulf_term, forces, cut2, b, self.periodic
        )
        comps = {"gb": float(e_pol)}
        if self._sa > 0:
            comps["gb_surface"] = float(e_sa)
        return comps, forces

    def energy_components(self, positions: np.ndarray, box: np.ndarray | None = None) -> dict:
        """``{"gb": polar energy, "gb_surface": ACE term (when on)}``, kJ/mol."""
        return self._evaluate(positions, box)[0]

    def energy(self, positions: np.ndarray, box: np.ndarray | None = None) -> float:
        """Total GB energy, kJ/mol (``box``, nm, used only with CutoffPeriodic)."""
        return float(sum(self._evaluate(positions, box)[0].values()))

    def energy_forces(
        self, positions: np.ndarray, box: np.ndarray | None = None
    ) -> tuple[float, np.ndarray]:
        """Energy (kJ/mol) and forces ``(n, 3)`` kJ/mol/nm."""
        comps, forces = self._evaluate(positions, box)
        return float(sum(comps.values())), forces


def _num(v) -> float:
    return float(v._value) if hasattr(v, "_value") else float(v)
