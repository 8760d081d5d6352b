"""The solute-weighted part of the nonbonded energy, for selective enhanced sampling.

Atoms are split into a selected set P (the solute) and the rest W. For SITS
(Yang & Gao, J. Chem. Phys. 131, 214109 (2009)) the enhanced energy is

    E_s = U_PP + lambda * U_PW

that is, every pair ``(i, j)`` of the direct-space nonbonded sum enters with the
weight ``1`` (both atoms in P), ``lambda`` (one atom in P) or ``0`` (both in W).
:class:`SelectedNonbonded` evaluates exactly that over the pairs that involve
at least one selected atom, with the same per-pair formulas as
:class:`sponge.nonbonded.NonbondedTerm` (see :mod:`sponge.nonbonded.direct`):
LJ with the optional switch, and plain, reaction-field or Ewald real-space
(``erfc``) Coulomb by method; excluded pairs are skipped and the exception
(scaled 1-4) pairs enter with their own parameters and the same weights.

With Ewald/PME the real-space ``erfc`` term holds only a small part of a
close pair's Coulomb energy (16 % at 0.3 nm, 2 % at 0.5 nm for alpha = 3.3/nm);
the rest sits in the reciprocal sum. By default (``complete_coulomb``) E_s
therefore adds that ``erf(alpha r)/r`` share back for the solute-solute pairs,
at any distance (minimum image), so that U_PP holds their plain Coulomb
energy; solute-solvent pairs keep the real-space part. SPONGE
keeps the real-space part only (``complete_coulomb=False``); on alanine
dipeptide in water that leaves most of the backbone's dipole-dipole energy
out of E_s, and heating E_s then barely lowers the phi barrier
(``docs/validation/ala2_sits.md``). The reciprocal sum itself, the exclusion
correction, the self energy and the dispersion correction are not part of E_s.

Cost: a Verlet list of the selected atoms' partners within ``cutoff + skin``
(built by a scan over ``n_selected * n_atoms`` pairs, rebuilt only when an atom
moved more than half the skin) keeps a step at ``n_selected * (partners within
reach)`` pair evaluations, plus ``n_selected^2 / 2`` for the solute-solute
``erf`` share; forces are ``-dE_s/dx``, ``(n_atoms, 3)`` kJ/mol/nm.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..neighbor_list import pair_delta
from .direct import add_pair_force
from .parameters import ONE_4PI_EPS0

MODE_PLAIN = 0
MODE_REACTION_FIELD = 1
MODE_EWALD = 2

_MODES = {"NoCutoff": MODE_PLAIN, "CutoffNonPeriodic": MODE_REACTION_FIELD,
          "CutoffPeriodic": MODE_REACTION_FIELD, "Ewald": MODE_EWALD, "PME": MODE_EWALD}
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


@njit(cache=True)
def selected_pair_list(x, selected, is_sel, ex_off, ex_idx, box, periodic, reach, lam, mark):
    """Candidate pairs within ``reach`` nm of each selected atom (a Verlet list with skin).

    Every non-excluded pair with at least one selected atom appears once (a pair of
    two selected atoms under its lower index). Returns ``(offsets, partners, weights)``:
    CSR over ``selected`` (weights 1 or ``lam``).
    """
    n = x.shape[0]
    m = selected.shape[0]
    reach2 = reach * reach
    counts = np.zeros(m + 1, dtype=np.int64)
    cap = 64 * m + 16
    partners = np.empty(cap, dtype=np.int64)
    weights = np.empty(cap, dtype=np.float64)
    used = 0
    for a in range(m):
        i = selected[a]
        for k in range(ex_off[i], ex_off[i + 1]):
            mark[ex_idx[k]] = True
        for j in range(n):
            if j == i or mark[j] or (is_sel[j] and j < i):
                continue
            r2 = pair_delta(x, i, j, box, periodic)[3]
            if r2 >= reach2:
                continue
            if used == cap:
                cap *= 2
                p2 = np.empty(cap, dtype=np.int64)
                w2 = np.empty(cap, dtype=np.float64)
                p2[:used] = partners[:used]
                w2[:used] = weights[:used]
                partners = p2
                weights = w2
            partners[used] = j
            weights[used] = 1.0 if is_sel[j] else lam
            used += 1
        counts[a + 1] = used
        for k in range(ex_off[i], ex_off[i + 1]):
            mark[ex_idx[k]] = False
    return counts, partners[:used].copy(), weights[:used].copy()


@njit(cache=True)
def max_displacement2(x, x_ref):
    """Largest squared displacement of any atom since ``x_ref``, nm^2."""
    best = 0.0
    for i in range(x.shape[0]):
        dx = x[i, 0] - x_ref[i, 0]
        dy = x[i, 1] - x_ref[i, 1]
        dz = x[i, 2] - x_ref[i, 2]
        best = max(best, dx * dx + dy * dy + dz * dz)
    return best


@njit(cache=True, fastmath=True)
def selected_pair_kernel(x, selected, offsets, partners, weights, q, sig, eps, box, periodic,
                         mode, cutoff, alpha, krf, crf, rsw, table, inv_h, forces):
    """Weighted LJ + Coulomb over the listed pairs of the selected atoms.

    Args:
        x: ``(n, 3)`` positions, nm. selected: ``(m,)`` selected atom indices.
        offsets, partners, weights: from :func:`selected_pair_list`.
        q: ``(n,)`` charges times ``sqrt(k_e)``. sig: ``(n,)`` nm. eps: ``(n,)`` kJ/mol.
        mode: 0 plain, 1 reaction field, 2 Ewald real space. cutoff: nm (huge: none).
        rsw: switch start, nm, or < 0.
        table, inv_h: the term's tabulated ``erfc`` (mode 2), from ``direct.erfc_table``.
        forces: ``(n, 3)`` accumulated into.

    Returns:
        the weighted energy, kJ/mol.
    """
    cut2 = cutoff * cutoff
    use_sw = rsw >= 0.0
    a_h = alpha * inv_h
    n_tab = table.shape[0] - 1
    # minimum image with multiplications (reduced triclinic box, as minimum_image_pair)
    ia = 1.0 / box[0, 0] if periodic else 0.0
    ib = 1.0 / box[1, 1] if periodic else 0.0
    ic = 1.0 / box[2, 2] if periodic else 0.0
    inv_width = 1.0 / (cutoff - rsw) if use_sw else 0.0
    e_tot = 0.0
    for a in range(selected.shape[0]):
        i = selected[a]
        xi = x[i, 0]
        yi = x[i, 1]
        zi = x[i, 2]
        fxi = 0.0
        fyi = 0.0
        fzi = 0.0
        for k in range(offsets[a], offsets[a + 1]):
            j = partners[k]
            w = weights[k]
            dx = x[j, 0] - xi
            dy = x[j, 1] - yi
            dz = x[j, 2] - zi
            sh = np.rint(dz * ic)
            dx -= sh * box[2, 0]
            dy -= sh * box[2, 1]
            dz -= sh * box[2, 2]
            sh = np.rint(dy * ib)
            dx -= sh * box[1, 0]
            dy -= sh * box[1, 1]
            dx -= np.rint(dx * ia) * box[0, 0]
            r2 = dx * dx + dy * dy + dz * dz
            if r2 >= cut2:
                continue
            inv_r2 = 1.0 / r2
            r = math.sqrt(r2)
            inv_r = 1.0 / r
            s = 0.5 * (sig[i] + sig[j])
            e_ij = math.sqrt(eps[i] * eps[j])
            sr2 = s * s * inv_r2
            sr6 = sr2 * sr2 * sr2
            vlj = 4.0 * e_ij * (sr6 - 1.0) * sr6
            flj = 4.0 * e_ij * (12.0 * sr6 - 6.0) * sr6 * inv_r2
            if use_sw and r > rsw:
                t = (r - rsw) * inv_width
                sw = 1.0 + t * t * t * (-10.0 + t * (15.0 - t * 6.0))
                dsw = t * t * (-30.0 + t * (60.0 - t * 30.0)) * inv_width
                flj = flj * sw - vlj * dsw * inv_r
                vlj = vlj * sw
            qq = q[i] * q[j]
            if mode == 0:
                vc = qq * inv_r
                fc = vc * inv_r2
            elif mode == 1:
                vc = qq * (inv_r + krf * r2 - crf)
                fc = qq * (inv_r * inv_r2 - 2.0 * krf)
            else:
                # the nonbonded term's tabulated erfc (see direct.erfc_table)
                u = a_h * r
                mm = min(int(u), n_tab - 1)
                t = u - mm
                erfc_ar = table[mm, 0] + t * (table[mm, 1] + t * (table[mm, 2] + t * table[mm, 3]))
                g = table[mm, 4] + t * (table[mm, 5] + t * (table[mm, 6] + t * table[mm, 7]))
                vc = qq * erfc_ar * inv_r
                fc = qq * g * inv_r * inv_r2
            e_tot += w * (vlj + vc)
            fs = w * (flj + fc)
            fxi -= fs * dx
            fyi -= fs * dy
            fzi -= fs * dz
            forces[j, 0] += fs * dx
            forces[j, 1] += fs * dy
            forces[j, 2] += fs * dz
        forces[i, 0] += fxi
        forces[i, 1] += fyi
        forces[i, 2] += fzi
    return e_tot


@njit(cache=True)
def weighted_exception_kernel(x, pairs, weight, chargeprod, sigma, epsilon, box, periodic,
                              coulomb_k, forces):
    """Exception pairs (plain LJ + Coulomb, own parameters) times ``weight``; energy kJ/mol."""
    e_tot = 0.0
    for k in range(pairs.shape[0]):
        i = pairs[k, 0]
        j = pairs[k, 1]
        dx, dy, dz, r2 = pair_delta(x, i, j, box, periodic)
        inv_r2 = 1.0 / r2
        inv_r = math.sqrt(inv_r2)
        sr2 = sigma[k] * sigma[k] * inv_r2
        sr6 = sr2 * sr2 * sr2
        w = weight[k]
        e_tot += w * (4.0 * epsilon[k] * (sr6 - 1.0) * sr6 + coulomb_k * chargeprod[k] * inv_r)
        fs = w * (4.0 * epsilon[k] * (12.0 * sr6 - 6.0) * sr6 * inv_r2
                  + coulomb_k * chargeprod[k] * inv_r * inv_r2)
        add_pair_force(forces, i, j, fs, dx, dy, dz)
    return e_tot


@njit(cache=True)
def ewald_complement_kernel(x, selected, q, ex_off, ex_idx, mark, alpha, box, periodic, forces):
    """``sum q_i q_j erf(alpha r) / r`` over the non-excluded pairs of selected atoms.

    This is the share of those pairs' Coulomb energy that Ewald/PME puts in
    reciprocal space. Added to their real-space ``erfc`` term it completes the
    plain Coulomb ``q_i q_j / r`` (minimum image, no cutoff) of every solute
    pair. ``q`` are charges times ``sqrt(k_e)``; excluded and exception pairs
    (CSR ``ex_off``/``ex_idx``) are skipped; ``mark`` is an all-False scratch
    ``(n,)`` bool array. Cost O(n_selected^2). Returns kJ/mol; forces accumulated.
    """
    e_tot = 0.0
    c = _TWO_OVER_SQRT_PI * alpha
    m = selected.shape[0]
    for a in range(m):
        i = selected[a]
        if q[i] == 0.0:
            continue
        for k in range(ex_off[i], ex_off[i + 1]):
            mark[ex_idx[k]] = True
        for b in range(a + 1, m):
            j = selected[b]
            if mark[j] or q[j] == 0.0:
                continue
            qq = q[i] * q[j]
            dx, dy, dz, r2 = pair_delta(x, i, j, box, periodic)
            r = math.sqrt(r2)
            ar = alpha * r
            if ar < 1e-6:
                # erf(ar) / r -> 2 alpha / sqrt(pi); the force vanishes
                e_tot += qq * c
                continue
            erf_ar = math.erf(ar)
            e_tot += qq * erf_ar / r
            fs = qq * (erf_ar / r - c * math.exp(-ar * ar)) / r2
            add_pair_force(forces, i, j, fs, dx, dy, dz)
        for k in range(ex_off[i], ex_off[i + 1]):
            mark[ex_idx[k]] = False
    return e_tot

class SelectedNonbonded:
    """``E_s`` of one :class:`~sponge.nonbonded.NonbondedTerm` for a selected atom set.

    Args:
        term: the system's nonbonded term (its parameters, method and cutoff are used).
        selected: ``(n_atoms,)`` bool mask of the selected (solute) atoms.
        cross_factor: lambda, the weight of selected-unselected pairs.
        complete_coulomb: with Ewald/PME, count the solute-solute pairs' full
            Coulomb ``q_i q_j / r`` (minimum image) in ``E_s``: their real-space
            ``erfc`` part plus the ``erf`` part that the reciprocal sum holds.
            False keeps only the real-space part (SPONGE's choice), which at
            ordinary ``alpha`` (about 3.3/nm for a 0.8 nm cutoff) leaves out
            84-98 % of the Coulomb energy of pairs 0.3-0.5 nm apart.
            Solute-solvent pairs keep the real-space part only: their ``erf``
            share is long-ranged and cannot be cut off smoothly.
        skin: nm added to the cutoff for the pair list, rebuilt when an atom has
            moved more than ``skin / 2`` or the box changed.

    Example:
        >>> sel = SelectedNonbonded(system.term("nonbonded"), mask, 0.5)  # doctest: +SKIP
        >>> e_s, f_s = sel.energy_forces(positions, box)
    """

    name = "nonbonded_selected"

    def __init__(self, term, selected: np.ndarray, cross_factor: float = 0.5,
                 skin: float = 0.2, complete_coulomb: bool = True) -> None:
        mask = np.asarray(selected, dtype=bool).reshape(-1)
        if mask.shape != (term.n_atoms,):
            raise ValueError(f"SelectedNonbonded: mask has {mask.shape[0]} entries; the "
                             f"nonbonded term has {term.n_atoms} atoms")
        self.term = term
        self.n_atoms = int(term.n_atoms)
        self.mask = mask
        self.selected = np.flatnonzero(mask).astype(np.int64)
        self.cross_factor = float(cross_factor)
        self.mode = _MODES[term.method]
        self.complete_coulomb = bool(complete_coulomb) and self.mode == MODE_EWALD
        self.periodic = bool(term.periodic)
        self._q = term.charges * math.sqrt(ONE_4PI_EPS0)
        pairs = np.asarray(term.exception_pairs, dtype=np.int64).reshape(-1, 2)
        # CSR of excluded partners, both directions
        a = np.concatenate([pairs[:, 0], pairs[:, 1]])
        b = np.concatenate([pairs[:, 1], pairs[:, 0]])
        order = np.argsort(a, kind="stable")
        self._ex_idx = np.ascontiguousarray(b[order])
        self._ex_off = np.zeros(self.n_atoms + 1, dtype=np.int64)
        np.add.at(self._ex_off, a + 1, 1)
        self._ex_off = np.cumsum(self._ex_off)
        w = mask[pairs[:, 0]].astype(np.float64) + mask[pairs[:, 1]].astype(np.float64)
        weight = np.where(w == 2.0, 1.0, np.where(w == 1.0, self.cross_factor, 0.0))
        active = (weight != 0.0) & ((term.exception_chargeprods != 0.0)
                                    | (term.exception_epsilons != 0.0))
        self._exc_pairs = np.ascontiguousarray(pairs[active])
        self._exc_weight = np.ascontiguousarray(weight[active])
        self._exc_cp = np.ascontiguousarray(term.exception_chargeprods[active])
        self._exc_sig = np.ascontiguousarray(term.exception_sigmas[active])
        self._exc_eps = np.ascontiguousarray(term.exception_epsilons[active])
        self._mark = np.zeros(self.n_atoms, dtype=np.bool_)
        self.skin = float(skin)
        self._x_ref: np.ndarray | None = None
        self._box_ref: np.ndarray | None = None
        self.n_builds = 0

    def _ensure_list(self, x: np.ndarray, box: np.ndarray, cutoff: float) -> None:
        """(Re)build the pair list when an atom moved more than skin/2 or the box changed."""
        if self._x_ref is not None and np.array_equal(box, self._box_ref) and (
                self.term.method == "NoCutoff"
                or max_displacement2(x, self._x_ref) < (0.5 * self.skin) ** 2):
            return
        reach = cutoff + self.skin if self.term.method != "NoCutoff" else 1.0e30
        self._offsets, self._partners, self._weights = selected_pair_list(
            x, self.selected, self.mask, self._ex_off, self._ex_idx, box, self.periodic, reach,
            self.cross_factor, self._mark)
        self._x_ref = x.copy()
        self._box_ref = box.copy()
        self.n_builds += 1

    def energy_forces(self, positions: np.ndarray,
                      box: np.ndarray | None = None) -> tuple[float, np.ndarray]:
        """``(E_s, F_s)``: kJ/mol and ``(n_atoms, 3)`` kJ/mol/nm."""
        t = self.term
        x = np.ascontiguousarray(positions, dtype=np.float64)
        forces = np.zeros((self.n_atoms, 3))
        if self.periodic:
            if box is None:
                raise ValueError("SelectedNonbonded: periodic nonbonded method without a box")
            b = np.ascontiguousarray(box, dtype=np.float64).reshape(3, 3)
        else:
            b = np.zeros((3, 3))
        cutoff = t.cutoff if t.method != "NoCutoff" else 1.0e30
        if self.mode == MODE_EWALD and t.alpha == 0.0:
            t._setup_reciprocal(b)
        rsw = -1.0 if t.switch_distance is None else float(t.switch_distance)
        self._ensure_list(x, b, cutoff)
        e = selected_pair_kernel(x, self.selected, self._offsets, self._partners, self._weights,
                                 self._q, t.sigmas, t.epsilons, b, self.periodic, self.mode,
                                 cutoff, float(t.alpha), float(t.krf), float(t.crf), rsw,
                                 t._table, float(t._inv_h), forces)
        if len(self._exc_pairs):
            e += weighted_exception_kernel(x, self._exc_pairs, self._exc_weight, self._exc_cp,
                                           self._exc_sig, self._exc_eps, b,
                                           bool(t.exceptions_use_pbc), ONE_4PI_EPS0, forces)
        if self.complete_coulomb:
            e += ewald_complement_kernel(x, self.selected, self._q, self._ex_off, self._ex_idx,
                                         self._mark, float(t.alpha), b, self.periodic, forces)
        return float(e), forces

    def energy(self, positions: np.ndarray, box: np.ndarray | None = None) -> float:
        """``E_s``, kJ/mol."""
        return self.energy_forces(positions, box)[0]
