"""Compute kernels of the quantum simulator.

* :mod:`.cpu_gates`: numba gate kernels (dense 1/2/k qubits, diagonal, X-swap, phased
  permutation; controls by mask), serial and parallel variants.
* :mod:`.cpu_expect`: Pauli sums (apply, expectation) and gradient inner products.
* :mod:`.cpu_adjoint`: fused reverse-sweep steps of the adjoint gradient.
* :mod:`.cpu_block`, :mod:`.cpu_block_adjoint`: cache-blocked runs of ops (forward and
  reverse sweep).
* :mod:`.cpu_soa`, :mod:`.cpu_soa_adjoint`: the same for runs of uncontrolled one-qubit
  gates and controlled X, in split real/imaginary buffers (SIMD).
* :mod:`.cpu_program`: a whole encoded program (forward, or adjoint value and gradient)
  in one call, for small states where Python dispatch dominates.
* :mod:`.cuda_gates`: numba.cuda twins of the gate and expectation kernels (imported
  lazily by the GPU backend; run under the CUDA simulator in tests).
"""
