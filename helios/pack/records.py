"""The records of a pack's blocks, as bytes (``docs/pack-format.md``).

- ``points`` (16 bytes): a star, position ``x y z`` (float32, pc relative to the cell's centre),
  absolute magnitude (float16) and colour (RGB565, see :func:`encode_colour`).
- ``gaussians`` (32 bytes): a level's Gaussian, mean ``x y z`` (float32, pc relative to the centre),
  ``ln sigma_0..2`` (float16, ln pc), rotation ``w x y z`` (float16, unit quaternion), absolute
  magnitude of the light it carries (float16), colour (RGB565), 2 zero bytes.
- ``ids`` (16 bytes): a star's catalogue id (int64, -1 for none; what it numbers: the pack's ``meta.ids``),
  effective temperature (float32, K) and how its distance, colour and motion were found (one byte each: the
  index into :data:`helios.ingest.DISTANCE_METHODS`, ``COLOUR_METHODS``, ``MOTION_METHODS``; 255 unknown), 1 zero byte.
- ``splats_f32`` / ``splats_f16`` (56 / 28 bytes): the seed trainer's splats, 14 values as in the
  INRIA PLY without the normals (:data:`SPLAT_FIELDS`).

A colour is linear sRGB at unit luminance (``docs/photometry.md``); it is stored as the sRGB-encoded
colour scaled to a largest channel of 1, in 5/6/5 bits; decoding undoes the curve and rescales to
unit luminance, so brightness lives in the magnitude alone.
"""

from __future__ import annotations

import numpy as np

from helios import photometry
from helios.colour import srgb_encode

SPLAT_FIELDS = ("x", "y", "z", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3", "opacity", "f_dc_0", "f_dc_1", "f_dc_2")
POINT_RECORD = np.dtype([("position", "<f4", 3), ("abs_mag", "<f2"), ("colour", "<u2")])
GAUSSIAN_RECORD = np.dtype([("mean", "<f4", 3), ("log_sigma", "<f2", 3), ("rotation", "<f2", 4), ("abs_mag", "<f2"),
                            ("colour", "<u2"), ("spare", "<u2")])
SPLAT_RECORDS = {"f32": np.dtype(("<f4", len(SPLAT_FIELDS))), "f16": np.dtype(("<f2", len(SPLAT_FIELDS)))}
VELOCITY_RECORD = np.dtype(("<f4", 3))
ID_RECORD = np.dtype([("source_id", "<i8"), ("teff_k", "<f4"), ("distance_method", "u1"), ("colour_method", "u1"),
                      ("motion_method", "u1"), ("spare", "u1")])
#: An ``ids`` record's method byte when the cell file does not say.
UNKNOWN_METHOD = 255
#: Record bytes by block kind (``splats`` by encoding).
RECORD_BYTES = {"points": POINT_RECORD.itemsize, "level": GAUSSIAN_RECORD.itemsize, "velocities": VELOCITY_RECORD.itemsize,
                "ids": ID_RECORD.itemsize,
                **{f"splats_{name}": dtype.itemsize for name, dtype in SPLAT_RECORDS.items()}}


def encode_colour(colours: np.ndarray) -> np.ndarray:
    """RGB565 of unit-luminance linear colours ``[N, 3]``."""
    colours = np.clip(np.asarray(colours, np.float64), 0, None)
    peak = colours.max(axis=1, keepdims=True)
    shown = srgb_encode(np.divide(colours, peak, out=np.ones_like(colours), where=peak > 0))
    r, g, b = (np.rint(shown[:, i] * top).astype(np.uint16) for i, top in enumerate((31, 63, 31)))
    return (r << 11) | (g << 5) | b


def decode_colour(packed: np.ndarray) -> np.ndarray:
    """Unit-luminance linear colours ``[N, 3]`` of RGB565 values."""
    packed = np.asarray(packed, np.uint16)
    shown = np.stack([(packed >> 11) / 31.0, ((packed >> 5) & 63) / 63.0, (packed & 31) / 31.0], axis=1)
    linear = np.where(shown <= 0.04045, shown / 12.92, ((shown + 0.055) / 1.055) ** 2.4)
    return photometry.unit_luminance(linear)


def encode_points(positions: np.ndarray, abs_mag: np.ndarray, colours: np.ndarray) -> bytes:
    """``positions`` pc relative to the cell's centre, ``abs_mag``, unit-luminance ``colours``."""
    records = np.zeros(len(abs_mag), POINT_RECORD)
    records["position"] = positions
    records["abs_mag"] = abs_mag
    records["colour"] = encode_colour(colours)
    return records.tobytes()


def decode_points(data: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions (pc relative to the centre), absolute magnitudes and colours of a ``points`` block."""
    records = np.frombuffer(data, POINT_RECORD)
    return records["position"].astype(np.float64), records["abs_mag"].astype(np.float64), decode_colour(records["colour"])


def encode_velocities(velocities: np.ndarray) -> bytes:
    """Space velocities ``[N, 3]``, pc/kyr in the universe's frame, as float32."""
    return np.ascontiguousarray(np.asarray(velocities).reshape(-1, 3), dtype="<f4").tobytes()


def decode_velocities(data: bytes) -> np.ndarray:
    return np.frombuffer(data, "<f4").reshape(-1, 3).astype(np.float64)


def encode_ids(source_id: np.ndarray, teff_k: np.ndarray, methods: dict[str, np.ndarray]) -> bytes:
    """Ids records: ``source_id`` (int64, -1 for none), ``teff_k`` and the method codes by column name."""
    records = np.zeros(len(source_id), ID_RECORD)
    records["source_id"] = source_id
    records["teff_k"] = teff_k
    for name, codes in methods.items():
        records[name] = codes
    return records.tobytes()


def decode_ids(data: bytes) -> np.ndarray:
    """An ``ids`` block as a structured array (:data:`ID_RECORD`)."""
    return np.frombuffer(data, ID_RECORD)


def encode_gaussians(means: np.ndarray, sigmas: np.ndarray, rotations: np.ndarray, abs_mag: np.ndarray, colours: np.ndarray) -> bytes:
    """``means`` pc relative to the centre, ``sigmas`` pc, ``rotations`` unit quaternions (w x y z)."""
    records = np.zeros(len(abs_mag), GAUSSIAN_RECORD)
    records["mean"] = means
    records["log_sigma"] = np.log(sigmas)
    records["rotation"] = rotations
    records["abs_mag"] = abs_mag
    records["colour"] = encode_colour(colours)
    return records.tobytes()


def decode_gaussians(data: bytes) -> dict[str, np.ndarray]:
    """``mean`` (pc relative to the centre), ``sigma`` (pc), ``rotation`` (w x y z), ``abs_mag`` and ``colour`` of a level block."""
    records = np.frombuffer(data, GAUSSIAN_RECORD)
    return {"mean": records["mean"].astype(np.float64), "sigma": np.exp(records["log_sigma"].astype(np.float64)),
            "rotation": records["rotation"].astype(np.float64), "abs_mag": records["abs_mag"].astype(np.float64),
            "colour": decode_colour(records["colour"])}
