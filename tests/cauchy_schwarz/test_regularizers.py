"""Cauchy-Schwarz regularizers: values against independent numpy formulas, gradients against
finite differences, zero sets at every scale, homogeneity, the normalized kernel used by
CSRegression, scipy.optimize usability and input validation."""

import numpy as np
import pytest
from scipy.optimize import minimize

from skreg.cauchy_schwarz import _regularizers as R
from skreg.cauchy_schwarz import binary, eigenvector, one_sided_binary, orthogonal, ternary

DISCRETE = {"binary": binary, "one_sided_binary": one_sided_binary, "ternary": ternary}
DEGREE = {"binary": 4, "one_sided_binary": 6, "ternary": 8, "eigenvector": 4, "orthogonal": 4}
SHAPES = [(7,), (1,), (3, 4), (2, 3, 2)]
MATRIX_SHAPES = [(5, 3), (4, 4), (3, 5), (6, 1)]
FD_RTOL = 1e-6


def _S(x, k):
    return float(np.sum(np.asarray(x, dtype=float).ravel() ** k))


def _ref_value_bound(name, x, C=None):
    """Independent numpy formulas: (l(x), Cauchy-Schwarz bound ||g||^2 ||h||^2)."""
    x = np.asarray(x, dtype=float)
    if name == "binary":
        return x.size * _S(x, 4) - _S(x, 2) ** 2, x.size * _S(x, 4)
    if name == "one_sided_binary":
        return _S(x, 2) * _S(x, 4) - _S(x, 3) ** 2, _S(x, 2) * _S(x, 4)
    if name == "ternary":
        return _S(x, 2) * _S(x, 6) - _S(x, 4) ** 2, _S(x, 2) * _S(x, 6)
    if name == "eigenvector":
        Cx = C @ x
        return (Cx @ Cx) * (x @ x) - (x @ Cx) ** 2, (Cx @ Cx) * (x @ x)
    K = x.shape[1]
    gram2 = np.sum((x.T @ x) ** 2)
    return K * gram2 - np.sum(x * x) ** 2, K * gram2


def _call(name, x, C=None):
    if name in DISCRETE:
        return DISCRETE[name](x)
    if name == "eigenvector":
        return eigenvector(x, C)
    return orthogonal(x)


def _fd_grad(f, x, rel_step=1e-5):
    x = np.asarray(x, dtype=float)
    h = rel_step * max(1.0, float(np.abs(x).max()))
    g = np.empty_like(x)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += h
        xm[idx] -= h
        g[idx] = (f(xp) - f(xm)) / (2 * h)
    return g


def _assert_grad_close(grad, fd, scale):
    """Relative error below FD_RTOL; ``scale`` (the size of a gradient of the function,
    bound / ||x||) only floors it where the gradient vanishes identically (N = 1, K = 1)."""
    err = np.linalg.norm(grad - fd)
    assert err <= FD_RTOL * max(np.linalg.norm(fd), 1e-300) or err <= 1e-9 * scale


def _random_C(rng, n, symmetric):
    B = rng.standard_normal((n, n))
    return B + B.T if symmetric else B


# ------------------------------------------------------------------------------------------
# values and gradients
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(DISCRETE))
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("seed", [0, 1])
def test_discrete_value_and_gradient(name, shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * rng.uniform(0.3, 3.0)
    value, grad = DISCRETE[name](x)
    ref, bound = _ref_value_bound(name, x)
    assert isinstance(value, float)
    assert abs(value - ref) <= 1e-12 * bound
    assert grad.shape == x.shape
    fd = _fd_grad(lambda z: DISCRETE[name](z)[0], x)
    _assert_grad_close(grad, fd, bound / np.linalg.norm(x))


@pytest.mark.parametrize("seed", [0, 1])
def test_discrete_gradient_matches_docstring_formulas(seed):
    x = np.random.default_rng(seed).standard_normal(9)
    N = x.size
    S2, S3, S4, S6 = _S(x, 2), _S(x, 3), _S(x, 4), _S(x, 6)
    np.testing.assert_allclose(binary(x)[1], 4 * N * x**3 - 4 * S2 * x, rtol=1e-10,
                               atol=1e-12 * N * S4)
    np.testing.assert_allclose(one_sided_binary(x)[1], 2 * S4 * x + 4 * S2 * x**3
                               - 6 * S3 * x**2, rtol=1e-10, atol=1e-12 * S2 * S4)
    np.testing.assert_allclose(ternary(x)[1], 2 * S6 * x + 6 * S2 * x**5 - 8 * S4 * x**3,
                               rtol=1e-10, atol=1e-12 * S2 * S6)


@pytest.mark.parametrize("n", [1, 2, 6])
@pytest.mark.parametrize("symmetric", [True, False])
@pytest.mark.parametrize("seed", [0, 1])
def test_eigenvector_value_and_gradient(n, symmetric, seed):
    rng = np.random.default_rng(seed)
    C = _random_C(rng, n, symmetric)
    x = rng.standard_normal(n)
    value, grad = eigenvector(x, C)
    ref, bound = _ref_value_bound("eigenvector", x, C)
    assert abs(value - ref) <= 1e-12 * bound
    assert grad.shape == (n,)
    fd = _fd_grad(lambda z: eigenvector(z, C)[0], x)
    _assert_grad_close(grad, fd, bound / np.linalg.norm(x))
    Cx = C @ x
    formula = 2 * (x @ x) * C.T @ Cx + 2 * (Cx @ Cx) * x - 2 * (x @ Cx) * (C + C.T) @ x
    np.testing.assert_allclose(grad, formula, rtol=1e-9, atol=1e-12 * bound)


@pytest.mark.parametrize("shape", MATRIX_SHAPES)
@pytest.mark.parametrize("seed", [0, 1])
def test_orthogonal_value_and_gradient(shape, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal(shape)
    value, grad = orthogonal(X)
    ref, bound = _ref_value_bound("orthogonal", X)
    assert abs(value - ref) <= 1e-12 * bound
    assert grad.shape == shape
    fd = _fd_grad(lambda Z: orthogonal(Z)[0], X)
    _assert_grad_close(grad, fd, bound / np.linalg.norm(X))
    formula = 4 * shape[1] * X @ X.T @ X - 4 * np.sum(X * X) * X
    np.testing.assert_allclose(grad, formula, rtol=1e-9, atol=1e-12 * bound)


def test_orthogonal_single_column_is_identically_zero():
    X = np.random.default_rng(0).standard_normal((5, 1))
    value, grad = orthogonal(X)
    assert value == pytest.approx(0.0, abs=1e-12 * np.sum(X * X) ** 2)
    np.testing.assert_allclose(grad, 0.0, atol=1e-12 * np.sum(X * X) ** 1.5)


def test_docstring_examples():
    assert binary([2.0, -2.0, 2.0])[0] == 0.0
    value, grad = binary([1.0, 0.0])
    assert value == 1.0 and grad.tolist() == [4.0, 0.0]
    assert one_sided_binary([1.0, -1.0])[0] == 4.0
    assert ternary([1.0, 2.0])[0] == 36.0
    assert eigenvector([1.0, 1.0], np.diag([1.0, 2.0]))[0] == 1.0
    assert orthogonal(np.array([[1.0, 1.0], [0.0, 1.0]]))[0] == 5.0


# ------------------------------------------------------------------------------------------
# zero sets, positivity, homogeneity
# ------------------------------------------------------------------------------------------

SCALES = [1.0, 0.3, 1e-3, 7.1, 123.456, 1e5, 0.0]


def _on_set(name, rng, a, shape=(17,)):
    levels = {"binary": [-1.0, 1.0], "one_sided_binary": [0.0, 1.0],
              "ternary": [-1.0, 0.0, 1.0]}[name]
    return a * rng.choice(levels, size=shape)


@pytest.mark.parametrize("name", list(DISCRETE))
@pytest.mark.parametrize("a", SCALES)
def test_discrete_zero_on_set(name, a):
    rng = np.random.default_rng(3)
    for shape in [(17,), (4, 5)]:
        x = _on_set(name, rng, a, shape)
        value, grad = DISCRETE[name](x)
        _, bound = _ref_value_bound(name, x)
        assert 0.0 <= value <= 1e-13 * bound
        # a minimum: the gradient vanishes too (to rounding relative to bound / ||x||)
        assert np.linalg.norm(grad) <= 1e-12 * bound / max(np.linalg.norm(x), 1e-300) + 1e-300


@pytest.mark.parametrize("a", [-1.0, -0.3, -123.456])
def test_one_sided_binary_zero_for_negative_scale(a):
    x = _on_set("one_sided_binary", np.random.default_rng(4), a)
    assert np.any(x < 0)
    value, _ = one_sided_binary(x)
    assert 0.0 <= value <= 1e-13 * _ref_value_bound("one_sided_binary", x)[1]


@pytest.mark.parametrize("a", [1.0, 2.0, 0.5, 4.0])
def test_discrete_exactly_zero_at_power_of_two_scales(a):
    rng = np.random.default_rng(5)
    for name, f in DISCRETE.items():
        assert f(_on_set(name, rng, a))[0] == 0.0


def test_discrete_positive_off_set():
    # the zero sets are tight: one deviating entry makes each regularizer positive
    assert binary([1.0, 1.0, -1.0, 1.1])[0] > 0
    assert binary([1.0, 0.0])[0] > 0  # 0 is not in {-a, a} for a > 0
    assert one_sided_binary([0.0, 2.0, 2.0, 1.9])[0] > 0
    assert one_sided_binary([1.0, -1.0, 0.0])[0] > 0  # {0, a} is one-sided
    assert ternary([1.0, 0.0, -1.0, 0.5])[0] > 0
    assert ternary([1.0, -1.0, 0.0])[0] == 0.0


@pytest.mark.parametrize("name", list(DISCRETE))
@pytest.mark.parametrize("seed", range(4))
def test_discrete_positive_and_nonnegative_on_random_points(name, seed):
    x = np.random.default_rng(seed).standard_normal(11)
    value, _ = DISCRETE[name](x)
    assert value > 1e-6 * _ref_value_bound(name, x)[1]


@pytest.mark.parametrize("seed", range(3))
def test_eigenvector_zero_on_eigenvectors(seed):
    rng = np.random.default_rng(seed)
    C = _random_C(rng, 6, symmetric=True)
    _, V = np.linalg.eigh(C)
    for k in range(6):
        for a in [1.0, -3.0, 1e-3, 250.0]:
            x = a * V[:, k]
            value, grad = eigenvector(x, C)
            _, bound = _ref_value_bound("eigenvector", x, C)
            assert 0.0 <= value <= 1e-12 * bound
            assert np.linalg.norm(grad) <= 1e-10 * bound / np.linalg.norm(x)
    # a non-symmetric matrix with real eigenvalues
    T = np.triu(rng.standard_normal((4, 4)))
    T[np.diag_indices(4)] = [1.0, 2.0, 3.0, 4.0]
    ev, V = np.linalg.eig(T)
    x = np.real(V[:, 2])
    assert eigenvector(x, T)[0] <= 1e-12 * _ref_value_bound("eigenvector", x, T)[1]
    # off the eigenvectors: positive
    x = rng.standard_normal(6)
    assert eigenvector(x, C)[0] > 1e-6 * _ref_value_bound("eigenvector", x, C)[1]


@pytest.mark.parametrize("shape", [(4, 4), (6, 3), (5, 1)])
@pytest.mark.parametrize("a", [1.0, -2.5, 1e-3, 300.0])
def test_orthogonal_zero_on_scaled_orthonormal_columns(shape, a):
    rng = np.random.default_rng(7)
    Q, _ = np.linalg.qr(rng.standard_normal(shape))
    value, grad = orthogonal(a * Q)
    _, bound = _ref_value_bound("orthogonal", a * Q)
    assert 0.0 <= value <= 1e-12 * bound
    assert np.linalg.norm(grad) <= 1e-10 * bound / np.linalg.norm(a * Q)
    # orthogonal columns of different norms are off the set
    if shape[1] > 1:
        D = np.linspace(1.0, 2.0, shape[1])
        assert orthogonal(Q * D)[0] > 1e-3 * _ref_value_bound("orthogonal", Q * D)[1]


@pytest.mark.parametrize("name", ["binary", "one_sided_binary", "ternary", "eigenvector",
                                  "orthogonal"])
@pytest.mark.parametrize("c", [2.0, 0.5, -1.5, 3.7])
def test_homogeneity_degree(name, c):
    rng = np.random.default_rng(11)
    C = _random_C(rng, 6, symmetric=False)
    x = rng.standard_normal((6, 3) if name == "orthogonal" else (6,))
    v1, g1 = _call(name, x, C)
    v2, g2 = _call(name, c * x, C)
    d = DEGREE[name]
    assert d == R.DEGREES[R.PRIOR_CODES[name]]
    np.testing.assert_allclose(v2, c**d * v1, rtol=1e-10)
    # the gradient is homogeneous of degree d - 1
    np.testing.assert_allclose(g2, c ** (d - 1) * g1, rtol=1e-9,
                               atol=1e-12 * np.abs(c ** (d - 1) * g1).max())


# ------------------------------------------------------------------------------------------
# use with scipy.optimize
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(DISCRETE))
def test_scipy_minimize_reaches_the_zero_set(name):
    rng = np.random.default_rng(0)
    x0 = _on_set(name, rng, 1.0, (8,)) + 0.05 * rng.standard_normal(8)
    v0 = DISCRETE[name](x0)[0]
    res = minimize(DISCRETE[name], x0, jac=True, method="BFGS", options={"gtol": 1e-12})
    assert res.fun <= 1e-8 * v0
    assert res.x.shape == x0.shape


def test_scipy_minimize_matrix_priors():
    rng = np.random.default_rng(1)
    C = _random_C(rng, 5, symmetric=True)
    x0 = rng.standard_normal(5)
    res = minimize(eigenvector, x0, args=(C,), jac=True, method="BFGS",
                   options={"gtol": 1e-12})
    x = res.x / np.linalg.norm(res.x)
    assert np.linalg.norm(C @ x - (x @ C @ x) * x) <= 1e-4 * np.abs(C).max()

    def f(v):
        value, grad = orthogonal(v.reshape(4, 3))
        return value, grad.ravel()

    X0 = np.linalg.qr(rng.standard_normal((4, 3)))[0] + 0.05 * rng.standard_normal((4, 3))
    res = minimize(f, X0.ravel(), jac=True, method="BFGS", options={"gtol": 1e-12})
    X = res.x.reshape(4, 3)
    G = X.T @ X
    np.testing.assert_allclose(G, np.trace(G) / 3 * np.eye(3), atol=1e-4 * np.trace(G))


# ------------------------------------------------------------------------------------------
# the normalized kernel (CSRegression's penalty ||x||^2 sin^2)
# ------------------------------------------------------------------------------------------


def _normalized(x, code):
    grad = np.empty_like(x)
    value, bound = R.cs_value_grad(x, code, R._NO_MATRIX, 1, True, grad)
    return value, bound, grad


@pytest.mark.parametrize("name", list(DISCRETE))
@pytest.mark.parametrize("seed", range(3))
def test_normalized_kernel(name, seed):
    rng = np.random.default_rng(seed)
    code = R.PRIOR_CODES[name]
    x = rng.standard_normal(9) * rng.uniform(0.2, 5.0)
    value, bound, grad = _normalized(x, code)
    ell, cs_bound = _ref_value_bound(name, x)
    S2 = x @ x
    assert bound == pytest.approx(S2, rel=1e-14)
    assert value == pytest.approx(S2 * ell / cs_bound, rel=1e-10)
    assert 0.0 <= value <= S2
    fd = _fd_grad(lambda z: _normalized(z, code)[0], x)
    _assert_grad_close(grad, fd, S2)
    # homogeneous of degree 2
    assert _normalized(3.0 * x, code)[0] == pytest.approx(9.0 * value, rel=1e-10)


@pytest.mark.parametrize("name", list(DISCRETE))
def test_normalized_kernel_on_set_and_at_zero(name):
    code = R.PRIOR_CODES[name]
    x = _on_set(name, np.random.default_rng(2), 0.7, (10,))
    value, bound, grad = _normalized(x, code)
    assert value <= 1e-13 * bound
    assert np.linalg.norm(grad) <= 1e-12 * np.linalg.norm(x)
    value, bound, grad = _normalized(np.zeros(4), code)
    assert value == 0.0 and bound == 0.0 and np.all(grad == 0.0)


def test_normalized_kernel_at_most_the_squared_norm():
    rng = np.random.default_rng(8)
    for _ in range(20):
        x = rng.standard_normal(rng.integers(1, 12)) * 10.0 ** rng.uniform(-3, 3)
        for name in DISCRETE:
            value, bound, _ = _normalized(x, R.PRIOR_CODES[name])
            assert 0.0 <= value <= bound * (1 + 1e-14)


# ------------------------------------------------------------------------------------------
# input validation
# ------------------------------------------------------------------------------------------

ALL = ["binary", "one_sided_binary", "ternary", "eigenvector", "orthogonal"]


def _valid_input(name):
    return np.ones((3, 2)) if name == "orthogonal" else np.ones(3)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_raises(name, bad):
    x = _valid_input(name)
    x.flat[1] = bad
    with pytest.raises(ValueError, match="NaN or infinity"):
        _call(name, x, np.eye(3))


@pytest.mark.parametrize("name", ALL)
def test_complex_and_strings_raise_type_error(name):
    x = _valid_input(name).astype(complex)
    with pytest.raises(TypeError, match="complex"):
        _call(name, x, np.eye(3))
    with pytest.raises(TypeError):
        _call(name, "abc", np.eye(3))
    with pytest.raises(TypeError):
        _call(name, b"abc", np.eye(3))
    with pytest.raises(TypeError):
        _call(name, np.array(["a", "b", "c"]), np.eye(3))
    with pytest.raises(TypeError):
        _call(name, np.array([1.0, None, 2.0], dtype=object), np.eye(3))


@pytest.mark.parametrize("name", ALL)
def test_empty_raises(name):
    with pytest.raises(ValueError, match="empty"):
        _call(name, np.zeros((0, 2)) if name == "orthogonal" else np.zeros(0), np.zeros((0, 0)))


def test_eigenvector_matrix_errors():
    x = np.ones(3)
    for C in [np.eye(2), np.ones((3, 4)), np.ones(3), np.ones((3, 3, 1))]:
        with pytest.raises(ValueError):
            eigenvector(x, C)
    with pytest.raises(ValueError, match="NaN"):
        eigenvector(x, np.full((3, 3), np.nan))
    with pytest.raises(TypeError):
        eigenvector(x, np.eye(3) + 0j)
    with pytest.raises(ValueError):
        eigenvector(np.ones((3, 1)), np.eye(3))  # x must be 1-D


def test_orthogonal_needs_a_matrix():
    with pytest.raises(ValueError, match="2-dimensional"):
        orthogonal(np.ones(4))
    with pytest.raises(ValueError, match="2-dimensional"):
        orthogonal(np.ones((2, 2, 2)))


def test_integer_bool_and_list_inputs():
    assert binary([1, -1, 1])[0] == 0.0
    assert binary(np.array([1, 2], dtype=np.int32))[0] == binary([1.0, 2.0])[0]
    assert binary(np.array([True, False]))[0] == 1.0
    assert ternary(3)[0] == 0.0  # a scalar is a vector of one entry
    assert orthogonal([[1, 0], [0, 1]])[0] == 0.0
    assert eigenvector([1, 0], [[2, 0], [0, 1]])[0] == 0.0


@pytest.mark.parametrize("name", ALL)
def test_inputs_never_modified_and_read_only_works(name):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3) if name == "orthogonal" else (4,))
    C = rng.standard_normal((4, 4))
    x_copy, C_copy = x.copy(), C.copy()
    value, grad = _call(name, x, C)
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(C, C_copy)
    assert not np.shares_memory(grad, x)
    grad_copy = grad.copy()
    grad += 1.0  # the returned gradient is the caller's to modify
    np.testing.assert_array_equal(x, x_copy)
    x.flags.writeable = False
    C.flags.writeable = False
    value_ro, grad_ro = _call(name, x, C)
    assert value_ro == value
    np.testing.assert_array_equal(grad_ro, grad_copy)
    # non-contiguous views (a transposed or strided array)
    xs = np.repeat(x_copy, 2, axis=0)[::2]
    assert _call(name, xs, C_copy)[0] == value
