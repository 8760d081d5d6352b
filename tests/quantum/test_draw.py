"""Text drawing: one wire per qubit, controls joined to their targets, ASCII mode."""

from quantum import Circuit, gates


def wires(text):
    return [r for r in text.splitlines() if r.startswith("q")]


def test_control_dot_and_link_share_a_column():
    c = Circuit([gates.X.on(2, 0)])
    lines = c.draw().splitlines()
    assert len(lines) == 5  # 3 wires + 2 link rows
    col = lines[0].index("●")
    assert lines[1][col] == "│" and lines[3][col] == "│"
    assert lines[2][col] == "┼"  # idle qubit 1 is crossed
    assert lines[4][col] == "X"


def test_gates_on_disjoint_qubits_share_a_column_and_order_is_kept():
    c = Circuit([gates.H.on(0), gates.H.on(1), gates.RY("t").on(0), gates.Z.on(1, 0)])
    w = wires(c.draw())
    assert w[0].index("H") == w[1].index("H")
    assert w[0].index("RY(t)") < w[0].index("●")
    assert w[1].index("Z") > w[1].index("H")


def test_multi_target_and_parameterized_labels():
    c = Circuit([gates.Rxx({"a": 2.0, "b": -1.0}).on([0, 2]), gates.U3("x", 0.5, "y").on(1)])
    text = c.draw()
    w = wires(text)
    assert "Rxx(2*a - b)" in w[0] and "Rxx(2*a - b)" in w[2]
    assert "U3(x, 0.5, y)" in w[1]


def test_barrier_measure_dagger_and_ascii():
    c = Circuit([gates.S.hermitian().on(0), gates.BARRIER.on([0, 1]), gates.Measure("m").on(1)])
    uni = c.draw()
    assert "S†" in uni and "║" in uni and "M(m)" in uni
    asc = c.draw(unicode=False)
    assert all(ord(ch) < 128 for ch in asc)
    assert "Sdag" in asc and "#" in asc
    assert len(wires(asc)) == 2


def test_str_is_the_drawing_and_empty_circuit():
    c = Circuit([gates.H.on(0)])
    assert str(c) == c.draw() and repr(c) == c.draw()
    assert Circuit().draw() == ""
