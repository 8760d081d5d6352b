"""Circuit input/output: OpenQASM 2.0."""

from .qasm import OpenQASM, from_qasm, to_qasm

__all__ = ["OpenQASM", "from_qasm", "to_qasm"]
