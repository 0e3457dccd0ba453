// Read a sharded pack with the client's pack.js (client/src), as a browser would: the index, each shard's entries,
// then byte ranges of the shard files; print one JSON line: {"ok": {cells: {id: {absMag, shard file, prefix counts}}}} | {"error"} | {"crash"}.
// Usage: node read_pack_index.mjs CLIENT_SRC_URL INDEX.json [FAINTEST_ABS_MAG...]
import { readFile } from "node:fs/promises";

const [clientSrc, indexPath, ...thresholds] = process.argv.slice(2);
const { openPack, decodePoints, starsBrighterThan, PackError } = await import(new URL("pack.js", clientSrc));

// A static server with Range support over the files beside the index (helios/serve.py does the same).
async function fileFetch(url, options = {}) {
  let bytes;
  try {
    bytes = new Uint8Array(await readFile(url));
  } catch {
    return { ok: false, status: 404, headers: { get: () => null }, arrayBuffer: async () => new ArrayBuffer(0) };
  }
  const range = options.headers && options.headers.Range;
  if (!range) return { ok: true, status: 200, headers: { get: () => null }, arrayBuffer: async () => bytes.buffer };
  const match = /^bytes=(\d+)-(\d+)$/.exec(range);
  const first = Number(match[1]);
  const last = Math.min(Number(match[2]), bytes.length - 1);
  if (first >= bytes.length) return { ok: false, status: 416, headers: { get: () => null }, arrayBuffer: async () => new ArrayBuffer(0) };
  const body = bytes.slice(first, last + 1);
  return {
    ok: true,
    status: 206,
    headers: { get: (name) => (name === "Content-Range" ? `bytes ${first}-${last}/${bytes.length}` : null) },
    arrayBuffer: async () => body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength),
  };
}

try {
  const pack = await openPack(indexPath, fileFetch);
  const cells = {};
  for (const cell of await pack.loadAllShards()) {
    const points = decodePoints(await pack.readBlock(cell.blocks.find((block) => block.kind === "points")));
    for (const block of cell.blocks) await pack.readBlock(block);
    cells[cell.id] = {
      file: cell.blocks[0].url,
      absMag: Array.from(points.absMag),
      prefix: thresholds.map((m) => starsBrighterThan(cell, Number(m))),
    };
  }
  console.log(JSON.stringify({ ok: { cells, bytesFetched: pack.bytesFetched } }));
} catch (error) {
  console.log(JSON.stringify(error instanceof PackError ? { error: error.message } : { crash: String(error.stack) }));
}
