"""core_autodiff: a reverse-mode autodiff tensor core on numpy (CPU) and cupy (GPU).

Define-by-run: every operation on Tensors that require grad is recorded as
it runs; ``grad``/``value_and_grad``/``vjp`` and ``Tensor.backward`` walk the
record backwards. Vjps are themselves recorded operations, so gradients can
be differentiated again (forces in a loss, Hessian-vector products).

    import core_autodiff as ad
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    y = (ad.sin(x) * x).sum(); y.backward(); x.grad
    ad.grad(lambda x: ad.grad(f)(x).sum())(x)      # second order, no flags

See ``core_autodiff/README.md`` for the design.
"""

import os as _os

# numba's OpenMP workers spin between parallel regions by default; on small shared
# machines that starves the other threads (measured 3-4x slower at 2 threads). Wait
# passively unless the user chose otherwise; must be set before numba starts threads.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


import sys as _sys  # noqa: E402

from . import ops as _ops_module  # noqa: E402
from .backend import get_array_module, to_device
from .engine import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .engine import grad as autograd
from .functional import grad, stop_gradient, value_and_grad, vjp
from .ops import *  # noqa: F403
from .ops import __all__ as _ops_all
from .primitive import Context, Primitive, primitive
from .tensor import Parameter, Tensor, tensor

# bind Tensor's operators (``tensor`` here is the factory, so reach the module by name)
_sys.modules[__name__ + ".tensor"]._ops = _ops_module

from . import nn, optim, testing  # noqa: E402

__all__ = [
    "Context", "Parameter", "Primitive", "Tensor", "autograd", "enable_grad", "get_array_module",
    "grad", "is_grad_enabled", "nn", "no_grad", "optim", "primitive", "set_grad_enabled",
    "stop_gradient", "tensor", "testing", "to_device", "value_and_grad", "vjp", *_ops_all,
]
__version__ = "0.1.0"
