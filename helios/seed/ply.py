"""The seed trainer's splats on disk: INRIA 3DGS PLY, degree-0 layout (numpy only: the pack and the validation read
them without torch; :func:`helios.seed.splats.write_ply` writes them from the trainer's tensors)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from helios.errors import HeliosError

PLY_PROPERTIES = (
    "x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2", "opacity",
    "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3",
)


def read_ply(path: str | Path) -> dict[str, np.ndarray]:
    """Read a PLY written by :func:`helios.seed.splats.write_ply` (the INRIA degree-0 layout) into arrays.

    Anything else, or a damaged file, is a :class:`HeliosError` naming the file and what is wrong.
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise HeliosError(f"{path}: cannot read the PLY file ({exc.strerror or exc})") from None
    if not raw.startswith(b"ply\n"):
        raise HeliosError(f"{path}: not a PLY file (it does not start with a 'ply' line)")
    end = raw.find(b"end_header\n")
    if end < 0:
        raise HeliosError(f"{path}: the PLY header has no end_header line (the file is cut short in its header, or not a PLY)")
    try:
        lines = raw[:end].decode("ascii").splitlines()
    except UnicodeDecodeError as exc:
        raise HeliosError(f"{path}: the PLY header holds a non-ASCII byte at offset {exc.start}") from None
    if "format binary_little_endian 1.0" not in lines:
        raise HeliosError(f"{path}: only binary little-endian PLY is supported (no 'format binary_little_endian 1.0' line)")
    elements = [line.split() for line in lines if line.startswith("element")]
    if len(elements) != 1 or len(elements[0]) != 3 or elements[0][1] != "vertex" or not elements[0][2].isdigit():
        raise HeliosError(f"{path}: expected one 'element vertex N' line in the PLY header, found {[' '.join(e) for e in elements]}")
    count = int(elements[0][2])
    properties = [line.split() for line in lines if line.startswith("property")]
    if any(len(words) != 3 or words[1] != "float" for words in properties):
        raise HeliosError(f"{path}: every PLY property must read 'property float NAME'")
    names = tuple(words[2] for words in properties)
    if names != PLY_PROPERTIES:
        raise HeliosError(f"{path}: unexpected PLY properties {names}")
    body = raw[end + len(b"end_header\n"):]
    expected = count * 4 * len(names)
    if len(body) < expected:
        raise HeliosError(f"{path}: the PLY data is cut short: {len(body)} bytes of the {expected} its header promises ({count} splats)")
    if len(body) > expected:
        raise HeliosError(f"{path}: {len(body) - expected} bytes follow the {count} splats its header promises ({expected} bytes expected)")
    data = np.frombuffer(body, dtype="<f4").reshape(count, len(names))
    return {
        "means": data[:, 0:3],
        "colors": data[:, 6:9],
        "opacities": data[:, 9],
        "scales": data[:, 10:13],
        "quats": data[:, 13:17],
    }


def ply_records(ply: dict[str, np.ndarray]) -> np.ndarray:
    """``[N, 14]`` values of :func:`read_ply` arrays in the pack's splat order (``helios.pack.records.SPLAT_FIELDS``)."""
    return np.concatenate([ply["means"], ply["scales"], ply["quats"], ply["opacities"][:, None], ply["colors"]], axis=1)
