"""The products that stand in for pow in the lit model's rim and specular terms."""

import numpy as np
import pytest

from holopack.rendering.shading import rim_falloff, short_power


@pytest.mark.parametrize("twice", range(0, 17))
def test_products_match_pow_for_whole_and_half_powers(twice):
    power = twice / 2.0
    assert short_power(power)
    edges = np.concatenate([[0.0, 1.0, 1e-6, 0.5], np.random.default_rng(twice).uniform(0.0, 1.0, 200)])
    got = np.array([rim_falloff(float(e), power, True) for e in edges])
    np.testing.assert_allclose(got, np.power(edges, power), rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("power", [0.3, 1.25, 2.1, 8.5, 9.0, 64.0, 512.0, -1.0])
def test_other_powers_take_pow(power):
    assert not short_power(power)
    edges = np.random.default_rng(7).uniform(0.01, 1.0, 50)
    got = np.array([rim_falloff(float(e), power, False) for e in edges])
    np.testing.assert_allclose(got, np.power(edges, power), rtol=1e-13)
