"""OpenQASM 2.0 export and import.

Export (:meth:`OpenQASM.to_string`) writes ``include "qelib1.inc"`` gates where
an exact qelib1 equivalent exists (x, cx, ccx, h, s, sdg, rx, crz, u3, cu3,
u1/cu1 for PhaseShift, rxx, rzz, swap, cswap, ...). Gates outside qelib1
(ISWAP, Ryy, Rxy, Rxz, Ryz, FSim, Givens, SWAPalpha, GlobalPhase) are written
with a ``gate`` definition in the header, exact up to a global phase, so any
OpenQASM 2 reader understands the file; this module maps those names back to
the native gates on import. A parameterized circuit is written with its
parameter names inside the angle expressions (``rx(2*a + 0.5) q[0];``), an
extension of OpenQASM 2 that :meth:`OpenQASM.from_string` reads back; pass
``pr`` to write numbers instead.

Import (:meth:`OpenQASM.from_string`) reads qelib1 gates (u1 u2 u3 u p U id x
y z h s sdg t tdg sx sxdg rx ry rz cx CX cy cz ch ccx c3x c4x swap cswap crx
cry crz cu1 cp cu3 csx rxx rzz), user ``gate`` definitions (expanded),
several ``qreg`` (concatenated in order), register broadcasting, ``measure``
(key ``"{creg}{index}"``, or ``"{creg}"`` for a one-bit register; export
writes one such register per key when the keys are valid names, so keys
survive a round trip) and ``barrier``. Errors name the line.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable
from typing import Any

from .. import gates as G
from ..circuit import Circuit
from ..parameterresolver import ParameterResolver

__all__ = ["OpenQASM", "to_qasm", "from_qasm"]

_HEADER = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'

# gate definitions written into the header when used (exact up to global phase)
_DEFS = {
    "ryy": "gate ryy(theta) a,b { rx(pi/2) a; rx(pi/2) b; cx a,b; rz(theta) b; cx a,b; "
    "rx(-pi/2) a; rx(-pi/2) b; }",
    "rxy": "gate rxy(theta) a,b { h a; rx(pi/2) b; cx a,b; rz(theta) b; cx a,b; h a; "
    "rx(-pi/2) b; }",
    "rxz": "gate rxz(theta) a,b { h a; cx a,b; rz(theta) b; cx a,b; h a; }",
    "ryz": "gate ryz(theta) a,b { rx(pi/2) a; cx a,b; rz(theta) b; cx a,b; rx(-pi/2) a; }",
    "iswap": "gate iswap a,b { s a; s b; h a; cx a,b; cx b,a; h b; }",
    "iswapdg": "gate iswapdg a,b { iswap a,b; z a; z b; }",
    "fsim": "gate fsim(theta,phi) a,b { rxx(theta) a,b; ryy(theta) a,b; cu1(-phi) a,b; }",
    "givens": "gate givens(theta) a,b { rxy(theta) a,b; rxy(-theta) b,a; }",
    "swapalpha": "gate swapalpha(alpha) a,b { rxx(pi*alpha/2) a,b; ryy(pi*alpha/2) a,b; "
    "rzz(pi*alpha/2) a,b; }",
    "gphase": "gate gphase(theta) a { U(0,0,0) a; }",
}
_DEF_DEPS = {"fsim": ["ryy"], "givens": ["rxy"], "swapalpha": ["ryy"], "iswapdg": ["iswap"]}


# --------------------------------------------------------------------- export
def _num(x: float, precision: int) -> str:
    if isinstance(x, complex):
        if abs(x.imag) > 1e-14:
            raise ValueError(f"OpenQASM angles must be real, got {x}")
        x = x.real
    return f"{x:.{precision}g}"


def _angle(pr: ParameterResolver, values: Any, precision: int) -> str:
    if values is not None and not pr.is_const():
        return _num(pr.combination(values), precision)
    if pr.is_const():
        return _num(pr.const, precision)
    parts = []
    for name, coeff in pr.items():
        c = _num(coeff, precision)
        parts.append(name if c == "1" else f"-{name}" if c == "-1" else f"{c}*{name}")
    if pr.const != 0:
        parts.append(_num(pr.const, precision))
    return " + ".join(parts).replace("+ -", "- ")


# (gate class, number of controls) -> qasm name; controls come first in qasm args
_FIXED_NAMES: dict[tuple[str, bool, int], str] = {
    ("I", False, 0): "id", ("X", False, 0): "x", ("X", False, 1): "cx",
    ("X", False, 2): "ccx", ("X", False, 3): "c3x", ("X", False, 4): "c4x",
    ("Y", False, 0): "y", ("Y", False, 1): "cy", ("Z", False, 0): "z", ("Z", False, 1): "cz",
    ("H", False, 0): "h", ("H", False, 1): "ch", ("S", False, 0): "s", ("S", True, 0): "sdg",
    ("T", False, 0): "t", ("T", True, 0): "tdg", ("SX", False, 0): "sx",
    ("SX", True, 0): "sxdg", ("SX", False, 1): "csx", ("SWAP", False, 0): "swap",
    ("SWAP", False, 1): "cswap", ("ISWAP", False, 0): "iswap", ("ISWAP", True, 0): "iswapdg",
}
_CTRL_PHASE = {("S", False): "pi/2", ("S", True): "-pi/2", ("T", False): "pi/4",
               ("T", True): "-pi/4"}
_PARAM_NAMES: dict[tuple[str, int], str] = {
    ("RX", 0): "rx", ("RX", 1): "crx", ("RY", 0): "ry", ("RY", 1): "cry", ("RZ", 0): "rz",
    ("RZ", 1): "crz", ("PhaseShift", 0): "u1", ("PhaseShift", 1): "cu1", ("U3", 0): "u3",
    ("U3", 1): "cu3", ("Rxx", 0): "rxx", ("Rzz", 0): "rzz", ("Ryy", 0): "ryy",
    ("Rxy", 0): "rxy", ("Rxz", 0): "rxz", ("Ryz", 0): "ryz", ("FSim", 0): "fsim",
    ("Givens", 0): "givens", ("SWAPalpha", 0): "swapalpha", ("GlobalPhase", 0): "gphase",
}
_FIXED_BASE = {
    G.IGate: "I", G.XGate: "X", G.YGate: "Y", G.ZGate: "Z", G.HGate: "H", G.SGate: "S",
    G.TGate: "T", G.SXGate: "SX", G.SWAPGate: "SWAP", G.ISWAPGate: "ISWAP",
}


def _base_of(gate: Any) -> str | None:
    for cls in type(gate).__mro__:
        if cls in _FIXED_BASE:
            return _FIXED_BASE[cls]
    return None


def _gate_line(gate: Any, values: Any, precision: int, used: set[str]) -> str:
    qs = ",".join(f"q[{q}]" for q in gate.ctrl_qubits + gate.obj_qubits)
    n_ctrl = len(gate.ctrl_qubits)
    if isinstance(gate, G.FixedGate) and type(gate) in G.__dict__.values():
        base = _base_of(gate)
        dag = bool(getattr(gate, "dagger", False))
        name = _FIXED_NAMES.get((base, dag, n_ctrl)) if base else None
        if name is not None:
            if name in _DEFS:
                used.add(name)
            return f"{name} {qs};"
        if n_ctrl == 1 and (base, dag) in _CTRL_PHASE:
            return f"cu1({_CTRL_PHASE[(base, dag)]}) {qs};"
    elif isinstance(gate, G.ParameterGate) and type(gate) in G.__dict__.values():
        cls_name = type(gate).__name__
        if cls_name == "GlobalPhase" and n_ctrl == 1:
            neg = _angle(-gate.params[0], values, precision)
            return f"u1({neg}) q[{gate.ctrl_qubits[0]}];"
        name = _PARAM_NAMES.get((cls_name, n_ctrl))
        if name is not None:
            if name in _DEFS:
                used.add(name)
            args = ", ".join(_angle(p, values, precision) for p in gate.params)
            return f"{name}({args}) {qs};"
    raise ValueError(
        f"Gate {gate} with {n_ctrl} control(s) has no OpenQASM 2.0 (qelib1) equivalent"
    )


# --------------------------------------------------------------------- import
_FUNCS: dict[str, Callable[[float], float]] = {
    "sin": math.sin, "cos": math.cos, "tan": math.tan, "exp": math.exp, "ln": math.log,
    "sqrt": math.sqrt, "asin": math.asin, "acos": math.acos, "atan": math.atan,
}


def _eval_expr(text: str, env: dict[str, Any], line: int) -> Any:
    """Evaluate an angle expression; unknown names become parameters."""
    try:
        tree = ast.parse(text.replace("^", "**"), mode="eval")
    except SyntaxError:
        raise ValueError(f"OpenQASM line {line}: cannot parse expression {text!r}") from None

    def ev(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return float(node.value)
        if isinstance(node, ast.Name):
            if node.id == "pi":
                return math.pi
            if node.id in env:
                return env[node.id]
            return ParameterResolver(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            v = ev(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.BinOp):
            a, b = ev(node.left), ev(node.right)
            ops = {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b,
                   ast.Div: lambda: a / b}
            if type(node.op) in ops:
                return ops[type(node.op)]()
            if isinstance(node.op, ast.Pow):
                if isinstance(a, ParameterResolver) or isinstance(b, ParameterResolver):
                    raise ValueError(f"OpenQASM line {line}: power of a parameter in {text!r}")
                return a**b
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            fn = _FUNCS.get(node.func.id)
            if fn is not None and len(node.args) == 1:
                v = ev(node.args[0])
                if isinstance(v, ParameterResolver):
                    if not v.is_const():
                        raise ValueError(
                            f"OpenQASM line {line}: {node.func.id}() of a parameter in {text!r}"
                        )
                    v = v.const
                return fn(v)
        raise ValueError(f"OpenQASM line {line}: unsupported expression {text!r}")

    try:
        return ev(tree)
    except TypeError as err:
        raise ValueError(f"OpenQASM line {line}: {err} in {text!r}") from None


def _u2(phi: Any, lam: Any) -> Any:
    return G.U3(math.pi / 2, phi, lam)


# name -> (gate factory taking angles, number of angles, number of controls)
_NATIVE: dict[str, tuple[Callable[..., Any], int, int]] = {
    "id": (lambda: G.I, 0, 0), "x": (lambda: G.X, 0, 0), "y": (lambda: G.Y, 0, 0),
    "z": (lambda: G.Z, 0, 0), "h": (lambda: G.H, 0, 0), "s": (lambda: G.S, 0, 0),
    "sdg": (lambda: G.Sdag, 0, 0), "t": (lambda: G.T, 0, 0), "tdg": (lambda: G.Tdag, 0, 0),
    "sx": (lambda: G.SX, 0, 0), "sxdg": (lambda: G.SXdag, 0, 0),
    "u1": (G.PhaseShift, 1, 0), "p": (G.PhaseShift, 1, 0), "u2": (_u2, 2, 0),
    "u3": (G.U3, 3, 0), "u": (G.U3, 3, 0), "U": (G.U3, 3, 0),
    "rx": (G.RX, 1, 0), "ry": (G.RY, 1, 0), "rz": (G.RZ, 1, 0),
    "cx": (lambda: G.X, 0, 1), "CX": (lambda: G.X, 0, 1), "cy": (lambda: G.Y, 0, 1),
    "cz": (lambda: G.Z, 0, 1), "ch": (lambda: G.H, 0, 1), "ccx": (lambda: G.X, 0, 2),
    "c3x": (lambda: G.X, 0, 3), "c4x": (lambda: G.X, 0, 4), "csx": (lambda: G.SX, 0, 1),
    "swap": (lambda: G.SWAP, 0, 0), "cswap": (lambda: G.SWAP, 0, 1),
    "crx": (G.RX, 1, 1), "cry": (G.RY, 1, 1), "crz": (G.RZ, 1, 1),
    "cu1": (G.PhaseShift, 1, 1), "cp": (G.PhaseShift, 1, 1), "cu3": (G.U3, 3, 1),
    "rxx": (G.Rxx, 1, 0), "rzz": (G.Rzz, 1, 0), "ryy": (G.Ryy, 1, 0),
    "rxy": (G.Rxy, 1, 0), "rxz": (G.Rxz, 1, 0), "ryz": (G.Ryz, 1, 0),
    "iswap": (lambda: G.ISWAP, 0, 0), "iswapdg": (lambda: G.ISWAPdag, 0, 0),
    "fsim": (G.FSim, 2, 0), "givens": (G.Givens, 1, 0), "swapalpha": (G.SWAPalpha, 1, 0),
    "gphase": (G.GlobalPhase, 1, 0),
}

_RESERVED = {"q", "measure", "barrier", "gate", "qreg", "creg", "include", "reset", "if",
             "opaque", "pi", "sin", "cos", "tan", "exp", "ln", "sqrt"}
_CALL = re.compile(r"^([A-Za-z_][\w]*)\s*(?:\((.*)\))?\s+(.+)$", re.S)
_ARG = re.compile(r"^([A-Za-z_][\w]*)\s*(?:\[\s*(\d+)\s*\])?$")
_GATE_DEF = re.compile(
    r"^gate\s+([A-Za-z_]\w*)\s*(?:\(([^)]*)\))?\s*([^{]*)\{(.*)\}$", re.S
)


def _split_top(text: str) -> list[str]:
    """Split on commas outside parentheses."""
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


class _Parser:
    def __init__(self) -> None:
        self.qregs: dict[str, tuple[int, int]] = {}
        self.cregs: dict[str, int] = {}
        self.n_qubits = 0
        self.defs: dict[str, tuple[list[str], list[str], list[tuple[str, int]]]] = {}
        self.circ = Circuit()

    # statements -------------------------------------------------------------
    def statements(self, text: str) -> list[tuple[str, int]]:
        text = re.sub(r"//[^\n]*", "", text)
        out, i, n = [], 0, len(text)
        while i < n:
            while i < n and text[i].isspace():
                i += 1
            if i >= n:
                break
            line = text.count("\n", 0, i) + 1
            if re.match(r"gate\s", text[i:]):
                j = text.find("}", i)
                if j < 0:
                    raise ValueError(f"OpenQASM line {line}: unterminated gate definition")
                out.append((text[i : j + 1].strip(), line))
                i = j + 1
                continue
            j = text.find(";", i)
            if j < 0:
                raise ValueError(f"OpenQASM line {line}: missing ';' after {text[i:].strip()!r}")
            out.append((text[i:j].strip(), line))
            i = j + 1
        return out

    def resolve(self, arg: str, line: int) -> list[int]:
        m = _ARG.match(arg.strip())
        if not m or m.group(1) not in self.qregs:
            raise ValueError(f"OpenQASM line {line}: unknown qubit argument {arg!r}")
        off, size = self.qregs[m.group(1)]
        if m.group(2) is None:
            return list(range(off, off + size))
        idx = int(m.group(2))
        if idx >= size:
            raise ValueError(
                f"OpenQASM line {line}: qubit index {idx} out of range for qreg "
                f"{m.group(1)}[{size}]"
            )
        return [off + idx]

    def parse(self, text: str) -> Circuit:
        for stmt, line in self.statements(text):
            self.statement(stmt, line)
        return self.circ

    def statement(self, stmt: str, line: int) -> None:
        head = stmt.split(None, 1)[0] if stmt else ""
        if head == "OPENQASM":
            version = stmt.split(None, 1)[1].strip() if len(stmt.split()) > 1 else ""
            if not version.startswith("2"):
                raise ValueError(
                    f"OpenQASM line {line}: only version 2.0 is supported, got {version}"
                )
        elif head == "include":
            return
        elif head in ("qreg", "creg"):
            m = re.match(r"^(qreg|creg)\s+([A-Za-z_]\w*)\s*\[\s*(\d+)\s*\]$", stmt)
            if not m:
                raise ValueError(f"OpenQASM line {line}: malformed register {stmt!r}")
            if head == "qreg":
                self.qregs[m.group(2)] = (self.n_qubits, int(m.group(3)))
                self.n_qubits += int(m.group(3))
            else:
                self.cregs[m.group(2)] = int(m.group(3))
        elif head == "gate":
            m = _GATE_DEF.match(stmt)
            if not m:
                raise ValueError(f"OpenQASM line {line}: malformed gate definition")
            params = [p.strip() for p in (m.group(2) or "").split(",") if p.strip()]
            qargs = [q.strip() for q in m.group(3).split(",") if q.strip()]
            body = [(s.strip(), line) for s in m.group(4).split(";") if s.strip()]
            self.defs[m.group(1)] = (params, qargs, body)
        elif head == "measure":
            m = re.match(r"^measure\s+(.+?)\s*->\s*(.+)$", stmt)
            if not m:
                raise ValueError(f"OpenQASM line {line}: malformed measure {stmt!r}")
            qs = self.resolve(m.group(1), line)
            cm = _ARG.match(m.group(2).strip())
            if not cm or cm.group(1) not in self.cregs:
                raise ValueError(f"OpenQASM line {line}: unknown classical register {m.group(2)!r}")
            cname = cm.group(1)
            cidx = [int(cm.group(2))] if cm.group(2) is not None else list(
                range(self.cregs[cname])
            )
            if len(cidx) != len(qs):
                raise ValueError(f"OpenQASM line {line}: measure register sizes differ")
            for q, c in zip(qs, cidx, strict=True):
                key = cname if self.cregs[cname] == 1 else f"{cname}{c}"
                self.circ.append(G.Measure(key).on(q))
        elif head == "barrier":
            qs: list[int] = []
            for a in _split_top(stmt[len("barrier") :]):
                qs.extend(q for q in self.resolve(a, line) if q not in qs)
            self.circ.append(G.BARRIER.on(qs))
        elif head in ("reset", "if", "opaque"):
            raise ValueError(f"OpenQASM line {line}: '{head}' is not supported")
        else:
            self.call(stmt, line, {}, None)

    def call(self, stmt: str, line: int, env: dict[str, Any], qmap: dict[str, int] | None) -> None:
        m = _CALL.match(stmt)
        if not m:
            raise ValueError(f"OpenQASM line {line}: cannot parse statement {stmt!r}")
        name, ptext, atext = m.group(1), m.group(2), m.group(3)
        angles = [_eval_expr(p, env, line) for p in _split_top(ptext)] if ptext else []
        args = _split_top(atext)
        if qmap is None:
            groups = [self.resolve(a, line) for a in args]
        else:
            try:
                groups = [[qmap[a.strip()]] for a in args]
            except KeyError as err:
                raise ValueError(f"OpenQASM line {line}: unknown gate argument {err}") from None
        sizes = {len(g) for g in groups if len(g) > 1}
        if len(sizes) > 1:
            raise ValueError(f"OpenQASM line {line}: registers of different sizes in {stmt!r}")
        reps = sizes.pop() if sizes else 1
        for r in range(reps):
            qs = [g[r] if len(g) > 1 else g[0] for g in groups]
            self.apply(name, angles, qs, line)

    def apply(self, name: str, angles: list[Any], qs: list[int], line: int) -> None:
        if name in _NATIVE:
            factory, n_ang, n_ctrl = _NATIVE[name]
            if len(angles) != n_ang:
                raise ValueError(
                    f"OpenQASM line {line}: gate {name} takes {n_ang} parameter(s), "
                    f"got {len(angles)}"
                )
            gate = factory(*angles)
            need = n_ctrl + gate.n_qubits
            if len(qs) != need:
                raise ValueError(
                    f"OpenQASM line {line}: gate {name} acts on {need} qubit(s), got {len(qs)}"
                )
            ctrl, obj = qs[:n_ctrl], qs[n_ctrl:]
            try:
                self.circ.append(gate.on(obj, ctrl if ctrl else None))
            except ValueError as err:
                raise ValueError(f"OpenQASM line {line}: {err}") from None
            return
        if name in self.defs:
            params, qargs, body = self.defs[name]
            if len(angles) != len(params) or len(qs) != len(qargs):
                raise ValueError(
                    f"OpenQASM line {line}: gate {name} takes {len(params)} parameter(s) and "
                    f"{len(qargs)} qubit(s), got {len(angles)} and {len(qs)}"
                )
            env = dict(zip(params, angles, strict=True))
            qmap = dict(zip(qargs, qs, strict=True))
            for stmt, _ in body:
                if stmt.startswith("barrier"):
                    continue
                self.call(stmt, line, env, qmap)
            return
        raise ValueError(f"OpenQASM line {line}: unknown gate {name!r}")


class OpenQASM:
    """OpenQASM 2.0 converter (MindQuantum's ``OpenQASM().to_string / from_string``)."""

    def to_string(self, circuit: Circuit, pr: Any = None, precision: int = 17) -> str:
        """OpenQASM 2.0 text of ``circuit``.

        Args:
            circuit: the circuit.
            pr: parameter values; without them parameter names are written.
            precision: significant digits of angles.

        Raises:
            ValueError: a gate (or its number of controls) has no qelib1 form,
                e.g. UnivMathGate or a twice-controlled RX.
        """
        used: set[str] = set()
        body: list[str] = []
        keys = [g.key for g in circuit if isinstance(g, G.MeasureGate)]
        # one creg per key keeps the keys through a round trip, when they are usable names
        per_key = len(set(keys)) == len(keys) and all(
            re.fullmatch(r"[a-z]\w*", k) and k not in _RESERVED and k not in _NATIVE for k in keys
        )
        measures: list[tuple[int, str]] = []
        for g in circuit:
            if isinstance(g, G.BarrierGate):
                body.append("barrier " + ",".join(f"q[{q}]" for q in g.obj_qubits) + ";")
            elif isinstance(g, G.MeasureGate):
                target = f"{g.key}[0]" if per_key else f"c[{len(measures)}]"
                body.append(f"measure q[{g.obj_qubits[0]}] -> {target};")
                measures.append((g.obj_qubits[0], g.key))
            else:
                body.append(_gate_line(g, pr, precision, used))
        order = ["ryy", "rxy", "rxz", "ryz", "iswap", "iswapdg", "fsim", "givens", "swapalpha",
                 "gphase"]
        for name in list(used):
            used.update(_DEF_DEPS.get(name, []))
        lines = [_HEADER.rstrip("\n")]
        lines += [_DEFS[n] for n in order if n in used]
        lines.append(f"qreg q[{max(circuit.n_qubits, 1)}];")
        if measures and per_key:
            lines += [f"creg {k}[1];" for k in keys]
        elif measures:
            lines.append(f"creg c[{len(measures)}];")
        return "\n".join(lines + body) + "\n"

    def from_string(self, text: str) -> Circuit:
        """Circuit from OpenQASM 2.0 text.

        Raises:
            ValueError: naming the line of an unknown gate, a wrong number of
                parameters or qubits, an out-of-range index or bad syntax.
        """
        return _Parser().parse(text)

    def to_file(self, filename: str, circuit: Circuit, pr: Any = None) -> None:
        """Write ``circuit`` to ``filename``."""
        with open(filename, "w", encoding="utf-8") as fh:
            fh.write(self.to_string(circuit, pr))

    def from_file(self, filename: str) -> Circuit:
        """Read a circuit from ``filename`` (errors name the file and line)."""
        with open(filename, encoding="utf-8") as fh:
            text = fh.read()
        try:
            return self.from_string(text)
        except ValueError as err:
            raise ValueError(f"{filename}: {err}") from None


def to_qasm(circuit: Circuit, pr: Any = None) -> str:
    """Shortcut for ``OpenQASM().to_string(circuit, pr)``."""
    return OpenQASM().to_string(circuit, pr)


def from_qasm(text: str) -> Circuit:
    """Shortcut for ``OpenQASM().from_string(text)``."""
    return OpenQASM().from_string(text)


