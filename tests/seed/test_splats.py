import math
import subprocess
import sys

import numpy as np
import pytest
import torch
from plyfile import PlyData

from helios.errors import HeliosError
from helios.seed.ply import PLY_PROPERTIES, read_ply
from helios.seed.splats import (
    SH_C0,
    InitOptions,
    _nearest_squared_distances,
    init_params,
    knn_mean_distance,
    rgb_to_sh0,
    sh0_to_rgb,
    write_ply,
)


def clustered_points(n: int, seed: int = 1) -> np.ndarray:
    """Points at several scales, with a coincident pair and a tie."""
    rng = np.random.default_rng(seed)
    points = rng.normal(size=(n, 3)) * rng.choice([1e-3, 0.1, 1.0], size=(n, 1))
    points[5] = points[7]
    points[9] = points[10] + [0.25, 0, 0]
    points[11] = points[10] - [0.25, 0, 0]
    return points


def test_init_scales_from_neighbours_and_opacity_from_luminosity():
    positions = np.array([[0, 0, 0], [0.01, 0, 0], [0, 0.01, 0], [0, 0, 0.01], [0.9, 0, 0]], dtype=float)
    params = init_params(positions, np.full((5, 3), 0.5), np.array([0.0, 5.0, 5.0, 5.0, 10.0]))
    scales = torch.exp(params["scales"]).numpy()
    assert np.allclose(scales[:, 0], scales[:, 1]) and np.allclose(scales[:, 0], scales[:, 2])  # isotropic
    assert scales[0, 0] == pytest.approx(0.01, rel=1e-5)
    assert scales[4, 0] == pytest.approx(InitOptions().max_scale)  # isolated star: clipped
    opacity = torch.sigmoid(params["opacities"]).numpy()
    assert opacity[0] == pytest.approx(0.9) and opacity[4] == pytest.approx(0.1) and opacity[1] == pytest.approx(0.5)
    assert torch.allclose(sh0_to_rgb(params["colors"]), torch.full((5, 3), 0.5))


def test_coincident_and_single_stars():
    coincident = init_params(np.zeros((3, 3)), np.ones((3, 3)), np.zeros(3))
    assert torch.allclose(torch.exp(coincident["scales"]), torch.full((3, 3), InitOptions().min_scale))
    single = init_params(np.zeros((1, 3)), np.ones((1, 3)), np.zeros(1))
    assert torch.exp(single["scales"])[0, 0].item() == pytest.approx(InitOptions().max_scale)
    assert torch.sigmoid(single["opacities"]).item() == pytest.approx(InitOptions().max_opacity)


def test_sh_round_trip():
    rgb = torch.rand(10, 3)
    assert torch.allclose(sh0_to_rgb(rgb_to_sh0(rgb)), rgb, atol=1e-6)
    assert rgb_to_sh0(torch.tensor([0.5 + SH_C0])).item() == pytest.approx(1.0)


def test_ply_is_inria_layout_and_read_by_plyfile(tmp_path):
    rng = np.random.default_rng(0)
    params = init_params(rng.normal(size=(7, 3)) * 0.1, rng.random((7, 3)), rng.normal(size=7))
    params["quats"] = torch.tensor(rng.normal(size=(7, 4)), dtype=torch.float32)
    write_ply(tmp_path / "c.ply", params, scale=250.0)
    ply = PlyData.read(str(tmp_path / "c.ply"))
    assert ply.header.startswith("ply\nformat binary_little_endian 1.0")
    vertex = ply["vertex"]
    assert vertex.count == 7
    assert vertex.data.dtype.names == PLY_PROPERTIES
    assert all(vertex.data.dtype[name] == np.dtype("<f4") for name in PLY_PROPERTIES)
    assert np.allclose(vertex["x"], params["means"][:, 0].numpy() * 250.0, rtol=1e-6)
    assert np.allclose(vertex["scale_1"], params["scales"][:, 1].numpy() + math.log(250.0), atol=1e-5)
    quats = np.stack([vertex[f"rot_{i}"] for i in range(4)], axis=1)
    assert np.allclose(np.linalg.norm(quats, axis=1), 1.0, atol=1e-6)
    assert np.all(vertex["nx"] == 0)
    ours = read_ply(tmp_path / "c.ply")
    assert np.array_equal(ours["opacities"], vertex["opacity"])


def test_empty_ply(tmp_path):
    write_ply(tmp_path / "e.ply", init_params(np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0)))
    assert PlyData.read(str(tmp_path / "e.ply"))["vertex"].count == 0


def test_read_ply_rejects_damage(tmp_path):
    write_ply(tmp_path / "c.ply", init_params(np.zeros((2, 3)), np.ones((2, 3)), np.zeros(2)))
    raw = (tmp_path / "c.ply").read_bytes()
    end = raw.index(b"end_header\n")
    cases = {
        "short.ply": (raw[:-5], "the PLY data is cut short: 131 bytes of the 136"),
        "long.ply": (raw + b"\0" * 4, "4 bytes follow the 2 splats"),
        "header.ply": (raw[: end - 3], "no end_header line"),
        "text.ply": (b"hello", "not a PLY file"),
        "latin1.ply": (raw.replace(b"vertex 2", b"vert\xe9x 2"), "non-ASCII byte at offset"),
        "count.ply": (raw.replace(b"vertex 2", b"vertex two"), "one 'element vertex N' line"),
        "type.ply": (raw.replace(b"property float x", b"property double x"), "'property float NAME'"),
        "ascii.ply": (raw.replace(b"binary_little_endian", b"ascii"), "only binary little-endian"),
    }
    for name, (data, message) in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(HeliosError, match=message) as info:
            read_ply(tmp_path / name)
        assert str(tmp_path / name) in str(info.value), name
    with pytest.raises(HeliosError, match="cannot read the PLY file"):
        read_ply(tmp_path / "missing.ply")


def test_fuzz_truncations_and_flips_raise_only_helios_errors(tmp_path):
    write_ply(tmp_path / "c.ply", init_params(np.random.default_rng(1).normal(size=(20, 3)), np.ones((20, 3)), np.zeros(20)))
    raw = (tmp_path / "c.ply").read_bytes()
    header_end = raw.index(b"end_header\n") + len(b"end_header\n")
    rng = np.random.default_rng(7)
    target = tmp_path / "fuzz.ply"
    outcomes = {"error": 0, "ok": 0}
    for trial in range(600):
        data = bytearray(raw[: int(rng.integers(0, len(raw)))] if trial % 2 else raw)
        for _ in range(int(rng.integers(1, 4))):
            if data:  # most flips in the header, where the structure is
                data[int(rng.integers(0, min(len(data), header_end + 40)))] ^= 1 << int(rng.integers(0, 8))
        target.write_bytes(bytes(data))
        try:
            arrays = read_ply(target)
            assert arrays["means"].shape[1] == 3
            outcomes["ok"] += 1
        except HeliosError as exc:
            assert str(target) in str(exc)
            outcomes["error"] += 1
    assert outcomes["error"] > 300 and outcomes["ok"] > 5  # flips in the data are values, not damage a PLY can show


def test_pairwise_neighbours_give_the_k_d_trees_bytes():
    from scipy.spatial import cKDTree

    points = clustered_points(5000)  # two row blocks
    tree = cKDTree(points).query(points, k=4)[0][:, 1:].mean(axis=1)
    pairwise = np.sqrt(_nearest_squared_distances(torch.as_tensor(points), 3).numpy()).mean(axis=1)
    assert np.array_equal(pairwise, tree)
    three = points[:3]  # fewer neighbours than k: the mean over the two others
    expected = [np.mean([np.linalg.norm(three[i] - three[j]) for j in range(3) if j != i]) for i in range(3)]
    assert np.allclose(knn_mean_distance(three, k=3), expected, rtol=1e-15)


def test_training_modules_do_not_import_scipy():
    """SciPy costs a GPU job 0.25-0.5 s of start-up; only the CPU neighbour query imports it, when it runs."""
    code = "import sys, helios.cell, helios.seed.training, helios.render; print(sorted(m for m in sys.modules if m.startswith('scipy')))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_neighbours_on_the_gpu_give_the_cpu_bytes():
    points = clustered_points(9000)  # five row blocks on the GPU
    assert np.array_equal(knn_mean_distance(points, device="cuda"), knn_mean_distance(points))
    assert np.array_equal(init_params(points, np.full((9000, 3), 0.5), np.zeros(9000), neighbour_device="cuda")["scales"].numpy(),
                          init_params(points, np.full((9000, 3), 0.5), np.zeros(9000))["scales"].numpy())
