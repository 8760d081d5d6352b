"""Analysis of biased and enhanced-sampling runs: canonical reweighting."""

from sponge.analysis.reweight import reweight

__all__ = ["reweight"]
