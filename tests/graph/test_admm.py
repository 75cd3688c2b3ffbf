"""Anderson mixing of the l1 solvers (skreg.graph._admm): the memory's Gram matrix kept up to
date row by row, and the mixed point against numpy's least squares."""

import numpy as np

from skreg.graph._admm import anderson_point, anderson_store


def test_gram_follows_the_ring_and_the_point_is_the_least_squares_mix():
    rng = np.random.default_rng(0)
    memory, n = 4, 9
    d_tx = np.zeros((memory, n))
    d_f = np.zeros((memory, n))
    gram = np.full((memory, memory), np.nan)  # never read outside the rows in use
    n_stored = head = 0
    for step in range(11):  # fills the ring, wraps it twice, restarts once
        if step == 6:
            n_stored = head = 0  # a restart of the caller's safeguard
        d_tx[head] = rng.standard_normal(n)
        d_f[head] = rng.standard_normal(n)
        n_stored = min(n_stored + 1, memory)
        anderson_store(d_f, gram, head, n_stored)
        head = (head + 1) % memory
        used = d_f[:n_stored]
        np.testing.assert_allclose(gram[:n_stored, :n_stored], used @ used.T, rtol=1e-14)
        tx, f = rng.standard_normal(n), rng.standard_normal(n)
        out = np.full(n, np.nan)
        assert anderson_point(d_tx, d_f, gram, n_stored, tx, f, out)
        gamma = np.linalg.lstsq(used.T, f, rcond=None)[0]
        np.testing.assert_allclose(out, tx - d_tx[:n_stored].T @ gamma, rtol=1e-6, atol=1e-8)


def test_point_refuses_an_empty_memory_direction():
    d = np.zeros((2, 5))
    gram = np.zeros((2, 2))
    out = np.full(5, 7.0)
    assert not anderson_point(d, d, gram, 1, np.ones(5), np.ones(5), out)
    assert np.all(out == 7.0)
