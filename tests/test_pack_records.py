"""The pack's record encodings: what they keep of a star, a Gaussian and a colour."""

import numpy as np

from helios import photometry
from helios.colour import blackbody_linear_srgb
from helios.pack.records import (
    GAUSSIAN_RECORD,
    POINT_RECORD,
    decode_colour,
    decode_gaussians,
    decode_points,
    encode_colour,
    encode_gaussians,
    encode_points,
)


def test_record_sizes_are_the_ladders():
    from helios.lod.ladder import GAUSSIAN_BYTES, POINT_BYTES

    assert POINT_RECORD.itemsize == POINT_BYTES == 16 and GAUSSIAN_RECORD.itemsize == GAUSSIAN_BYTES == 32


def test_star_colours_survive_within_a_few_percent_and_keep_unit_luminance():
    colours = photometry.unit_luminance(blackbody_linear_srgb(np.geomspace(2500, 40000, 200)))
    decoded = decode_colour(encode_colour(colours))
    assert np.allclose(photometry.luminance(decoded), 1.0)
    # 5/6/5 bits of the sRGB-encoded chromaticity: within 5 % of each channel's value, or 0.02 of unit luminance.
    assert (np.abs(decoded - colours) <= 0.05 * colours + 0.02).all()
    assert np.abs(decoded - colours).max() > 0  # it is a lossy code: a test of nothing would pass this too


def test_points_keep_float32_positions_and_magnitudes_to_a_hundredth():
    rng = np.random.default_rng(0)
    positions = rng.normal(0, 1e4, (500, 3))
    abs_mag = rng.uniform(-8, 17, 500)
    colours = photometry.unit_luminance(rng.uniform(0.1, 1, (500, 3)))
    got_positions, got_mag, _ = decode_points(encode_points(positions, abs_mag, colours))
    assert np.array_equal(got_positions, positions.astype(np.float32).astype(np.float64))
    assert np.abs(got_mag - abs_mag).max() <= 2**-11 * 17  # float16: within 0.0083 mag here


def test_gaussians_keep_their_shape_and_light():
    rng = np.random.default_rng(1)
    quats = rng.normal(size=(50, 4))
    quats /= np.linalg.norm(quats, axis=1, keepdims=True)
    sigmas = np.exp(rng.uniform(-6, 8, (50, 3)))
    abs_mag = rng.uniform(-12, 10, 50)
    colours = photometry.unit_luminance(rng.uniform(0.1, 1, (50, 3)))
    got = decode_gaussians(encode_gaussians(rng.normal(0, 1e3, (50, 3)), sigmas, quats, abs_mag, colours))
    assert np.allclose(got["sigma"], sigmas, rtol=2**-11 * 8 + 1e-6)  # ln sigma to float16's rounding
    assert np.allclose(got["rotation"], quats, atol=2**-11)
    assert np.abs(got["abs_mag"] - abs_mag).max() <= 2**-11 * 12
