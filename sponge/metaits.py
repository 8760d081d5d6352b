"""MetaITS: metadynamics on CVs together with integrated tempering on the energy.

Yang, Niu & Parrinello, J. Phys. Chem. Lett. 9, 6426 (2018). The dynamics at
``T_0`` follow

    U_MetaITS(x, t) = U_ITS(U(x)) + V(s(x), t),

where ``U_ITS`` is the ITS effective potential of the total potential energy
(:class:`sponge.SITS` with ``energy="total"``: a mixture of temperatures
``T_1 .. T_K`` that lowers every barrier, including those orthogonal to the
CVs) and ``V`` the well-tempered metadynamics bias on the CVs (which fills the
slow CV basins). The ITS part sees the physical energy only; the
metadynamics part is added on top, so the forces are
``f_b F - dV/ds ds/dx``.

Canonical weights at ``T_0``: ``w = exp(beta_0 (Delta V_ITS + V(s, t) - c(t)))``;
the ``rbias`` column of :meth:`MetaITS.report_columns` is that exponent
times ``k_B T_0`` (kJ/mol), ready for :func:`sponge.analysis.reweight`.
Reweight only data taken with fixed n_k (``its.mode = "production"``).

Example:
    >>> its = sponge.SITS(energy="total", t_low=280, t_high=600, n_temperatures=40)
    >>> metad = sponge.Metadynamics(phi, 300.0, height=1.0, sigma=0.3, bias_factor=6)
    >>> bias = sponge.MetaITS(metad, its)
    >>> sim = sponge.Simulation(system, integrator, state, bias=bias,  # doctest: +SKIP
    ...                         reporters=[sponge.CVReporter("cv.csv", 100)])
"""

from __future__ import annotations

from sponge.bias import CombinedBias
from sponge.metadynamics import Metadynamics


class MetaITS(CombinedBias):
    """ITS (on the total energy) followed by well-tempered metadynamics (on CVs).

    Args:
        metadynamics: the :class:`sponge.Metadynamics` bias.
        its: a :class:`sponge.SITS` with ``energy="total"``; None builds one
            from ``its_options`` (keyword arguments of ``sponge.SITS``).
        its_options: used when ``its`` is None.

    Raises:
        ValueError: ``its`` is a selective SITS (MetaITS tempers the total energy)
            or ``metadynamics`` is not a Metadynamics bias.
    """

    name = "metaits"

    def __init__(self, metadynamics: Metadynamics, its=None, **its_options) -> None:
        if not isinstance(metadynamics, Metadynamics):
            raise ValueError(f"MetaITS: metadynamics must be a sponge.Metadynamics; "
                             f"got {metadynamics!r}")
        if its is None:
            from sponge.sits import SITS

            its_options.setdefault("energy", "total")
            its = SITS(**its_options)
        if getattr(its, "energy", "total") != "total":
            raise ValueError(f"MetaITS: the ITS part must temper the total energy "
                             f"(SITS(energy='total')); got energy={its.energy!r}")
        self.its = its
        self.metadynamics = metadynamics
        self.cvs = metadynamics.cvs
        super().__init__([its, metadynamics])

    def report_columns(self, state=None) -> dict[str, float]:
        """CV values, ITS ``E_s``/``f_b``/``its_bias``, ``metad_bias``, ``ct``,
        ``bias`` (their sum) and ``rbias = bias - c(t)``, kJ/mol."""
        its = self.its.report_columns()
        md = self.metadynamics.report_columns(state)
        out = {k: v for k, v in md.items() if k not in ("bias", "rbias")}
        out["E_s"] = its.get("E_s", float("nan"))
        out["f_b"] = its.get("f_b", float("nan"))
        out["its_bias"] = its["bias"]
        out["metad_bias"] = md["bias"]
        out["bias"] = its["bias"] + md["bias"]
        out["rbias"] = out["bias"] - md["ct"]
        return out
