"""core_autodiff package."""
