// Who a star is: its records in the pack (points, velocity, the cell's ids block), its names (star_names.json), and
// where a Gaia DR3 source_id lies.  What the click-a-star panel shows and what search finds (docs/client.md, "What is
// that star?"); main.js puts it on the page.

import { add, norm, scale, sub } from "./camera.js";
import { angleToCell } from "./cellbox.js";
import { GAIA_LEVEL, gaiaDirection, pixelRadius } from "./healpix.js";
import { formatDistance } from "./hud.js";
import { decodeIds, decodePoints, decodeVelocities } from "./pack.js";
import { checkNames, designations, formatId, starAt } from "./stars.js";

/** 1 pc/kyr in km/s (the IAU parsec and Julian year). */
const KM_S_PER_PC_KYR = 977.7922216807891;
/** Cells whose ids blocks are kept (each fetched whole, its SHA-256 checked, when a star of it is asked about). */
const IDS_CACHE_CELLS = 16;
/** The epoch of Gaia DR3's places, whose HEALPix pixel a source_id holds. */
const GAIA_EPOCH = 2016.0;

export class StarCatalogue {
  /** `pack` (pack.js), `site` (site.json: star_names, icrs_to_frame), `fetchJson(url)`. */
  constructor(pack, site, fetchJson) {
    this.pack = pack;
    this.site = site;
    this.fetchJson = fetchJson;
    this.names = null; // star_names.json, once fetched
    this.namesLoading = null;
    this.ids = new Map(); // cell id -> its decoded ids block (at most IDS_CACHE_CELLS, the oldest dropped)
  }

  /** star_names.json, fetched and checked once (nothing where the site has none). */
  loadNames() {
    if (!this.site.star_names) return Promise.resolve(null);
    this.namesLoading ??= this.fetchJson(this.site.star_names).then((document) => { this.names = checkNames(document, this.site.star_names); });
    return this.namesLoading;
  }

  /** The pack's cell `cellId` (its shard's entries fetched first when need be). */
  async findCell(cellId, shardId) {
    let cell = this.pack.cells.find((c) => c.id === cellId);
    if (!cell && this.pack.shards) {
      const shard = this.pack.shards.find((s) => s.id === shardId);
      if (shard) await this.pack.loadShard(shard);
      cell = this.pack.cells.find((c) => c.id === cellId);
    }
    if (!cell) throw new Error(`the pack has no cell ${cellId}`);
    return cell;
  }

  /** A cell's decoded ids block (null for a pack without ids). */
  async cellIds(cell) {
    if (!this.ids.has(cell.id)) {
      const block = cell.blocks.find((b) => b.kind === "ids");
      this.ids.set(cell.id, block ? decodeIds(await this.pack.readBlock(block)) : null);
      if (this.ids.size > IDS_CACHE_CELLS) this.ids.delete(this.ids.keys().next().value);
    }
    return this.ids.get(cell.id);
  }

  /** What the panel says of star `row` of `cell` seen from `eye`, `kyr` from the pack's epoch: {title, rows: [[term,
   * value]], position, id, hip, absMag, fromSun, fromEye}. */
  async describe(cell, row, eye, kyr) {
    const block = (kind) => cell.blocks.find((b) => b.kind === kind);
    const [points, velocities, ids] = await Promise.all([
      this.pack.readRecords(block("points"), row).then(decodePoints),
      block("velocities") ? this.pack.readRecords(block("velocities"), row).then(decodeVelocities) : null,
      this.cellIds(cell),
      this.loadNames(),
    ]);
    const velocity = velocities ? Array.from(velocities) : null;
    const position = add(add(cell.centre_pc, Array.from(points.positions)), velocity ? scale(velocity, kyr) : [0, 0, 0]);
    const absMag = points.absMag[0];
    const fromSun = norm(position);
    const fromEye = norm(sub(position, eye));
    const apparent = (d) => (d > 0 ? (absMag + 5 * Math.log10(d / 10)).toFixed(2) : "-");
    const id = ids ? ids.sourceIds[row] : -1n;
    const known = starAt(this.names, cell.id, row); // its HIP number and names, where the names file has them
    const idText = formatId(id, this.pack.meta.ids);
    const names = known ? (known.star ? designations(known.star) : [`HIP ${known.hip}`]) : [];
    const title = names[0] ?? idText ?? `star ${row + 1} of cell ${cell.id}`;
    const rows = [];
    if (names.length > 1) rows.push(["designations", names.slice(1).join(", ")]);
    if (idText && !names.includes(idText)) rows.push(["catalogue id", idText]);
    rows.push(["apparent magnitude", `${apparent(fromEye)} from here, ${apparent(fromSun)} from the Sun`]);
    rows.push(["absolute magnitude", absMag.toFixed(2)]);
    rows.push(["distance", `${formatDistance(fromEye)} from here, ${formatDistance(fromSun)} from the Sun`]);
    if (ids) {
      rows.push(["temperature", `${Math.round(ids.teff[row])} K${ids.methods.colour[row] ? ` (colour from ${ids.methods.colour[row]})` : ""}`]);
      if (ids.methods.distance[row]) rows.push(["distance from", ids.methods.distance[row]]);
    }
    if (velocity) {
      const motion = ids && ids.methods.motion[row] ? ` (${ids.methods.motion[row].replaceAll("_", " ")})` : "";
      rows.push(["space velocity", `${(norm(velocity) * KM_S_PER_PC_KYR).toFixed(1)} km/s relative to the Sun${motion}`]);
    }
    rows.push(["in the pack", `cell ${cell.id}, star ${row + 1} of ${cell.stars}`]);
    return { title, rows, position, cell: cell.id, row, id: id < 0n ? null : String(id), hip: known ? known.hip : null, absMag, fromSun, fromEye };
  }

  /** The star with Gaia DR3 source_id `sourceId` (a BigInt): its level-12 HEALPix pixel (the id's top bits) gives its
   * direction from the Sun; the ids blocks of the cells along that line of sight, nearest first, are fetched (each
   * checked) until one holds it.  {cell, row, searched} or {cell: null, searched}. */
  async findGaia(sourceId, packEpoch) {
    const icrs = gaiaDirection(sourceId);
    const m = this.site.icrs_to_frame;
    const direction = m ? [0, 1, 2].map((i) => m[i][0] * icrs[0] + m[i][1] * icrs[1] + m[i][2] * icrs[2]) : icrs;
    const kyr = Math.abs(packEpoch - GAIA_EPOCH) / 1000; // the pack's places are at its epoch, the pixel at Gaia's
    const tolerance = pixelRadius(GAIA_LEVEL);
    const meets = (centre, radius) => {
      const along = centre[0] * direction[0] + centre[1] * direction[1] + centre[2] * direction[2];
      if (along < -radius) return false;
      return norm(sub(centre, scale(direction, along))) <= radius + tolerance * (Math.max(along, 0) + radius);
    };
    if (this.pack.shards) {
      const wanted = this.pack.shards.filter((shard) => !shard.cells && shard.stars > 0 && meets(shard.centre, shard.radius + shard.maxSpeed * kyr));
      await Promise.all(wanted.map((shard) => this.pack.loadShard(shard)));
    }
    // A cell's extent in the grid, where the entries give it, is exact (its sphere is loose near the Sun); a star
    // within it may have moved by its fastest star's drift since Gaia's epoch, an angle of at most drift / r_min.
    const onLine = (cell) => {
      const drift = (cell.max_speed_pc_kyr || 0) * kyr;
      if (!cell.bounds || !(cell.bounds.r_min_pc > drift)) return meets(cell.centre_pc, cell.radius_pc + drift);
      return angleToCell(cell.bounds, direction) <= tolerance + Math.asin(drift / cell.bounds.r_min_pc);
    };
    const nearness = (cell) => (cell.bounds ? cell.bounds.r_min_pc : norm(cell.centre_pc) - cell.radius_pc);
    const along = this.pack.cells.filter((cell) => cell.stars > 0 && onLine(cell)).sort((a, b) => nearness(a) - nearness(b));
    for (const [searched, cell] of along.entries()) {
      const ids = await this.cellIds(cell);
      const row = ids ? ids.sourceIds.indexOf(sourceId) : -1;
      if (row >= 0) return { cell, row, searched: searched + 1 };
    }
    return { cell: null, searched: along.length };
  }
}
