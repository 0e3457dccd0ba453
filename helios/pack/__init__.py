"""The pack: every cell of a universe in one file the browser streams by byte range (docs/pack-format.md).

* :mod:`helios.pack.format`: the container, written atomically and read streaming with every check.
* :mod:`helios.pack.records`: the fixed-size records of points, velocities, Gaussians and splats.
* :mod:`helios.pack.assembly`: a universe and what was trained for it, cell by cell, as pack blocks.
"""

from helios.pack.format import (
    MAX_DIRECTORY_BYTES,
    VERSION,
    PackBlock,
    PackCell,
    PackError,
    PackReader,
    read_pack,
    splat_block,
    write_pack,
)

__all__ = ["MAX_DIRECTORY_BYTES", "VERSION", "PackBlock", "PackCell", "PackError", "PackReader", "read_pack", "splat_block", "write_pack"]
