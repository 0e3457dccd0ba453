// Read pack files with the client's pack.js (client/src), as a browser would by byte range (then verify
// every byte, as helios.pack.read_pack does), and print one JSON line per file:
// {"ok": {...decoded...}} | {"error": PackError message} | {"crash": stack}.
// Usage: node read_packs.mjs CLIENT_SRC_URL [--decode] FILE...
import { readFile } from "node:fs/promises";

const [clientSrc, ...rest] = process.argv.slice(2);
const decode = rest[0] === "--decode";
const files = decode ? rest.slice(1) : rest;
const { openPack, decodeIds, decodePoints, decodeVelocities, PackError } = await import(new URL("pack.js", clientSrc));

function rangeFetch(bytes) {
  // A static server with Range support (helios/serve.py) over the file's bytes.
  return async (url, options) => {
    const match = /^bytes=(\d+)-(\d+)$/.exec(options.headers.Range);
    const first = Number(match[1]);
    const last = Math.min(Number(match[2]), bytes.length - 1);
    if (first >= bytes.length) return { status: 416, headers: { get: () => null }, arrayBuffer: async () => new ArrayBuffer(0) };
    const body = bytes.slice(first, last + 1);
    return {
      status: 206,
      headers: { get: (name) => (name === "Content-Range" ? `bytes ${first}-${last}/${bytes.length}` : null) },
      arrayBuffer: async () => body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength),
    };
  };
}

for (const file of files) {
  const bytes = new Uint8Array(await readFile(file));
  try {
    const pack = await openPack(file, rangeFetch(bytes));
    await pack.verify(); // every block and padding byte, as helios.pack.read_pack checks them
    const cells = {};
    for (const cell of pack.cells) {
      const out = {};
      for (const block of cell.blocks) {
        const data = await pack.readBlock(block);
        if (!decode) continue;
        if (block.kind === "points") {
          const points = decodePoints(data);
          out.positions = Array.from(points.positions);
          out.absMag = Array.from(points.absMag);
          out.colours = Array.from(points.colours);
        } else if (block.kind === "velocities") {
          out.velocities = Array.from(decodeVelocities(data));
        } else if (block.kind === "ids") {
          const ids = decodeIds(data);
          out.ids = { sourceIds: Array.from(ids.sourceIds, String), teff: Array.from(ids.teff), methods: ids.methods };
        }
      }
      cells[cell.id] = out;
    }
    console.log(JSON.stringify({ ok: decode ? { meta: pack.meta, cells } : true }));
  } catch (error) {
    console.log(JSON.stringify(error instanceof PackError ? { error: error.message } : { crash: String(error.stack) }));
  }
}
