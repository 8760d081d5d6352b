"""Temperature ladders for integrated tempering (ITS / SITS).

A ladder is ``K`` increasing temperatures ``T_1 < ... < T_K`` (K) whose
Boltzmann factors are mixed into the effective potential. Spacings:

- ``"T"``: linear in temperature (SPONGE);
- ``"beta"``: linear in ``beta = 1/(k_B T)`` (the Amber SITS patch);
- ``"geometric"``: constant ratio ``T_{k+1}/T_k`` (MindSPONGE ``unlinear_temp``).

Example:
    >>> temperature_ladder(273.0, 650.0, 100, "T")[:2]
    array([273.        , 276.80808081])
"""

from __future__ import annotations

import numpy as np

SPACINGS = ("T", "beta", "geometric")


def temperature_ladder(t_low: float, t_high: float, n_temperatures: int,
                       spacing: str = "T") -> np.ndarray:
    """``(n_temperatures,)`` temperatures from ``t_low`` to ``t_high`` K, both included.

    Raises:
        ValueError: a non-positive or inverted range, fewer than 2 temperatures,
            or an unknown spacing.
    """
    t_low, t_high, k = float(t_low), float(t_high), int(n_temperatures)
    if not 0.0 < t_low < t_high:
        raise ValueError(f"SITS ladder: need 0 < t_low < t_high; got t_low={t_low} K, "
                         f"t_high={t_high} K")
    if k < 2:
        raise ValueError(f"SITS ladder: n_temperatures must be >= 2; got {n_temperatures}")
    if spacing == "T":
        return np.linspace(t_low, t_high, k)
    if spacing == "beta":
        return 1.0 / np.linspace(1.0 / t_low, 1.0 / t_high, k)
    if spacing == "geometric":
        return np.geomspace(t_low, t_high, k)
    raise ValueError(f"SITS ladder: spacing must be one of {SPACINGS}; got {spacing!r}")


def check_temperatures(temperatures, thermostat_temperature: float | None = None) -> np.ndarray:
    """Validate an explicit ladder: finite, positive, strictly increasing, ``T_1 < T_0 < T_K``."""
    t = np.asarray(temperatures, dtype=np.float64).reshape(-1)
    if t.size < 2 or not np.all(np.isfinite(t)) or np.any(t <= 0):
        raise ValueError(f"SITS: temperatures must be >= 2 positive finite values; got {t}")
    bad = np.flatnonzero(np.diff(t) <= 0)
    if bad.size:
        raise ValueError(f"SITS: temperatures must increase; T[{bad[0]}] = {t[bad[0]]} K >= "
                         f"T[{bad[0] + 1}] = {t[bad[0] + 1]} K")
    if thermostat_temperature is not None and not t[0] <= thermostat_temperature <= t[-1]:
        raise ValueError(f"SITS: the simulation temperature {thermostat_temperature} K must lie "
                         f"in the ladder [{t[0]}, {t[-1]}] K")
    return t
