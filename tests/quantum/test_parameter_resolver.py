"""ParameterResolver: linear algebra of expressions, flags, evaluation, errors."""

import numpy as np
import pytest

from quantum import ParameterResolver as PR

try:
    import mindquantum as mq
except Exception:  # pragma: no cover
    mq = None


def test_construction_forms():
    assert PR("a").combination({"a": 0.5}) == 0.5
    assert PR({"a": 2, "b": -1}, const=0.25).combination({"a": 1.0, "b": 3.0}) == 2 - 3 + 0.25
    assert PR(1.5).is_const() and PR(1.5).const == 1.5
    assert PR().is_const() and PR().const == 0.0
    p = PR({"a": 1.0}).as_encoder()
    q = PR(p)
    assert q == p and q is not p and q.encoder_parameters == {"a"}


def test_arithmetic_matches_plain_numbers():
    rng = np.random.default_rng(0)
    vals = {"a": rng.normal(), "b": rng.normal(), "c": rng.normal()}
    x = PR({"a": 1.5, "b": -2.0}, const=0.3)
    y = PR({"b": 0.5, "c": 4.0}, const=-1.0)
    xv, yv = x.combination(vals), y.combination(vals)
    cases = [
        (x + y, xv + yv),
        (x - y, xv - yv),
        (-x, -xv),
        (2.5 * x, 2.5 * xv),
        (x * 2.5, 2.5 * xv),
        (x / 4, xv / 4),
        (x + 1.0, xv + 1.0),
        (1.0 - x, 1.0 - xv),
        (x * PR(3.0), 3 * xv),
        (x + "c", xv + vals["c"]),
        ((1j * x).conjugate(), -1j * xv),
    ]
    for expr, ref in cases:
        assert np.isclose(expr.combination(vals), ref), expr


def test_complex_coefficients():
    p = PR({"a": 1 + 2j}, const=0.5j)
    assert p.is_complex
    assert np.isclose(p.combination({"a": 2.0}), 2 + 4.5j)
    assert p.real == PR({"a": 1.0}) and p.imag == PR({"a": 2.0}, const=0.5)


def test_nonlinear_product_and_zero_division_raise():
    with pytest.raises(TypeError, match="not linear"):
        PR("a") * PR("b")
    with pytest.raises(ZeroDivisionError):
        PR("a") / 0
    with pytest.raises(TypeError):
        PR("a") * "b"


def test_flags_encoder_ansatz_grad():
    p = PR({"x": 1.0, "w": 2.0, "v": 3.0})
    assert p.ansatz_parameters == {"x", "w", "v"} and p.encoder_parameters == set()
    p.as_encoder(["x"])
    assert p.encoder_parameters == {"x"} and p.ansatz_parameters == {"w", "v"}
    p.no_grad_part("w")
    assert p.requires_grad_parameters == {"x", "v"}
    p.requires_grad_part("w")
    assert p.requires_grad_parameters == {"x", "w", "v"}
    p.no_grad()
    assert p.requires_grad_parameters == set()
    p.requires_grad()
    assert p.requires_grad_parameters == {"x", "w", "v"}
    p.as_ansatz()
    assert p.encoder_parameters == set()
    # flags survive arithmetic
    q = PR("x").as_encoder() * 2 + PR("w")
    assert q.encoder_parameters == {"x"} and q.ansatz_parameters == {"w"}
    with pytest.raises(ValueError, match="'x' is an encoder parameter"):
        PR("x").as_encoder() + PR("x")
    with pytest.raises(KeyError, match="'nope'"):
        p.no_grad_part("nope")


def test_missing_value_names_the_parameter():
    with pytest.raises(ValueError, match="'theta'"):
        PR({"phi": 1.0, "theta": 2.0}).combination({"phi": 0.1})


def test_subs_keys_items_and_str():
    p = PR({"a": 2.0, "b": -1.0}, const=0.5)
    assert list(p.keys()) == ["a", "b"] and dict(p.items()) == {"a": 2.0, "b": -1.0}
    assert p.subs({"a": 1.0}) == PR({"b": -1.0}, const=2.5)
    assert p.expression() == "2*a - b + 0.5"
    assert "a" in p and "c" not in p and len(p) == 2
    with pytest.raises(ValueError, match="Invalid parameter name"):
        PR("1abc")
    with pytest.raises(TypeError):
        PR({"a": "x"})


@pytest.mark.skipif(mq is None, reason="mindquantum not installed")
def test_combination_equals_mindquantum():
    from mindquantum.core.parameterresolver import ParameterResolver as MQPR

    data, const = {"a": 1.25, "b": -0.5}, 0.75
    vals = {"a": 0.3, "b": 2.2}
    ours = (PR(data, const) * 3 - PR("a")) / 2
    theirs = (MQPR(data, const) * 3 - MQPR("a")) / 2
    ref = theirs.combination(MQPR(vals))
    ref = complex(ref.const) if hasattr(ref, "const") else complex(ref)
    assert np.isclose(ours.combination(vals), ref)


def test_item_access_compress_and_mq_spellings():
    p = PR({"a": 1.0, "b": 1e-15})
    p["c"] = 3.0
    assert p["c"] == 3.0 and p.params_name == ["a", "b", "c"]
    with pytest.raises(KeyError, match="'z'"):
        p["z"]
    assert list(p.compress().keys()) == ["a", "c"]
    p.encoder_part("a", "b")
    assert p.encoder_parameters == {"a", "b"}
    p.ansatz_part("b")
    assert p.encoder_parameters == {"a"}
    q = +p
    assert q == p and q is not p
    assert PR(2.0) == 2.0 and PR("a") != 2.0
