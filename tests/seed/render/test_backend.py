"""Backend choice: the command line uses CUDA where it is; a workflow job only when it was given a GPU."""

import pytest
import torch

from helios.errors import HeliosError
from helios.seed.render import resolve_backend


def test_a_job_given_no_gpu_trains_on_the_cpu_even_where_cuda_is(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    for requested in ("auto", "torch"):
        backend, device, why = resolve_backend(requested, cuda=False)
        assert (backend, device.type) == ("torch", "cpu") and "trains on the CPU" in why
    with pytest.raises(HeliosError, match="backend gsplat needs a GPU, but this job was given none"):
        resolve_backend("gsplat", cuda=False)


def test_a_job_given_a_gpu_without_cuda_is_an_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(HeliosError, match="given a GPU but CUDA is not available"):
        resolve_backend("auto", cuda=True)
    assert resolve_backend("auto")[:2] == ("torch", torch.device("cpu"))  # the command line: CUDA where it is
    with pytest.raises(HeliosError, match="unknown backend 'vulkan'"):
        resolve_backend("vulkan")
