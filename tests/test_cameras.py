import numpy as np
import torch

from helios.cameras import look_at, sample_views


def project(view, K, points):
    cam = points @ view[:3, :3].T + view[:3, 3]
    return np.stack([K[0, 0] * cam[:, 0] / cam[:, 2] + K[0, 2], K[1, 1] * cam[:, 1] / cam[:, 2] + K[1, 2]], axis=1), cam[:, 2]


def test_look_at_puts_the_target_at_the_image_centre_in_front():
    view = look_at(np.array([1.0, 2.0, 3.0]), np.zeros(3), 0.7)
    assert np.allclose(view[:3, :3] @ view[:3, :3].T, np.eye(3))
    cam = view[:3, :3] @ np.zeros(3) + view[:3, 3]
    assert np.allclose(cam[:2], 0) and cam[2] > 0


def test_views_frame_the_bounding_sphere():
    views = sample_views(16, 64, seed=3)
    rng = np.random.default_rng(0)
    sphere = rng.normal(size=(500, 3))
    sphere /= np.linalg.norm(sphere, axis=1, keepdims=True)
    for view, K in zip(views.viewmats.double().numpy(), views.Ks.double().numpy()):
        eye = -view[:3, :3].T @ view[:3, 3]
        assert 2.0 <= np.linalg.norm(eye) <= 3.0
        uv, depth = project(view, K, sphere)
        assert (depth > 0).all()
        assert (uv >= 0).all() and (uv <= 64).all()
        assert uv.min() < 12 or uv.max() > 52  # the sphere fills most of the frame


def test_seeds_give_different_views():
    a, b = sample_views(4, 32, seed=1), sample_views(4, 32, seed=2)
    assert not torch.allclose(a.viewmats, b.viewmats)
    assert torch.equal(a.viewmats, sample_views(4, 32, seed=1).viewmats)


def test_pinhole_looks_at_its_target_with_up_at_the_top_and_east_to_the_left():
    from helios.cameras import pinhole
    from helios.measure import project as project_points

    # From the Sun towards +x (RA 0h, Dec 0) with the north pole (+z) up: +y (RA 6h, east) lies to the left.
    views = pinhole(np.zeros(3), np.array([10.0, 0.0, 0.0]), 90.0, 200, 100)
    x, y, depth = project_points(np.array([[10.0, 0.0, 0.0], [10.0, 0.0, 1.0], [10.0, 1.0, 0.0], [-10.0, 0.0, 0.0]]), views)
    assert np.allclose([x[0], y[0]], [100.0, 50.0]) and depth[0] > 0
    assert y[1] < 50 and np.isclose(x[1], 100.0)  # north is up
    assert x[2] < 100 and np.isclose(y[2], 50.0)  # east is left, as on the sky seen from inside
    assert depth[3] < 0
    # 90 degrees horizontal: a point 45 degrees to the side lands on the image edge
    x, _, _ = project_points(np.array([[10.0, -10.0, 0.0]]), views)
    assert np.isclose(x[0], 200.0)


def test_pinhole_rejects_a_camera_without_direction_or_with_up_along_it():
    import pytest

    from helios.cameras import pinhole

    with pytest.raises(ValueError, match="looks at its own position"):
        pinhole(np.ones(3), np.ones(3), 60.0, 10, 10)
    with pytest.raises(ValueError, match="parallel"):
        pinhole(np.zeros(3), np.array([0.0, 0.0, 5.0]), 60.0, 10, 10)
    with pytest.raises(ValueError, match="between 0 and 180"):
        pinhole(np.zeros(3), np.ones(3), 180.0, 10, 10)
