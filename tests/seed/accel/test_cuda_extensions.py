"""Recorded CUDA extension libraries: fingerprints, refusals on the CPU, a real load on a GPU."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from helios.seed.accel import cuda_extensions as extensions


@pytest.fixture
def fake_source(tmp_path, monkeypatch):
    """``fused_ssim``'s fingerprint computed over a source file of the test's own."""
    source = tmp_path / "kernel.cu"
    source.write_text("__global__ void k() {}\n")
    monkeypatch.setitem(extensions.SOURCES, "fused_ssim", lambda: ([source], "-O3"))
    return source


def test_fingerprint_follows_the_sources_and_flags(fake_source, monkeypatch):
    first = extensions.fingerprint("fused_ssim")
    assert extensions.fingerprint("fused_ssim") == first
    fake_source.write_text("__global__ void k() { /* edited */ }\n")
    edited = extensions.fingerprint("fused_ssim")
    assert edited != first
    monkeypatch.setitem(extensions.SOURCES, "fused_ssim", lambda: ([fake_source], "-O2"))
    assert extensions.fingerprint("fused_ssim") != edited


def test_fingerprint_follows_the_gpu_model(fake_source, monkeypatch):
    """On a cluster with mixed GPU models a library built for one must not load on another."""
    monkeypatch.setattr(extensions, "compute_capability", lambda: "sm_80")
    a100 = extensions.fingerprint("fused_ssim")
    monkeypatch.setattr(extensions, "compute_capability", lambda: "sm_90")
    assert extensions.fingerprint("fused_ssim") != a100


def test_gsplat_fingerprint_covers_its_cuda_sources():
    files, flags = extensions.SOURCES["gsplat"]()
    names = {f.name for f in files}
    assert "ext.cpp" in names and any(n.endswith(".cu") for n in names) and any(n.endswith(".h") for n in names)
    assert flags.startswith("gsplat ")


def manifest(library: Path, fingerprint: str) -> dict:
    return {"format": extensions.MANIFEST_FORMAT, "extensions": {"fused_ssim": {"library": str(library), "fingerprint": fingerprint}}}


def test_a_missing_library_or_changed_sources_fall_back_to_the_jit_builder(fake_source, tmp_path):
    library = tmp_path / "helios_fused_ssim.so"
    assert "missing" in extensions.use_recorded(manifest(library, extensions.fingerprint("fused_ssim")))["fused_ssim"]
    library.write_bytes(b"not a library")
    assert "changed" in extensions.use_recorded(manifest(library, "0" * 64))["fused_ssim"]
    assert "cannot import" in extensions.use_recorded(manifest(library, extensions.fingerprint("fused_ssim")))["fused_ssim"]
    assert extensions.loaded("fused_ssim") is None
    assert extensions.use_recorded({"format": "something else"}) == {}


def test_a_build_report_without_libraries_changes_nothing(tmp_path):
    report = tmp_path / "cuda_extensions.json"
    report.write_text(json.dumps({"gsplat_usable": False, "reason": "training runs on the CPU (torch backend)"}))
    messages = []

    class Logger:
        def info(self, *args):
            messages.append(args)

    extensions.use_recorded_file(report, Logger())
    assert messages == [] and extensions.loaded("gsplat") is None


LOAD_RECORDED = """
import json, sys, torch
from helios.seed.accel.cuda_extensions import use_recorded
outcome = use_recorded(json.loads(open(sys.argv[1]).read()))
assert all(v.startswith("loaded") for v in outcome.values()), outcome
from gsplat.cuda._backend import _C
from helios.seed.accel.fused_ssim import extension
from helios.seed.accel.gsplat_direct import ensure_built
ensure_built()
print(json.dumps({"gsplat": _C.__file__, "fused_ssim": extension().__file__}))
"""


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_a_job_imports_the_recorded_libraries(tmp_path):
    from gsplat.cuda._backend import _C

    from helios.seed.accel.fused_ssim import extension

    recorded = extensions.record({"gsplat": _C, "fused_ssim": extension()})
    path = tmp_path / "libraries.json"
    path.write_text(json.dumps(recorded))
    out = subprocess.run([sys.executable, "-c", LOAD_RECORDED, str(path)], capture_output=True, text=True, check=True).stdout
    used = json.loads(out.strip().splitlines()[-1])
    assert {name: str(Path(p).resolve()) for name, p in used.items()} == {n: e["library"] for n, e in recorded["extensions"].items()}


RECORDED_GSPLAT_FIRST = """
import sys, types
from helios.seed.accel import cuda_extensions as extensions
from helios.seed.accel.gsplat_direct import _compiled, ensure_built
stand_in = types.ModuleType("gsplat_cuda")
extensions._loaded["gsplat"] = stand_in
ensure_built()
assert _compiled() is stand_in
print("gsplat.cuda._backend" in sys.modules, "torch.utils.cpp_extension" in sys.modules)
"""


def test_gsplat_calls_take_the_recorded_library_without_gsplat_s_loader():
    """Its loader imports torch.utils.cpp_extension and setuptools: a job with a recorded library skips them."""
    out = subprocess.run([sys.executable, "-c", RECORDED_GSPLAT_FIRST], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
