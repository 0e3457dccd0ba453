// Reading cells.pack.bin (docs/pack-format.md) over HTTP byte ranges: the header, then the directory,
// then single blocks.  Every check of the Python reader (helios/pack.py) is made here too, so that a
// truncated or corrupt pack gives a clear message naming the file and the problem, never a wrong sky.

import { decodeColour } from "./photometry.js";

export const HEADER_BYTES = 128;
export const MAGIC = "HELIOSPK";
export const VERSION = 2;
const RECORD_BYTES = { points: 16, velocities: 12, level: 32 };
const BLOCK_ALIGN = 64;

export class PackError extends Error {
  constructor(url, message) {
    super(`${url}: ${message}`);
    this.name = "PackError";
  }
}

/** Bytes first..last (inclusive) of url; total is the file's length as the server states it. */
export async function fetchRange(url, first, last, fetchImpl = globalThis.fetch) {
  let response;
  try {
    response = await fetchImpl(url, { headers: { Range: `bytes=${first}-${last}` } });
  } catch (error) {
    throw new PackError(url, `cannot fetch bytes ${first}-${last} (${error.message})`);
  }
  if (response.status === 416) {
    throw new PackError(url, `bytes ${first}-${last} lie beyond the end of the file (truncated?)`);
  }
  if (response.status !== 206 && response.status !== 200) {
    throw new PackError(url, `HTTP ${response.status} for bytes ${first}-${last}`);
  }
  const body = new Uint8Array(await response.arrayBuffer());
  if (response.status === 200) {
    // A server without Range support sends the whole file: take our part of it.
    return { bytes: body.slice(first, last + 1), total: body.length };
  }
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers.get("Content-Range") || "");
  if (!match || Number(match[1]) !== first) {
    throw new PackError(url, `the server answered bytes ${first}-${last} with Content-Range ${response.headers.get("Content-Range")}`);
  }
  return { bytes: body, total: match[3] === "*" ? null : Number(match[3]) };
}

export async function sha256Hex(bytes) {
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The 128-byte header's fields (docs/pack-format.md, "Header"). */
export function parseHeader(bytes, url) {
  if (bytes.length < HEADER_BYTES) {
    throw new PackError(url, `${bytes.length} bytes: too short for a pack header (${HEADER_BYTES} bytes)`);
  }
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (magic !== MAGIC) throw new PackError(url, "not a HELIOS pack (bad magic)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  const version = view.getUint32(8, true);
  if (version !== VERSION) {
    throw new PackError(url, `pack version ${version}; this client reads version ${VERSION} (rebuild the pack)`);
  }
  const header = {
    headerBytes: view.getUint32(12, true),
    cellCount: view.getUint32(16, true),
    directoryOffset: Number(view.getBigUint64(24, true)),
    directoryLength: Number(view.getBigUint64(32, true)),
    fileLength: Number(view.getBigUint64(40, true)),
    directorySha256: Array.from(bytes.subarray(48, 80), (b) => b.toString(16).padStart(2, "0")).join(""),
  };
  if (header.headerBytes !== HEADER_BYTES || header.directoryOffset !== HEADER_BYTES) {
    throw new PackError(url, "header size and directory offset must be 128");
  }
  return header;
}

const isInt = (value) => Number.isInteger(value);
const isFiniteNumber = (value) => typeof value === "number" && Number.isFinite(value);

/** Check a decoded directory against the header and the file length; the cells, checked. */
export function checkDirectory(directory, header, url) {
  const fail = (message) => { throw new PackError(url, message); };
  if (!directory || typeof directory !== "object" || !Array.isArray(directory.cells)) fail("the directory has no cells list");
  if (directory.cells.length !== header.cellCount) {
    fail(`the directory lists ${directory.cells.length} cells, the header ${header.cellCount}`);
  }
  const directoryEnd = header.directoryOffset + header.directoryLength;
  const spans = [];
  const ids = new Set();
  for (const [index, cell] of directory.cells.entries()) {
    const where = `cell ${index} (${cell && cell.id})`;
    if (typeof cell.id !== "string" || ids.has(cell.id)) fail(`${where}: missing or repeated id`);
    ids.add(cell.id);
    if (!Array.isArray(cell.centre_pc) || cell.centre_pc.length !== 3 || !cell.centre_pc.every(isFiniteNumber)) {
      fail(`${where}: centre_pc must be 3 finite numbers`);
    }
    if (!(isFiniteNumber(cell.radius_pc) && cell.radius_pc > 0)) fail(`${where}: radius_pc must be positive`);
    if (!(isInt(cell.stars) && cell.stars >= 0)) fail(`${where}: stars must be an integer >= 0`);
    if (!Array.isArray(cell.blocks)) fail(`${where}: no blocks list`);
    const kinds = cell.blocks.map((block) => block.kind);
    if (kinds.filter((kind) => kind === "points").length !== 1) fail(`${where}: needs exactly one points block`);
    if (kinds.filter((kind) => kind === "velocities").length > 1) fail(`${where}: more than one velocities block`);
    if (kinds.filter((kind) => kind === "splats").length > 1) fail(`${where}: more than one splats block`);
    for (const block of cell.blocks) {
      const what = `${where}, ${block.kind} block`;
      let record = RECORD_BYTES[block.kind];
      if (block.kind === "splats") {
        record = { f32: 56, f16: 28 }[block.encoding];
        if (!record) fail(`${what}: unknown encoding ${block.encoding}`);
        if (!(isFiniteNumber(block.unit_pc) && block.unit_pc > 0)) fail(`${what}: unit_pc must be positive`);
      }
      if (!record) fail(`${what}: unknown block kind`);
      if (!(isInt(block.count) && block.count >= 0 && isInt(block.offset) && isInt(block.length))) {
        fail(`${what}: count, offset and length must be integers`);
      }
      if (block.length !== block.count * record) fail(`${what}: length ${block.length} is not ${block.count} x ${record} bytes`);
      if (block.offset % BLOCK_ALIGN !== 0) fail(`${what}: offset ${block.offset} is not a multiple of ${BLOCK_ALIGN}`);
      if (block.offset < directoryEnd || block.offset + block.length > header.fileLength) {
        fail(`${what}: bytes ${block.offset}+${block.length} lie outside the file's data`);
      }
      if ((block.kind === "points" || block.kind === "velocities") && block.count !== cell.stars) {
        fail(`${what}: ${block.count} records for ${cell.stars} stars`);
      }
      if (block.kind === "level") {
        if (!(isInt(block.level) && block.level >= 1)) fail(`${what}: level must be an integer >= 1`);
        if (!(block.fraction > 0 && block.fraction < 1)) fail(`${what}: fraction must lie in (0, 1)`);
        if (!(isInt(block.points) && block.points >= 0 && block.points <= cell.stars)) fail(`${what}: points must lie in [0, stars]`);
        const needsMag = block.points < cell.stars;
        if (needsMag ? !isFiniteNumber(block.remainder_abs_mag) : block.remainder_abs_mag !== null) {
          fail(`${what}: remainder_abs_mag must be ${needsMag ? "a finite number" : "null"}`);
        }
      }
      if (typeof block.sha256 !== "string") fail(`${what}: no sha256`);
      spans.push([block.offset, block.offset + block.length, what]);
    }
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i += 1) {
    if (spans[i][0] < spans[i - 1][1]) fail(`${spans[i][2]} overlaps ${spans[i - 1][2]}`);
  }
  return directory.cells;
}

/** An open pack: its directory and cells; blocks are fetched on demand. */
export class Pack {
  constructor(url, header, directory, fetchImpl) {
    this.url = url;
    this.header = header;
    this.directory = directory;
    this.meta = directory.meta || {};
    this.cells = directory.cells;
    this.fetchImpl = fetchImpl;
    this.bytesFetched = HEADER_BYTES + header.directoryLength;
  }

  /** A whole block's bytes, its SHA-256 checked. */
  async readBlock(block) {
    if (block.length === 0) return new Uint8Array(0);
    const { bytes } = await fetchRange(this.url, block.offset, block.offset + block.length - 1, this.fetchImpl);
    this.bytesFetched += bytes.length;
    if (bytes.length !== block.length) {
      throw new PackError(this.url, `a ${block.kind} block came back with ${bytes.length} of its ${block.length} bytes`);
    }
    if ((await sha256Hex(bytes)) !== block.sha256) {
      throw new PackError(this.url, `the ${block.kind} block at byte ${block.offset} fails its SHA-256 check (corrupt file)`);
    }
    return bytes;
  }

  /** The first `count` records of a block (a prefix: the brightest stars); checked when it is the whole block. */
  async readPrefix(block, count) {
    const record = RECORD_BYTES[block.kind];
    if (count >= block.count) return this.readBlock(block);
    if (count <= 0) return new Uint8Array(0);
    const { bytes } = await fetchRange(this.url, block.offset, block.offset + count * record - 1, this.fetchImpl);
    this.bytesFetched += bytes.length;
    if (bytes.length !== count * record) throw new PackError(this.url, `a ${block.kind} prefix came back short`);
    return bytes;
  }
}

/** Open a pack by URL: header (one range), directory (one range), both checked. */
export async function openPack(url, fetchImpl = globalThis.fetch) {
  const first = await fetchRange(url, 0, HEADER_BYTES - 1, fetchImpl);
  const header = parseHeader(first.bytes, url);
  if (first.total !== null && first.total !== header.fileLength) {
    throw new PackError(url, `the file has ${first.total} bytes, its header says ${header.fileLength} (truncated or damaged)`);
  }
  const end = header.directoryOffset + header.directoryLength;
  if (end > header.fileLength) throw new PackError(url, "the directory runs past the end of the file");
  const { bytes } = await fetchRange(url, header.directoryOffset, end - 1, fetchImpl);
  if (bytes.length !== header.directoryLength) throw new PackError(url, "the directory came back short (truncated file)");
  if ((await sha256Hex(bytes)) !== header.directorySha256) {
    throw new PackError(url, "the directory fails its SHA-256 check (corrupt file)");
  }
  let directory;
  try {
    directory = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw new PackError(url, `the directory is not valid JSON (${error.message})`);
  }
  checkDirectory(directory, header, url);
  return new Pack(url, header, directory, fetchImpl);
}

/** IEEE half precision to a JS number. */
export function halfToFloat(h) {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** Points records: positions (pc from the cell's centre), absolute magnitudes, unit-luminance linear colours. */
export function decodePoints(bytes) {
  const count = bytes.length / 16;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const positions = new Float32Array(count * 3);
  const absMag = new Float32Array(count);
  const colours = new Float32Array(count * 3);
  for (let i = 0; i < count; i += 1) {
    const at = i * 16;
    positions[3 * i] = view.getFloat32(at, true);
    positions[3 * i + 1] = view.getFloat32(at + 4, true);
    positions[3 * i + 2] = view.getFloat32(at + 8, true);
    absMag[i] = halfToFloat(view.getUint16(at + 12, true));
    const colour = decodeColour(view.getUint16(at + 14, true));
    colours.set(colour, 3 * i);
  }
  return { count, positions, absMag, colours };
}

/** Velocities records: pc/kyr, the points' order. */
export function decodeVelocities(bytes) {
  const count = bytes.length / 12;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const velocities = new Float32Array(count * 3);
  for (let i = 0; i < count * 3; i += 1) velocities[i] = view.getFloat32(4 * i, true);
  return velocities;
}

/** Level records: each Gaussian's mean (pc from the cell's centre), covariance R diag(sigma^2) R^T
 * (xx, xy, xz, yy, yz, zz; pc^2) and light, L x colour with L = 10^(-0.4 M) (docs/pack-format.md, "level"). */
export function decodeLevel(bytes) {
  const count = bytes.length / 32;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const means = new Float32Array(count * 3);
  const covariances = new Float32Array(count * 6);
  const light = new Float32Array(count * 3);
  const half = (at) => halfToFloat(view.getUint16(at, true));
  for (let i = 0; i < count; i += 1) {
    const at = i * 32;
    for (let k = 0; k < 3; k += 1) means[3 * i + k] = view.getFloat32(at + 4 * k, true);
    const variance = [0, 1, 2].map((k) => Math.exp(2 * half(at + 12 + 2 * k)));
    let [w, x, y, z] = [0, 1, 2, 3].map((k) => half(at + 18 + 2 * k));
    const length = Math.hypot(w, x, y, z) || 1;
    [w, x, y, z] = [w / length, x / length, y / length, z / length];
    const r = [
      [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
      [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
      [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
    ];
    const c = (a, b) => r[a][0] * variance[0] * r[b][0] + r[a][1] * variance[1] * r[b][1] + r[a][2] * variance[2] * r[b][2];
    covariances.set([c(0, 0), c(0, 1), c(0, 2), c(1, 1), c(1, 2), c(2, 2)], 6 * i);
    const luminosity = 10 ** (-0.4 * half(at + 26));
    const colour = decodeColour(view.getUint16(at + 28, true));
    light.set([luminosity * colour[0], luminosity * colour[1], luminosity * colour[2]], 3 * i);
  }
  return { count, means, covariances, light };
}
