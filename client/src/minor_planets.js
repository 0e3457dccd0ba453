// The solar system's minor planets (helios/minor_planets.py, docs/solar-system.md): minor_planets.bin, beside the pack
// index that lists it, fetched chunk by chunk (brightest first, each under its SHA-256) when the solar system is shown.
// Each orbit is a two-body ellipse about the Sun; the renderer solves Kepler's equation for every orbit on the GPU
// (renderer.js, KEPLER_GLSL).  The mean anomaly is moved to a reference date near the one shown in float64 here
// (rebase), so that the float32 the GPU gets keeps an arcsecond; this file also places one orbit in float64 (search,
// the panel, tests).

import { turnInto } from "./camera.js";
import { PackError, fetchRange, sha256Hex } from "./pack.js";

export const MAGIC = "HELIOSMP";
export const VERSION = 1;
export const FORMAT = "helios-minor-planets";
export const RECORD_BYTES = 48;
const HEAD_BYTES = 16;
const DEG = Math.PI / 180;
/** The J2000 obliquity the orbits' ecliptic is turned by (84381.448", as helios/minor_planets.py). */
const OBLIQUITY = (84381.448 / 3600) * DEG;
/** How far (days) the date shown may run from the reference date before the mean anomalies are moved again. */
export const REBASE_DAYS = 100;

/** A chunk's records as arrays: mean anomaly at the file's epoch and mean motion (float64, degrees and degrees a day),
 * a, e, i, node, perihelion, H, G (float32), number (uint32). */
export function decodeOrbits(bytes) {
  const count = bytes.byteLength / RECORD_BYTES;
  const buffer = bytes.byteOffset % 8 === 0 ? bytes.buffer : bytes.slice().buffer;
  const offset = bytes.byteOffset % 8 === 0 ? bytes.byteOffset : 0;
  const f64 = new Float64Array(buffer, offset, count * 6);
  const f32 = new Float32Array(buffer, offset, count * 12);
  const u32 = new Uint32Array(buffer, offset, count * 12);
  const out = { count, mean: new Float64Array(count), motion: new Float64Array(count), a: new Float32Array(count), e: new Float32Array(count),
    incl: new Float32Array(count), node: new Float32Array(count), peri: new Float32Array(count), h: new Float32Array(count),
    g: new Float32Array(count), number: new Uint32Array(count) };
  for (let i = 0; i < count; i += 1) {
    out.mean[i] = f64[6 * i];
    out.motion[i] = f64[6 * i + 1];
    out.a[i] = f32[12 * i + 4];
    out.e[i] = f32[12 * i + 5];
    out.incl[i] = f32[12 * i + 6];
    out.node[i] = f32[12 * i + 7];
    out.peri[i] = f32[12 * i + 8];
    out.h[i] = f32[12 * i + 9];
    out.g[i] = f32[12 * i + 10];
    out.number[i] = u32[12 * i + 11];
  }
  return out;
}

/** Orbit `i`'s unit vectors to perihelion (P) and 90 degrees on along its motion (Q), ICRS. */
export function orbitAxes(orbits, i) {
  const [w, n, inc] = [orbits.peri[i] * DEG, orbits.node[i] * DEG, orbits.incl[i] * DEG];
  const [cw, sw, cn, sn, ci, si] = [Math.cos(w), Math.sin(w), Math.cos(n), Math.sin(n), Math.cos(inc), Math.sin(inc)];
  const toIcrs = ([x, y, z]) => [x, Math.cos(OBLIQUITY) * y - Math.sin(OBLIQUITY) * z, Math.sin(OBLIQUITY) * y + Math.cos(OBLIQUITY) * z];
  return [toIcrs([cw * cn - sw * sn * ci, cw * sn + sw * cn * ci, sw * si]), toIcrs([-sw * cn - cw * sn * ci, -sw * sn + cw * cn * ci, cw * si])];
}

/** Orbit `i`'s mean anomaly (radians, -pi to pi) `days` after the file's epoch, in float64. */
export function meanAnomaly(orbits, i, days) {
  const M = (((orbits.mean[i] + orbits.motion[i] * days) % 360) + 360) % 360;
  return (M > 180 ? M - 360 : M) * DEG;
}

/** Kepler's equation E - e sin E = M by Newton's method from Danby's start (as helios/minor_planets.py). */
export function eccentricAnomaly(M, e) {
  let E = M + 0.85 * e * Math.sign(Math.sin(M));
  for (let k = 0; k < 50; k += 1) {
    const step = (E - e * Math.sin(E) - M) / (1 - e * Math.cos(E));
    E -= step;
    if (Math.abs(step) < 1e-14) break;
  }
  return E;
}

/** Orbit `i`'s place `days` after the file's epoch: ICRS, au from the Sun (float64). */
export function orbitPlace(orbits, i, days) {
  const e = orbits.e[i];
  const E = eccentricAnomaly(meanAnomaly(orbits, i, days), e);
  const [p, q] = orbitAxes(orbits, i);
  const x = orbits.a[i] * (Math.cos(E) - e);
  const y = orbits.a[i] * Math.sqrt(1 - e * e) * Math.sin(E);
  return [0, 1, 2].map((k) => x * p[k] + y * q[k]);
}

/** V by the H-G law (Bowell et al. 1989) for vectors in au: the Sun to the body and the observer to the body. */
export function hgMagnitude(h, g, sunToBody, observerToBody) {
  const r = Math.hypot(...sunToBody);
  const delta = Math.hypot(...observerToBody);
  const cosPhase = Math.min(1, Math.max(-1, (sunToBody[0] * observerToBody[0] + sunToBody[1] * observerToBody[1]
    + sunToBody[2] * observerToBody[2]) / (r * delta)));
  const tanHalf = Math.sqrt((1 - cosPhase) / (1 + cosPhase));
  const phi1 = Math.exp(-3.33 * tanHalf ** 0.63);
  const phi2 = Math.exp(-1.87 * tanHalf ** 1.22);
  return h + 5 * Math.log10(r * delta) - 2.5 * Math.log10((1 - g) * phi1 + g * phi2);
}

/** H given to the GPU for an orbit without one: its shader draws none above 90. */
const NO_H = 99;

/** The GPU's attributes of a chunk: axes P and Q in the universe's frame (`toFrame` turns ICRS into it; null: ICRS),
 * (M at the reference date, n in radians a day, a, e) and (H, G). */
export function gpuAttributes(orbits, toFrame = null) {
  const axisP = new Float32Array(3 * orbits.count);
  const axisQ = new Float32Array(3 * orbits.count);
  const orbit = new Float32Array(4 * orbits.count);
  const hg = new Float32Array(2 * orbits.count);
  for (let i = 0; i < orbits.count; i += 1) {
    const [p, q] = orbitAxes(orbits, i);
    axisP.set(turnInto(toFrame, p), 3 * i);
    axisQ.set(turnInto(toFrame, q), 3 * i);
    orbit[4 * i + 1] = orbits.motion[i] * DEG;
    orbit[4 * i + 2] = orbits.a[i];
    orbit[4 * i + 3] = orbits.e[i];
    hg[2 * i] = Number.isFinite(orbits.h[i]) ? orbits.h[i] : NO_H; // a NaN would poison the light image
    hg[2 * i + 1] = orbits.g[i];
  }
  return { axisP, axisQ, orbit, hg };
}

/** Move every orbit's mean anomaly (attribute `orbit`, x) to `days` after the file's epoch, in float64. */
export function rebase(orbits, orbit, days) {
  for (let i = 0; i < orbits.count; i += 1) orbit[4 * i] = meanAnomaly(orbits, i, days);
}

const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);

/** Check the pack index's entry for the minor planets; its URL beside the index. */
export function checkMinorPlanetsEntry(entry, indexUrl) {
  const fail = (message) => { throw new PackError(indexUrl, `minor_planets: ${message}`); };
  if (!isObject(entry)) fail("must be an object");
  if (typeof entry.file !== "string" || !/^[0-9A-Za-z_.-]{1,64}\.bin$/.test(entry.file)) fail("file must be a plain .bin name");
  for (const key of ["bytes", "count"]) if (!(Number.isInteger(entry[key]) && entry[key] >= 0)) fail(`${key} must be an integer >= 0`);
  if (!Number.isFinite(entry.epoch_jd)) fail("epoch_jd must be a number");
  return { url: indexUrl.slice(0, indexUrl.lastIndexOf("/") + 1) + entry.file, count: entry.count, epochJd: entry.epoch_jd,
    synthetic: entry.synthetic === true, bytes: entry.bytes };
}

/** minor_planets.bin's directory: its 16-byte head and JSON, fetched by range and checked. */
export async function openMinorPlanets(source, fetchImpl = globalThis.fetch) {
  const head = await fetchRange(source.url, 0, HEAD_BYTES - 1, fetchImpl);
  const bytes = head.bytes;
  const magic = new TextDecoder("latin1").decode(bytes.slice(0, 8));
  if (magic !== MAGIC) throw new PackError(source.url, `not a HELIOS minor planets file (magic ${JSON.stringify(magic)})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== VERSION) throw new PackError(source.url, `minor planets version ${version}; this client reads ${VERSION}`);
  const length = view.getUint32(12, true);
  if (head.total !== null && (length > head.total || head.total !== source.bytes)) {
    throw new PackError(source.url, `${head.total} bytes, the pack index says ${source.bytes} (truncated or another file)`);
  }
  const raw = await fetchRange(source.url, HEAD_BYTES, HEAD_BYTES + length - 1, fetchImpl);
  let directory;
  try {
    directory = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(raw.bytes));
  } catch (error) {
    throw new PackError(source.url, `the directory is not valid JSON (${error.message})`);
  }
  if (directory.format !== FORMAT || directory.record_bytes !== RECORD_BYTES || !Array.isArray(directory.chunks)) {
    throw new PackError(source.url, "not a minor planets directory this client reads");
  }
  return { ...source, directory, fetched: HEAD_BYTES + length };
}

/** Chunk `k` of an opened minor planets file, its SHA-256 checked, decoded. */
export async function fetchChunk(opened, k, fetchImpl = globalThis.fetch) {
  const chunk = opened.directory.chunks[k];
  const { bytes } = await fetchRange(opened.url, chunk.offset, chunk.offset + chunk.length - 1, fetchImpl);
  if (bytes.length !== chunk.length || (await sha256Hex(bytes)) !== chunk.sha256) {
    throw new PackError(opened.url, `chunk ${k} fails its SHA-256 check (corrupt or truncated file)`);
  }
  opened.fetched += bytes.length;
  return decodeOrbits(bytes);
}

/** The named objects (`[record, number, name]`) that `text` finds: a number (`433`, `(433)`), a name or its start
 * (`Ceres`, `cer`), or both (`4 Vesta`); whole-name and number matches first, at most `limit`. */
export function searchMinorPlanets(names, text, limit = 8) {
  const wanted = text.trim().toLowerCase().replace(/[()]/g, "").replace(/\s+/g, " ");
  if (!wanted) return [];
  const match = /^(\d+)(?: (.*))?$/.exec(wanted);
  const number = match ? Number(match[1]) : null;
  const word = match ? (match[2] || "") : wanted;
  const hits = names.filter(([, n, name]) => (number === null || n === number) && name.toLowerCase().startsWith(word));
  return hits.sort((a, b) => Number(a[2].toLowerCase() !== word) - Number(b[2].toLowerCase() !== word)).slice(0, limit);
}

/** How far from a minor planet a flight to it stops (au): drawn as a point, it is a bright star from there. */
export const MINOR_PLANET_VIEW_AU = 0.01;

/** The Julian date (TT) of a Julian year. */
export const julianDateOfYear = (year) => 2451545.0 + (year - 2000.0) * 365.25;

/** The minor planets a page draws: fetched chunk by chunk (brightest first) once first shown, each chunk a drawable
 * about the Sun; their mean anomalies moved to a reference date within REBASE_DAYS of the date shown. */
export class MinorPlanetLayer {
  constructor(source, renderer, { colour, toFrame = null, fetchImpl = globalThis.fetch, onChange = () => {}, onError = () => {} }) {
    Object.assign(this, { source, renderer, colour, toFrame, fetchImpl, onChange, onError });
    this.chunks = []; // {orbits, attributes, object, count}
    this.referenceJd = source.epochJd;
    this.loading = null;
    this.opening = null;
    this.opened = null;
    this.failed = null;
  }

  /** Orbits drawn so far. */
  get count() { return this.chunks.reduce((sum, chunk) => sum + chunk.count, 0); }

  /** Bytes fetched so far. */
  get bytesFetched() { return this.opened ? this.opened.fetched : 0; }

  /** The file's directory (its chunks and named objects), fetched once. */
  open() {
    if (!this.opening) this.opening = openMinorPlanets(this.source, this.fetchImpl).then((opened) => { this.opened = opened; return opened; });
    return this.opening;
  }

  /** Fetch every chunk in order (once); each joins the drawing when it lands. */
  start() {
    if (!this.loading) {
      this.loading = (async () => {
        await this.open();
        for (let k = 0; k < this.opened.directory.chunks.length; k += 1) {
          const orbits = await fetchChunk(this.opened, k, this.fetchImpl);
          const attributes = gpuAttributes(orbits, this.toFrame);
          rebase(orbits, attributes.orbit, this.referenceJd - this.opened.epochJd);
          this.chunks.push({ orbits, attributes, object: this.renderer.makeMinorPlanets(attributes, this.colour), count: orbits.count });
          this.onChange();
        }
      })().catch((error) => { this.failed = error; this.onError(error); });
    }
    return this.loading;
  }

  /** Named minor planets matching `text` (search.js's results: `label`, `minor`: the record); none until the directory
   * is fetched (the first search asks for it and `onReady` runs when it lands). */
  search(text, onReady = () => {}) {
    if (!this.opened) {
      if (text.trim()) this.open().then(onReady, (error) => this.onError(error));
      return [];
    }
    const found = searchMinorPlanets(this.opened.directory.names, text).map(([record, number, name]) => ({
      label: `(${number}) ${name} · minor planet${this.source.synthetic ? " (synthetic)" : ""}`, minor: { record, number, name } }));
    const number = Number(/^\(?(\d+)\)?$/.exec(text.trim())?.[1] ?? 0); // 0: not a number (unnumbered orbits hold 0)
    if (found.length || number === 0) return found;
    // A numbered minor planet without a name (the directory lists the named ones): among the records fetched so far.
    let first = 0;
    for (const chunk of this.chunks) {
      const row = chunk.orbits.number.indexOf(number);
      if (row >= 0) return [{ label: `(${number}) · minor planet`, minor: { record: first + row, number, name: "" } }];
      first += chunk.count;
    }
    return [];
  }

  /** Record `record`'s place at Julian date `jd` (ICRS, au from the Sun) and its H, its chunk fetched first if need be. */
  async placeOf(record, jd) {
    this.start();
    for (;;) {
      let first = 0;
      for (const chunk of this.chunks) {
        if (record < first + chunk.count) {
          const row = record - first;
          return { place: orbitPlace(chunk.orbits, row, jd - this.source.epochJd), h: chunk.orbits.h[row] };
        }
        first += chunk.count;
      }
      if (this.failed) throw this.failed;
      await new Promise((resolve) => { setTimeout(resolve, 50); }); // the next chunk is on its way
    }
  }

  /** The drawables at Julian date `jd` and the days from their reference date (the renderer's `days`). */
  at(jd) {
    if (Math.abs(jd - this.referenceJd) > REBASE_DAYS) {
      this.referenceJd = Math.round(jd);
      for (const chunk of this.chunks) {
        rebase(chunk.orbits, chunk.attributes.orbit, this.referenceJd - this.source.epochJd);
        chunk.object.geometry.getAttribute("orbit").needsUpdate = true;
      }
    }
    return { drawables: this.chunks.map((chunk) => ({ object: chunk.object, centre: [0, 0, 0], count: chunk.count })), days: jd - this.referenceJd };
  }
}
