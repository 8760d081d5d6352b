"""ITS effective potential and the iterative determination of the weights n_k.

With ``beta_k = 1/(k_B T_k)`` for the ladder, ``beta_0`` the simulation
temperature and a shifted energy ``E' = E - s`` (``s`` any constant, kJ/mol),

    U_eff(E) = -(1/beta_0) ln sum_k n_k exp(-beta_k E') + s
    Delta V  = U_eff - E = -(1/beta_0) ln sum_k n_k exp(-(beta_k - beta_0) E')
    f_b      = dU_eff/dE = sum_k beta_k n_k e^{-beta_k E'} / (beta_0 sum_k n_k e^{-beta_k E'})

(Gao, J. Chem. Phys. 128, 064105 (2008)). Everything is kept in log space
(``log_nk``). The n_k are iterated towards ``n_k Z_k = const`` with Gao's
recursion and a running, population-weighted average (spec:
``shared/reference/md_anchors.md`` 2.4): each record adds the normalised
membership ``exp(g_k - logsumexp g)``, ``g_k = ln n_k - beta_k E'``, to ``P_k``;
every ``update_interval`` records, for each neighbouring pair,
``r_k = P_{k+1}/P_k``, ``w_k = (P_k P_{k+1})^{1/2}``,
``m_k <- m_k (W_k + w_k r_k)/(W_k + w_k)``, ``W_k <- W_k + w_k`` with
``m_k = n_k/n_{k+1}``; then ``ln n_1 = 0``, ``ln n_{k+1} = ln n_k - ln m_k``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

#: largest change of ln m_k accepted from one window (keeps the first windows,
#: where some P_k are ~0, from throwing n_k across hundreds of e-folds)
MAX_LOG_RATIO = 8.0


@njit(cache=True)
def its_bias(e_shifted: float, log_nk: np.ndarray, beta: np.ndarray,
             beta0: float) -> tuple:
    """``(Delta V, f_b)`` at the shifted energy ``E'`` (kJ/mol; f_b dimensionless)."""
    k = log_nk.shape[0]
    gmax = -np.inf
    hmax = -np.inf
    for i in range(k):
        g = log_nk[i] - beta[i] * e_shifted
        h = log_nk[i] - (beta[i] - beta0) * e_shifted
        gmax = max(gmax, g)
        hmax = max(hmax, h)
    s = 0.0
    sb = 0.0
    sh = 0.0
    for i in range(k):
        w = math.exp(log_nk[i] - beta[i] * e_shifted - gmax)
        s += w
        sb += beta[i] * w
        sh += math.exp(log_nk[i] - (beta[i] - beta0) * e_shifted - hmax)
    dv = -(hmax + math.log(sh)) / beta0
    return dv, sb / (s * beta0)


@njit(cache=True)
def its_record(e_shifted: float, log_nk: np.ndarray, beta: np.ndarray,
               log_p: np.ndarray) -> None:
    """Add one sample's normalised memberships to ``log_p`` (log of P_k, in place)."""
    k = log_nk.shape[0]
    gmax = -np.inf
    for i in range(k):
        gmax = max(gmax, log_nk[i] - beta[i] * e_shifted)
    s = 0.0
    for i in range(k):
        s += math.exp(log_nk[i] - beta[i] * e_shifted - gmax)
    lse = gmax + math.log(s)
    for i in range(k):
        a = log_p[i]
        b = log_nk[i] - beta[i] * e_shifted - lse
        if a == -np.inf:
            log_p[i] = b
        elif a > b:
            log_p[i] = a + math.log1p(math.exp(b - a))
        else:
            log_p[i] = b + math.log1p(math.exp(a - b))


def update_log_nk(log_nk: np.ndarray, log_p: np.ndarray, norm: np.ndarray,
                  ratio_exponent: float = 0.5,
                  memory: float | None = None,
                  log_target: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One Gao update from the window populations; returns ``(new log_nk, new norm)``.

    Args:
        log_nk: ``(K,)`` current ln n_k.
        log_p: ``(K,)`` ln P_k accumulated over the window.
        norm: ``(K-1,)`` running normalisers W_k (0 at the start).
        ratio_exponent: c_p in ``w_k = (P_k P_{k+1})^{c_p}``.
        memory: None keeps every window in the running average (Gao); a number
            of windows ``M`` discounts the old normalisers by ``exp(-1/M)``
            before each update, i.e. the step weight ``e^{c_t t}`` of the
            spec with ``c_t = 1/M``: windows recorded before the system had
            relaxed to the current n_k fade out instead of pinning the average.
        log_target: ``(K-1,)`` ln of the wanted ``P_{k+1}/P_k`` (None: 0, flat
            populations). The update uses ``r_k / target_k`` in place of
            ``r_k``, so its fixed point is ``P_{k+1}/P_k = target_k``.
    """
    log_nk = np.asarray(log_nk, dtype=np.float64)
    if memory is not None:
        if memory <= 0:
            raise ValueError(f"SITS: memory must be a positive number of windows; got {memory}")
        norm = np.asarray(norm, dtype=np.float64) * math.exp(-1.0 / memory)
    log_m = log_nk[:-1] - log_nk[1:]
    log_r = np.clip(log_p[1:] - log_p[:-1], -MAX_LOG_RATIO, MAX_LOG_RATIO)
    if log_target is not None:
        log_r = log_r - np.asarray(log_target, dtype=np.float64)
    # window weights relative to a per-window scale: P_k <= number of records
    log_w = ratio_exponent * (log_p[:-1] + log_p[1:])
    w = np.exp(log_w)
    w = np.where(np.isfinite(w), w, 0.0)
    new_norm = norm + w
    with np.errstate(invalid="ignore", divide="ignore"):
        num = norm + w * np.exp(log_r)
        den = norm + w
        step = np.where(den > 0, np.log(num) - np.log(den), 0.0)
    step = np.where(np.isfinite(step), step, 0.0)
    log_m = log_m + step
    out = np.empty_like(log_nk)
    out[0] = 0.0
    out[1:] = -np.cumsum(log_m)
    return out, new_norm


def log_nk_from_heat_capacity(beta: np.ndarray, beta0: float, mean_energy: float,
                               variance: float) -> np.ndarray:
    """ln n_k for ``n_k Z_k = const`` if ``<E>(T)`` is linear in T (a first guess).

    From observation at ``T_0``: ``<E'>`` and its variance give the heat
    capacity ``C = var beta_0^2 k_B`` (kJ/mol/K), and with
    ``<E'>(T) = <E'>_0 + C (T - T_0)``, ``d ln Z / d beta = -<E'>`` integrates to

        ln n_k - ln n_1 = (<E'>_0 - C T_0)(beta_k - beta_1) + (C / k_B) ln(beta_k / beta_1)

    Args:
        beta: ``(K,)`` ladder, mol/kJ. beta0: 1/(k_B T_0), mol/kJ.
        mean_energy: ``<E'>`` at T_0 (the shifted selected energy), kJ/mol.
        variance: its variance, (kJ/mol)^2.

    Returns:
        ``(K,)`` ln n_k with ln n_1 = 0.
    """
    beta = np.asarray(beta, dtype=np.float64)
    c_over_k = float(variance) * beta0 * beta0          # C / k_B, dimensionless
    e0_minus = float(mean_energy) - c_over_k / beta0    # <E'>_0 - C T_0, kJ/mol
    return e0_minus * (beta - beta[0]) + c_over_k * np.log(beta / beta[0])


def log_sum_exp(a: np.ndarray) -> float:
    """``ln sum exp(a)`` without overflow."""
    a = np.asarray(a, dtype=np.float64)
    m = float(np.max(a))
    return m + float(np.log(np.sum(np.exp(a - m))))
