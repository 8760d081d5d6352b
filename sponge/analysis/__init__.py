"""Analysis of biased and enhanced-sampling runs.

Public names: :func:`reweight` (canonical weights from SITS or metadynamics
biases), :func:`pmf_1d`, :func:`pmf_2d` (free-energy surfaces with
block-averaging error bars, periodic axes, kJ/mol, kcal/mol or kBT),
:class:`PMF` and :func:`plot_pmf` (PNG with matplotlib).
"""

from sponge.analysis.pmf import PMF, plot_pmf, pmf_1d, pmf_2d
from sponge.analysis.reweight import reweight

__all__ = ["PMF", "plot_pmf", "pmf_1d", "pmf_2d", "reweight"]
