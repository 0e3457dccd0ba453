"""The partition: ingest parts -> one parquet file per leaf cell, in stages shaped like hats-import's.

1. ``count`` (a job per part): the stars under each fine key of the cell tree (:mod:`helios.cell_tree`).
2. ``plan`` (one small job): the counts summed fix the leaves (no leaf over ``grid.max_stars``) and group
   them, in fine-key order, into shards of at most ``partition.shard_rows`` rows.
3. ``split`` (a job per part): each star to its leaf's shard, one Arrow file per shard the part reaches.
4. ``reduce`` (a job per shard): the shard's rows from every part, each leaf sorted brightest first and
   written as a parquet file in the grid's frame, with its index entries.
5. ``gather`` (one small job): ``index.json`` from the shards' entries and ``ingest_summary.json``.

A global ``catalog.limit`` (keep the N brightest stars) is one more small job before the counts
(:mod:`helios.partition.limit`).  No stage holds more than one part, one shard or the counts (one number
per non-empty fine key), so every job's memory is bounded whatever the number of stars.
"""

from helios.partition.in_process import build_universe
from helios.partition.index import INDEX_FORMAT, INDEX_VERSION, read_index

__all__ = ["INDEX_FORMAT", "INDEX_VERSION", "build_universe", "read_index"]
