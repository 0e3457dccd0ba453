// Reading a pack (docs/pack-format.md) over HTTP byte ranges: a pack index whole (then byte ranges of its shard
// files), or a pack file's header, then its directory,
// then single blocks.  Every check of the Python reader (helios/pack/format.py) is made here too, so that a
// truncated or corrupt pack gives a clear message naming the file and the problem, never a wrong sky.
// Values read from the file appear in messages escaped (show), never raw.

import { decodeColour } from "./photometry.js";

export const HEADER_BYTES = 128;
export const MAGIC = "HELIOSPK";
export const VERSION = 3;
export const DIRECTORY_FORMAT = "helios-pack-directory";
export const INDEX_FORMAT = "helios-pack-index";
export const INDEX_VERSION = 2;
export const SHARD_ENTRIES_FORMAT = "helios-pack-shard";
const SHARD_FILE = /^[0-9A-Za-z_.-]{1,80}\.pack\.bin$/;
const SHARD_ENTRIES = /^[0-9A-Za-z_.-]{1,80}\.json$/;
const MAX_MAGNITUDE_STEPS = 64;
export const MAX_DIRECTORY_BYTES = 64 * 1024 * 1024;
export const MAX_DIRECTORY_DEPTH = 16;
const HEADER_FIELDS_BYTES = 80; // then their SHA-256 (32 bytes) and 16 zero bytes
const RECORD_BYTES = { points: 16, velocities: 12, ids: 16, level: 32 };
const SPLAT_RECORD_BYTES = { f32: 56, f16: 28 };
const BLOCK_ALIGN = 64;
const CELL_ID = /^[0-9A-Za-z_.-]{1,64}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

const align = (offset) => Math.ceil(offset / BLOCK_ALIGN) * BLOCK_ALIGN;

/** A value read from the file, for a message: JSON with everything outside printable ASCII escaped, and short. */
export function show(value, limit = 40) {
  let text;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(typeof value);
  }
  text = text.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return text.length <= limit ? text : `${text.slice(0, limit)}...`;
}

/** How deep the arrays and objects of UTF-8 JSON bytes nest: a linear scan (strings skipped), stopping past limit. */
export function jsonDepth(bytes, limit = MAX_DIRECTORY_DEPTH) {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i += 1) {
    const b = bytes[i];
    if (inString) {
      if (b === 0x5c) i += 1; // a backslash escapes the next byte
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) {
      inString = true;
    } else if (b === 0x5b || b === 0x7b) {
      depth += 1;
      if (depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if (b === 0x5d || b === 0x7d) {
      depth -= 1;
    }
  }
  return deepest;
}

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

/** The 128-byte header's fields (docs/pack-format.md, "Header"); its own SHA-256 is checked by checkHeaderDigest. */
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
  if (bytes.subarray(HEADER_FIELDS_BYTES + 32, HEADER_BYTES).some((b) => b !== 0)) {
    throw new PackError(url, `corrupt header: bytes ${HEADER_FIELDS_BYTES + 32}-${HEADER_BYTES - 1} must be zero`);
  }
  const header = {
    headerBytes: view.getUint32(12, true),
    cellCount: view.getUint32(16, true),
    directoryOffset: Number(view.getBigUint64(24, true)),
    directoryLength: Number(view.getBigUint64(32, true)),
    fileLength: Number(view.getBigUint64(40, true)),
    directorySha256: Array.from(bytes.subarray(48, 80), (b) => b.toString(16).padStart(2, "0")).join(""),
    headerSha256: Array.from(bytes.subarray(80, 112), (b) => b.toString(16).padStart(2, "0")).join(""),
  };
  if (header.headerBytes !== HEADER_BYTES || header.directoryOffset !== HEADER_BYTES || view.getUint32(20, true) !== 0) {
    throw new PackError(url, "header size and directory offset must be 128, the reserved field 0");
  }
  if (header.directoryLength > MAX_DIRECTORY_BYTES) {
    throw new PackError(url, `a directory of ${header.directoryLength} bytes is larger than the ${MAX_DIRECTORY_BYTES} bytes a reader accepts`);
  }
  return header;
}

/** The header's own checksum: the SHA-256 of its first 80 bytes, stored in bytes 80-111. */
export async function checkHeaderDigest(bytes, header, url) {
  if ((await sha256Hex(bytes.subarray(0, HEADER_FIELDS_BYTES))) !== header.headerSha256) {
    throw new PackError(url, "the header fails its SHA-256 check (corrupt file)");
  }
}

const isInt = (value) => Number.isInteger(value);
const isFiniteNumber = (value) => typeof value === "number" && Number.isFinite(value);

const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);

/** Check a decoded directory against the header and the file length; the cells, checked. */
export function checkDirectory(directory, header, url) {
  const fail = (message) => { throw new PackError(url, message); };
  if (!isObject(directory)) fail("the directory is not a JSON object");
  if (directory.format !== DIRECTORY_FORMAT) fail(`not a HELIOS pack directory (format ${show(directory.format)})`);
  if (!("version" in directory)) fail("the directory has no version");
  if (directory.version !== VERSION) fail(`directory version ${show(directory.version)} is not the header's ${VERSION}`);
  if ("meta" in directory && !isObject(directory.meta)) fail("the directory's meta is not an object");
  if (!Array.isArray(directory.cells)) fail("the directory has no cells list");
  if (directory.cells.length !== header.cellCount) {
    fail(`the directory lists ${directory.cells.length} cells, the header ${header.cellCount}`);
  }
  const directoryEnd = header.directoryOffset + header.directoryLength;
  const spans = [];
  const ids = new Set();
  for (const [index, cell] of directory.cells.entries()) {
    if (!isObject(cell)) fail(`directory entry ${index} is not an object`);
    if (typeof cell.id !== "string" || !CELL_ID.test(cell.id)) {
      fail(`directory entry ${index}: invalid id ${show(cell.id)} (1 to 64 of A-Z a-z 0-9 _ . -)`);
    }
    const where = `cell ${cell.id}`;
    if (ids.has(cell.id)) fail(`${where} appears twice`);
    ids.add(cell.id);
    if (!Array.isArray(cell.centre_pc) || cell.centre_pc.length !== 3 || !cell.centre_pc.every(isFiniteNumber)) {
      fail(`${where}: centre_pc must be 3 finite numbers`);
    }
    if (!(isFiniteNumber(cell.radius_pc) && cell.radius_pc > 0)) fail(`${where}: radius_pc must be positive`);
    if (!(isInt(cell.stars) && cell.stars >= 0)) fail(`${where}: stars must be an integer >= 0`);
    if (!Array.isArray(cell.blocks) || !cell.blocks.every(isObject)) fail(`${where}: no blocks list`);
    const kinds = cell.blocks.map((block) => block.kind);
    if (kinds.filter((kind) => kind === "points").length !== 1) fail(`${where}: needs exactly one points block`);
    if (kinds.filter((kind) => kind === "velocities").length > 1) fail(`${where}: more than one velocities block`);
    if (kinds.filter((kind) => kind === "ids").length > 1) fail(`${where}: more than one ids block`);
    if (kinds.filter((kind) => kind === "splats").length > 1) fail(`${where}: more than one splats block`);
    for (const block of cell.blocks) {
      const what = `${where}, ${show(block.kind)} block`;
      let record = Object.hasOwn(RECORD_BYTES, block.kind) ? RECORD_BYTES[block.kind] : undefined;
      if (block.kind === "splats") {
        record = Object.hasOwn(SPLAT_RECORD_BYTES, block.encoding) ? SPLAT_RECORD_BYTES[block.encoding] : undefined;
        if (!record) fail(`${what}: unknown encoding ${show(block.encoding)}`);
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
      if (["points", "velocities", "ids"].includes(block.kind) && block.count !== cell.stars) {
        fail(`${what}: ${block.count} records for ${cell.stars} stars`);
      }
      if (block.kind === "level") {
        if (!(isInt(block.level) && block.level >= 1)) fail(`${what}: level must be an integer >= 1`);
        if (!(isFiniteNumber(block.fraction) && block.fraction > 0 && block.fraction < 1)) fail(`${what}: fraction must lie in (0, 1)`);
        if (!(isInt(block.points) && block.points >= 0 && block.points <= cell.stars)) fail(`${what}: points must lie in [0, stars]`);
        const needsMag = block.points < cell.stars;
        if (needsMag ? !isFiniteNumber(block.remainder_abs_mag) : block.remainder_abs_mag !== null) {
          fail(`${what}: remainder_abs_mag must be ${needsMag ? "a finite number" : "null"}`);
        }
      }
      if (typeof block.sha256 !== "string" || !SHA256_HEX.test(block.sha256)) fail(`${what}: no sha256 (64 hex digits)`);
      spans.push([block.offset, block.offset + block.length, what]);
    }
  }
  // Blocks follow each other, each at the first multiple of 64 bytes after the previous one (the first after the
  // directory), and the file ends with the last: nothing but zero padding lies outside a checksum.
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let previousEnd = directoryEnd;
  for (const [offset, end, what] of spans) {
    if (offset < previousEnd) fail(`${what} overlaps the directory or another block`);
    if (offset !== align(previousEnd)) fail(`${what}: ${offset - previousEnd}-byte gap before it (only alignment padding may lie between blocks)`);
    previousEnd = end;
  }
  if (previousEnd !== header.fileLength) fail(`${header.fileLength - previousEnd} bytes after the last block`);
  return directory.cells;
}

/** An open pack: its directory and cells; blocks are fetched on demand. */
export class Pack {
  /** A pack file (header and directory read) or a sharded pack (its index read: header null, every block naming its
   * shard's file in `url`); `firstBytes` is what opening it fetched. */
  constructor(url, header, directory, fetchImpl, firstBytes = HEADER_BYTES + (header ? header.directoryLength : 0)) {
    this.url = url;
    this.header = header;
    this.directory = directory;
    this.meta = directory.meta || {};
    this.cells = directory.cells;
    this.fetchImpl = fetchImpl;
    this.bytesFetched = firstBytes;
    this.shardHeaders = new Map(); // shard file URL -> the check of its header (one 128-byte range, once)
    this.shards = null; // a sharded pack's shards (checkPackIndex): their cells come with loadShard
  }

  /** A shard's cell entries, fetched once (whole, checked against the index's size and SHA-256, then as a directory
   * of the shard's file); they join `cells`.  Returns them. */
  loadShard(shard) {
    if (!shard.loading) {
      shard.loading = (async () => {
        const bytes = await fetchWhole(shard.entriesUrl, "the shard's entries", this.fetchImpl);
        this.bytesFetched += bytes.length;
        if (bytes.length !== shard.entriesBytes || (await sha256Hex(bytes)) !== shard.entriesSha256) {
          throw new PackError(shard.entriesUrl, "the shard's entries are not the ones the pack index lists (size or SHA-256 differ)");
        }
        const document = parseJson(bytes, shard.entriesUrl, "the shard's entries");
        if (!isObject(document) || document.format !== SHARD_ENTRIES_FORMAT || document.shard !== shard.id || !Array.isArray(document.cells)) {
          throw new PackError(shard.entriesUrl, `not the entries of shard ${show(shard.id)} (format ${show(document && document.format)})`);
        }
        const header = { cellCount: shard.cellCount, directoryOffset: HEADER_BYTES, directoryLength: shard.directoryBytes, fileLength: shard.bytes };
        const fail = (message) => { throw new PackError(shard.entriesUrl, message); };
        for (const cell of document.cells) if (isObject(cell)) checkEntryExtras(cell, fail);
        checkDirectory({ format: DIRECTORY_FORMAT, version: VERSION, meta: this.meta, cells: document.cells }, header, shard.url);
        const record = { url: shard.url, bytes: shard.bytes, directory_bytes: shard.directoryBytes };
        for (const cell of document.cells) {
          cell.shard = shard.number;
          for (const block of cell.blocks) {
            block.url = shard.url;
            block.shard = record;
          }
        }
        this.cells.push(...document.cells);
        shard.cells = document.cells;
        return document.cells;
      })();
    }
    return shard.loading;
  }

  /** Every shard's cells (a tool's or a test's view of the whole pack; the viewer loads only what it can see). */
  async loadAllShards() {
    if (this.shards) for (const shard of this.shards) await this.loadShard(shard);
    return this.cells;
  }

  /** A sharded pack's block: check its shard file's header once (magic, version, its own SHA-256, and the length of
   * the file and its directory against the index), so that a truncated or replaced shard file is named as such. */
  async checkShard(block) {
    if (!block.shard) return;
    const { url, bytes: fileLength, directory_bytes: directoryLength } = block.shard;
    if (!this.shardHeaders.has(url)) {
      this.shardHeaders.set(url, (async () => {
        const first = await fetchRange(url, 0, HEADER_BYTES - 1, this.fetchImpl);
        this.bytesFetched += first.bytes.length;
        const header = parseHeader(first.bytes, url);
        await checkHeaderDigest(first.bytes, header, url);
        if (first.total !== null && first.total !== header.fileLength) {
          throw new PackError(url, `the file has ${first.total} bytes, its header says ${header.fileLength} (truncated or damaged)`);
        }
        if (header.fileLength !== fileLength || header.directoryLength !== directoryLength) {
          throw new PackError(url, "the file is not the one the pack index lists (its lengths differ)");
        }
      })());
    }
    await this.shardHeaders.get(url);
  }

  /** A whole block's bytes, its SHA-256 checked. */
  async readBlock(block) {
    await this.checkShard(block);
    const url = block.url || this.url;
    if (block.length === 0) {
      if (block.sha256 !== EMPTY_SHA256) throw new PackError(url, `an empty ${block.kind} block fails its SHA-256 check`);
      return new Uint8Array(0);
    }
    const { bytes } = await fetchRange(url, block.offset, block.offset + block.length - 1, this.fetchImpl);
    this.bytesFetched += bytes.length;
    if (bytes.length !== block.length) {
      throw new PackError(url, `a ${block.kind} block came back with ${bytes.length} of its ${block.length} bytes`);
    }
    if ((await sha256Hex(bytes)) !== block.sha256) {
      throw new PackError(url, `the ${block.kind} block at byte ${block.offset} fails its SHA-256 check (corrupt file)`);
    }
    return bytes;
  }

  /** Check every byte after the directory, as helios.pack's verify(): each block's SHA-256 and the zero padding
   * before it, one range (padding and block) at a time.  The viewer does not need it (it checks what it fetches). */
  async verify() {
    if (!this.header) throw new PackError(this.url, "verify reads one pack file: open a shard's file to verify it");
    const blocks = this.cells.flatMap((cell) => cell.blocks).sort((a, b) => a.offset - b.offset || a.length - b.length);
    let position = this.header.directoryOffset + this.header.directoryLength;
    for (const block of blocks) {
      const end = block.offset + block.length;
      let data = new Uint8Array(0);
      if (end > position) {
        const { bytes } = await fetchRange(this.url, position, end - 1, this.fetchImpl);
        this.bytesFetched += bytes.length;
        if (bytes.length !== end - position) throw new PackError(this.url, `bytes ${position}-${end - 1} came back short (truncated file)`);
        const zero = bytes.subarray(0, block.offset - position).findIndex((b) => b !== 0);
        if (zero >= 0) throw new PackError(this.url, `padding at byte ${position + zero} is not zero (corrupt file)`);
        data = bytes.subarray(block.offset - position);
      }
      if ((await sha256Hex(data)) !== block.sha256) {
        throw new PackError(this.url, `the ${block.kind} block at byte ${block.offset} fails its SHA-256 check (corrupt file)`);
      }
      position = end;
    }
  }

  /** `count` records of a block from record `first` (one star's points, velocity: the click-a-star panel), unchecked as
   * a prefix is. */
  async readRecords(block, first, count = 1) {
    const record = RECORD_BYTES[block.kind];
    if (!(first >= 0 && first + count <= block.count)) throw new PackError(block.url || this.url, `no ${block.kind} record ${first}`);
    await this.checkShard(block);
    const url = block.url || this.url;
    const { bytes } = await fetchRange(url, block.offset + first * record, block.offset + (first + count) * record - 1, this.fetchImpl);
    this.bytesFetched += bytes.length;
    if (bytes.length !== count * record) throw new PackError(url, `${block.kind} records came back short`);
    return bytes;
  }

  /** The first `count` records of a block (a prefix: the brightest stars); checked when it is the whole block. */
  async readPrefix(block, count) {
    const record = RECORD_BYTES[block.kind];
    if (count >= block.count) return this.readBlock(block);
    if (count <= 0) return new Uint8Array(0);
    await this.checkShard(block);
    const url = block.url || this.url;
    const { bytes } = await fetchRange(url, block.offset, block.offset + count * record - 1, this.fetchImpl);
    this.bytesFetched += bytes.length;
    if (bytes.length !== count * record) throw new PackError(url, `a ${block.kind} prefix came back short`);
    return bytes;
  }
}

/** Open a pack by URL: a pack index (`.json`, docs/pack-format.md "Sharded packs": one request) or a pack file
 * (header and directory, one range each), checked. */
export async function openPack(url, fetchImpl = globalThis.fetch) {
  if (/\.json(\?|#|$)/.test(url)) return openPackIndex(url, fetchImpl);
  const first = await fetchRange(url, 0, HEADER_BYTES - 1, fetchImpl);
  const header = parseHeader(first.bytes, url);
  await checkHeaderDigest(first.bytes, header, url);
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
  if (jsonDepth(bytes) > MAX_DIRECTORY_DEPTH) {
    throw new PackError(url, `the directory is nested deeper than ${MAX_DIRECTORY_DEPTH} levels (corrupt file)`);
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

/** A whole file's bytes (at most MAX_DIRECTORY_BYTES). */
async function fetchWhole(url, what, fetchImpl) {
  let response;
  try {
    response = await fetchImpl(url);
  } catch (error) {
    throw new PackError(url, `cannot fetch ${what} (${error.message})`);
  }
  if (!response.ok) throw new PackError(url, `HTTP ${response.status} for ${what}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.length > MAX_DIRECTORY_BYTES) {
    throw new PackError(url, `${what}: ${bytes.length} bytes, more than the ${MAX_DIRECTORY_BYTES} bytes a reader accepts`);
  }
  return bytes;
}

/** JSON text (UTF-8, nested at most MAX_DIRECTORY_DEPTH deep, checked before parsing) as a value. */
function parseJson(bytes, url, what) {
  if (jsonDepth(bytes) > MAX_DIRECTORY_DEPTH) throw new PackError(url, `${what}: nested deeper than ${MAX_DIRECTORY_DEPTH} levels`);
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw new PackError(url, `${what}: not valid JSON (${error.message})`);
  }
}

/** Open a sharded pack by its index's URL: the index fetched whole and checked; each shard's cells come when the
 * viewer asks for them (Pack.loadShard). */
export async function openPackIndex(url, fetchImpl = globalThis.fetch) {
  const bytes = await fetchWhole(url, "the pack index", fetchImpl);
  const index = parseJson(bytes, url, "the pack index");
  const shards = checkPackIndex(index, url);
  const pack = new Pack(url, null, { meta: index.meta, cells: [] }, fetchImpl, bytes.length);
  pack.shards = shards;
  pack.minorPlanetsEntry = index.minor_planets ?? null; // checked by minor_planets.js when first shown
  return pack;
}

const isPoint = (value) => Array.isArray(value) && value.length === 3 && value.every(isFiniteNumber);

/** Check a pack index: its shards, each with its files and the summary of its cells (docs/pack-format.md).  The
 * shards, each with the URLs of its pack file and its entries. */
export function checkPackIndex(index, url) {
  const fail = (message) => { throw new PackError(url, message); };
  if (!isObject(index)) fail("the pack index is not a JSON object");
  if (index.format !== INDEX_FORMAT) fail(`not a HELIOS pack index (format ${show(index.format)})`);
  if (index.version !== INDEX_VERSION) fail(`pack index version ${show(index.version)}; this client reads version ${INDEX_VERSION}`);
  if ("meta" in index && !isObject(index.meta)) fail("the pack index's meta is not an object");
  if (!Array.isArray(index.shards)) fail("the pack index needs a shards list");
  const base = url.slice(0, url.lastIndexOf("/") + 1);
  return index.shards.map((shard, number) => {
    const where = `shard ${number}`;
    if (!isObject(shard) || typeof shard.file !== "string" || !SHARD_FILE.test(shard.file)) {
      fail(`${where}: file must be a name like shard-0000.pack.bin (got ${show(shard && shard.file)})`);
    }
    if (typeof shard.entries !== "string" || !SHARD_ENTRIES.test(shard.entries)) {
      fail(`${where}: entries must be a name like shard-0000.json (got ${show(shard.entries)})`);
    }
    for (const key of ["bytes", "directory_bytes", "cells", "entries_bytes", "stars"]) {
      if (!(isInt(shard[key]) && shard[key] >= 0)) fail(`${where}: ${key} must be an integer >= 0`);
    }
    if (typeof shard.entries_sha256 !== "string" || !SHA256_HEX.test(shard.entries_sha256)) fail(`${where}: entries_sha256 must be 64 hex digits`);
    if (!isPoint(shard.centre_pc) || !(isFiniteNumber(shard.radius_pc) && shard.radius_pc >= 0)) {
      fail(`${where}: centre_pc must be 3 finite numbers and radius_pc a number >= 0`);
    }
    const { r_min_pc: rMin, r_max_pc: rMax } = shard;
    if (!(isFiniteNumber(rMin) && rMin >= 0 && (rMax === null || (isFiniteNumber(rMax) && rMax >= rMin)))) {
      fail(`${where}: r_min_pc must be a number >= 0 and r_max_pc null or at least r_min_pc`);
    }
    if (!(shard.brightest_abs_mag === null || isFiniteNumber(shard.brightest_abs_mag))) fail(`${where}: brightest_abs_mag must be a number or null`);
    if (!(isFiniteNumber(shard.max_speed_pc_kyr) && shard.max_speed_pc_kyr >= 0)) fail(`${where}: max_speed_pc_kyr must be a number >= 0`);
    if (typeof shard.levels !== "boolean") fail(`${where}: levels must be true or false`);
    return {
      number, id: shard.id, url: base + shard.file, entriesUrl: base + shard.entries, bytes: shard.bytes,
      directoryBytes: shard.directory_bytes, cellCount: shard.cells, entriesBytes: shard.entries_bytes,
      entriesSha256: shard.entries_sha256, centre: shard.centre_pc, radius: shard.radius_pc, rMin, rMax: rMax === null ? Infinity : rMax,
      brightest: shard.brightest_abs_mag, maxSpeed: shard.max_speed_pc_kyr, stars: shard.stars, levels: shard.levels,
      cells: null, loading: null,
    };
  });
}

/** The fields a shard's entries add to a directory's cell: its magnitude steps and its extent in the grid. */
function checkEntryExtras(cell, fail) {
  const steps = cell.magnitudes;
  if (steps !== undefined && !(Array.isArray(steps) && steps.length <= MAX_MAGNITUDE_STEPS && steps.every(isFiniteNumber)
      && steps.every((m, i) => i === 0 || m >= steps[i - 1]))) {
    fail(`cell ${show(cell.id)}: magnitudes must be at most ${MAX_MAGNITUDE_STEPS} finite numbers, faintest last`);
  }
  if (cell.bounds !== undefined && !validBounds(cell.bounds)) {
    fail(`cell ${show(cell.id)}: bounds must give r_min_pc <= r_max_pc (or null), theta_min_rad <= theta_max_rad and `
      + "0 <= phi_min_rad <= phi_max_rad <= pi, finite numbers");
  }
  if (cell.max_speed_pc_kyr !== undefined && !(isFiniteNumber(cell.max_speed_pc_kyr) && cell.max_speed_pc_kyr >= 0)) {
    fail(`cell ${show(cell.id)}: max_speed_pc_kyr must be a number >= 0`);
  }
}

/** Whether `bounds` is a cell's extent in the grid (docs/cells.md) that cellbox.js can measure. */
function validBounds(bounds) {
  if (!isObject(bounds)) return false;
  const { r_min_pc: rMin, r_max_pc: rMax, theta_min_rad: t0, theta_max_rad: t1, phi_min_rad: p0, phi_max_rad: p1 } = bounds;
  return [rMin, t0, t1, p0, p1].every(isFiniteNumber) && rMin >= 0 && (rMax === null || (isFiniteNumber(rMax) && rMax >= rMin))
    && t0 <= t1 && p0 >= 0 && p0 <= p1 && p1 <= Math.PI + 1e-12;
}

/** How many of a cell's stars (a prefix of its points block, brightest first) may show when the faintest that shows
 * has absolute magnitude `faintest`: from the index's magnitude steps (stars 1, 2, 4, ... and the last), at most
 * twice as many as needed; every star when the pack has no steps. */
export function starsBrighterThan(cell, faintest) {
  const steps = cell.magnitudes;
  if (!steps || !steps.length) return cell.stars;
  for (let k = 0; k < steps.length; k += 1) {
    if (steps[k] > faintest) return k === steps.length - 1 ? cell.stars - 1 : 2 ** k - 1;
  }
  return cell.stars;
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

/** How a star's distance, colour and motion were found: the ids record's method bytes (helios/ingest.py's lists). */
export const METHODS = {
  distance: ["parallax", "edsd", "column"],
  colour: ["bp_rp", "bp_minus_rp", "teff_gspphot", "neutral"],
  motion: ["proper_motion_and_radial_velocity", "proper_motion_only", "radial_velocity_only", "none"],
};

/** Ids records (docs/pack-format.md, "ids"): catalogue ids (BigInt, -1n for none), temperatures (K), method names. */
export function decodeIds(bytes) {
  const count = bytes.length / 16;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const sourceIds = new BigInt64Array(count);
  const teff = new Float32Array(count);
  const methods = { distance: [], colour: [], motion: [] };
  for (let i = 0; i < count; i += 1) {
    const at = i * 16;
    sourceIds[i] = view.getBigInt64(at, true);
    teff[i] = view.getFloat32(at + 8, true);
    for (const [k, name] of ["distance", "colour", "motion"].entries()) {
      methods[name].push(METHODS[name][view.getUint8(at + 12 + k)] ?? null);
    }
  }
  return { count, sourceIds, teff, methods };
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
