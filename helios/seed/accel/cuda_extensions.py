"""Build the CUDA extensions once before a fan-out of jobs; load them in each job without PyTorch's JIT builder.

Every process that loads an extension through ``torch.utils.cpp_extension.load``
(gsplat's and HELIOS's fused SSIM both do) hashes the sources, takes a lock
file in the build directory, writes a ninja file and runs ninja to confirm that
nothing needs rebuilding, then imports the library.  Alone that costs a few
tenths of a second; when a whole fan-out of training jobs starts at once they
queue on the lock one by one (BENCHMARKS.md).  The workflow builds both
extensions once, before the fan-out (rule ``build_cuda_extensions``, :func:`helios.seed.accel.build_extensions.build_cuda_extensions`), and records
where each library lies together with a fingerprint of what it was built from
(sources, headers, PyTorch and CUDA versions, flags, the GPU's compute capability).  A training job recomputes
the fingerprint (hashing ~1 MB of sources, milliseconds) and imports the
recorded library directly when it matches; when it does not (gsplat or PyTorch
upgraded since, a kernel source edited, a GPU of another model) the job falls
back to the JIT path, which rebuilds as before.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

MANIFEST_FORMAT = "helios-cuda-extensions"
_loaded: dict[str, ModuleType] = {}


def _gsplat_files() -> tuple[list[Path], str]:
    """gsplat's CUDA sources and headers (what its JIT build compiles) and its build settings."""
    import gsplat

    root = Path(gsplat.__file__).parent / "cuda"
    files = [root / "ext.cpp"]
    for pattern in ("*.cu", "*.cpp", "*.h", "*.cuh"):
        files += root.joinpath("csrc").glob(pattern)
    files += root.joinpath("include").glob("*")
    flags = f"gsplat {gsplat.__version__} NO_FAST_MATH={os.getenv('NO_FAST_MATH', '0')} FAST_COMPILE={os.getenv('FAST_COMPILE', '0')}"
    return sorted(f for f in files if f.is_file()), flags


#: HELIOS's fused L1 + SSIM kernels (:mod:`helios.seed.accel.fused_ssim` compiles them).
FUSED_SSIM_SOURCE = Path(__file__).with_name("csrc") / "fused_ssim.cu"
FUSED_SSIM_CFLAGS = ["-O3"]


def _fused_ssim_files() -> tuple[list[Path], str]:
    return [FUSED_SSIM_SOURCE], " ".join(FUSED_SSIM_CFLAGS)


SOURCES = {"gsplat": _gsplat_files, "fused_ssim": _fused_ssim_files}


def fingerprint(name: str) -> str:
    """SHA-256 of extension ``name``'s sources and headers, build flags, PyTorch, CUDA, target architectures and GPU.

    The current GPU's compute capability is part of it: on a cluster with mixed
    GPU models, a library built for one is not loaded on another.
    """
    import torch

    files, flags = SOURCES[name]()
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    context = [flags, torch.__version__, str(torch.version.cuda), os.getenv("TORCH_CUDA_ARCH_LIST", ""), sys.version.split()[0],
               compute_capability()]
    digest.update("\0".join(context).encode())
    return digest.hexdigest()


def compute_capability() -> str:
    """``sm_XY`` of the current CUDA device, or ``none`` without CUDA."""
    import torch

    if not torch.cuda.is_available():
        return "none"
    major, minor = torch.cuda.get_device_capability()
    return f"sm_{major}{minor}"


def record(modules: dict[str, ModuleType]) -> dict[str, Any]:
    """The manifest of extensions just built or loaded in this process (``name -> module``)."""
    return {"format": MANIFEST_FORMAT,
            "extensions": {name: {"library": str(Path(module.__file__).resolve()), "fingerprint": fingerprint(name)}
                           for name, module in modules.items()}}


def use_recorded(manifest: dict[str, Any]) -> dict[str, str]:
    """Import every recorded extension whose fingerprint still matches; ``name -> what happened`` (for the log)."""
    outcome: dict[str, str] = {}
    if manifest.get("format") != MANIFEST_FORMAT:
        return outcome
    for name, entry in manifest.get("extensions", {}).items():
        if name not in SOURCES:
            continue
        library = Path(entry["library"])
        if name in _loaded:
            outcome[name] = "already loaded"
        elif not library.is_file():
            outcome[name] = f"{library} is missing: JIT build"
        elif fingerprint(name) != entry["fingerprint"]:
            outcome[name] = "sources, PyTorch or the GPU model changed since build_cuda_extensions: JIT build"
        elif name == "gsplat" and "gsplat.cuda._backend" in sys.modules:
            outcome[name] = "gsplat was already loaded"
        else:
            try:
                _install(name, _import_library(library))
            except (ImportError, OSError) as exc:  # e.g. a library built against other shared objects
                outcome[name] = f"cannot import {library.name} ({exc}): JIT build"
                continue
            outcome[name] = f"loaded {library.name}"
    return outcome


def loaded(name: str) -> ModuleType | None:
    """The extension imported by :func:`use_recorded`, if any."""
    return _loaded.get(name)


def _import_library(library: Path) -> ModuleType:
    module_name = library.name.split(".")[0]
    spec = importlib.util.spec_from_file_location(module_name, library)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import the extension library {library}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _install(name: str, module: ModuleType) -> None:
    _loaded[name] = module
    if name == "gsplat":
        # gsplat's backend first tries ``from gsplat import csrc`` (the library a
        # wheel would ship) and only then its JIT build: offer it this one.
        import gsplat

        sys.modules["gsplat.csrc"] = module
        gsplat.csrc = module


def use_recorded_file(path: str | Path, logger: Any) -> None:
    """:func:`use_recorded` on the ``libraries`` of the ``build_cuda_extensions`` rule's report, saying what happened in the log."""
    import json

    manifest = json.loads(Path(path).read_text()).get("libraries", {})
    for name, what in use_recorded(manifest).items():
        logger.info("CUDA extension %s: %s", name, what)
