"""The glare halo (helios/render/glare.py): it keeps every star's light, spreads it as documented, and refuses bad shares."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from helios import photometry
from helios.render.glare import GlareError, apply_glare, check_glare, halo


def one_star(height=513, width=513, y=256, x=256, flux=(1.0, 0.5, 0.25)):
    image = np.zeros((height, width, 3))
    image[y, x] = flux
    return image


@pytest.mark.parametrize("share", [0.05, photometry.DEFAULT_GLARE, 0.9])
def test_a_star_keeps_its_light_away_from_the_edges(share):
    image = one_star()
    glared = apply_glare(image, share, limiting_mag=6.5)
    assert glared.dtype == np.float32 and glared.shape == image.shape
    assert glared.sum(axis=(0, 1), dtype=np.float64) == pytest.approx(image.sum(axis=(0, 1)), rel=1e-5)
    assert glared[256, 256, 0] == pytest.approx(1 - share, abs=share * 0.05)  # the core keeps 1 - share, the halo adds a little


def test_the_halo_falls_as_one_over_r_squared_and_is_symmetric():
    spread = halo(torch.as_tensor(one_star(513, 513, 256, 256)))[..., 0].numpy()
    assert spread.sum() == pytest.approx(1.0, rel=1e-9)
    profile = {r: spread[256, 256 + r] for r in (4, 8, 16, 32)}
    for r in (4, 8, 16):  # equal shares per octave: doubling the radius quarters the light, within the octaves' steps
        assert 2.5 < profile[r] / profile[2 * r] < 8, profile
    assert spread[256, 256 + 10] == pytest.approx(spread[256 + 10, 256], rel=0.05)
    assert spread[256, 256 + 10] == pytest.approx(spread[256, 256 - 10], rel=0.05)


def test_light_spread_beyond_the_image_is_lost_as_a_star_s_own_is():
    image = one_star(y=2, x=3)
    assert 0.5 < apply_glare(image, 0.5, limiting_mag=6.5).sum() / image.sum() < 1.0


def test_no_glare_is_the_image_itself_and_glare_adds_up():
    image = one_star() + one_star(y=40, x=60, flux=(0.2, 0.2, 0.2))
    assert apply_glare(image, 0.0, limiting_mag=6.5) is image
    summed = apply_glare(one_star(), 0.3, limiting_mag=6.5) + apply_glare(one_star(y=40, x=60, flux=(0.2, 0.2, 0.2)), 0.3, limiting_mag=6.5)
    np.testing.assert_allclose(apply_glare(image, 0.3, limiting_mag=6.5), summed, atol=1e-7)  # light adds


def visible_extent(shown: np.ndarray, y: int, x: int) -> tuple[int, float]:
    """How far from (y, x) an 8-bit image is lit (any channel above 0): along the row, and along the diagonal (px)."""
    lit = shown.max(axis=-1) > 0
    along = np.nonzero(lit[y, x:])[0].max()
    diagonal = np.nonzero([lit[y + k, x + k] for k in range(min(lit.shape[0] - y, lit.shape[1] - x))])[0].max()
    return int(along), float(diagonal * np.sqrt(2))


@pytest.mark.parametrize("brightness", [1e3, 1e8, 1e14])
def test_a_source_far_brighter_than_white_keeps_its_light_and_a_round_halo(brightness):
    """The halo's octaves end 187 px from a source; without the ceiling the halo of a source 10^8 times white is still
    lit there and shows the pyramid's square (the diagonal reaches 1.3 times as far as the axes)."""
    mag = 6.5
    image = one_star(701, 701, 350, 350, flux=(brightness / photometry.exposure_for(mag), 0.6 * brightness / photometry.exposure_for(mag), 0.0))
    glared = apply_glare(image, photometry.DEFAULT_GLARE, limiting_mag=mag)
    assert glared.sum(axis=(0, 1), dtype=np.float64) == pytest.approx(image.sum(axis=(0, 1)), rel=1e-5)  # the light is kept
    along, diagonal = visible_extent(photometry.display_image(glared, mag), 350, 350)
    assert along < 150 and abs(diagonal / along - 1) < 0.05, (along, diagonal)
    halo_only = glared[350, 300]  # 50 px away: halo, the source's colour
    assert halo_only[2] == 0 and halo_only[1] / halo_only[0] == pytest.approx(0.6, rel=1e-6)


def test_below_the_ceiling_the_glare_is_the_plain_halo():
    image = one_star(flux=(30.0, 20.0, 10.0))  # 240 exposed at 6.5 mag: above the ceiling; at 2 mag 3.8: below it
    plain = (1 - 0.25) * image + 0.25 * halo(torch.as_tensor(image)).numpy()
    np.testing.assert_allclose(apply_glare(image, 0.25, limiting_mag=2.0), plain, rtol=1e-6, atol=1e-9)
    assert not np.allclose(apply_glare(image, 0.25, limiting_mag=6.5), plain, rtol=1e-3, atol=1e-9)


@pytest.mark.parametrize("share", [-0.1, 1.0, float("nan"), float("inf")])
def test_a_share_outside_zero_to_one_is_refused(share):
    with pytest.raises(GlareError, match="share of a star's light in its halo"):
        check_glare(share)


def test_helios_render_refuses_a_bad_glare_by_name(tmp_path):
    out = tmp_path / "sky.png"
    done = subprocess.run([sys.executable, "-m", "helios.cli", "render", str(tmp_path), "--from", "sun", "--look-at", "1", "0", "0",
                           "--glare", "1.5", "--output", str(out)], capture_output=True, text=True)
    assert done.returncode != 0 and "--glare 1.5" in done.stderr and not out.exists()
