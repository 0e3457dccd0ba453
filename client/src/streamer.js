// Which cells to load, and loading them: the cells whose bounding sphere meets the view (the test of
// `helios render`), nearest first, a few requests at a time, each cell's points block by byte range
// (and its velocities when the time control is away from the pack's epoch), into an LRU cache under a
// byte budget.  The level rule (rule.js) is evaluated for every visible cell so that the HUD and the
// tests can see what it asks for.

import { CellCache } from "./cache.js";
import { decodePoints, decodeVelocities } from "./pack.js";
import { chooseLevel } from "./rule.js";
import { norm, sub } from "./camera.js";

const MAX_IN_FLIGHT = 6;
const BYTES_PER_STAR = 28; // decoded position (12), magnitude (4), colour (12); the GPU holds the same
const BYTES_PER_VELOCITY = 12;

export class Streamer {
  constructor(pack, renderer, { budgetBytes, maxSpeed, reachPx, ruleConstants, onChange, onError }) {
    this.pack = pack;
    this.renderer = renderer;
    this.maxSpeed = maxSpeed; // cell id -> fastest star, pc/kyr (index.json)
    this.reachPx = reachPx;
    this.ruleConstants = ruleConstants;
    this.onChange = onChange;
    this.onError = onError;
    this.cache = new CellCache(budgetBytes, (id, entry) => this.renderer.dispose(entry.object));
    this.pending = new Map(); // id -> promise
    this.overBudget = false;
    this.visibleIds = new Set();
    this.levelChoices = {};
    this.requests = 0;
    this.reservedBytes = 0; // of the loads in flight: the budget counts them before they land
  }

  radius(cell, kyr) {
    return cell.radius_pc + (this.maxSpeed.get(cell.id) || 0) * Math.abs(kyr);
  }

  /** The cells a camera sees, nearest first. */
  visible(camera, kyr) {
    return this.pack.cells
      .filter((cell) => cell.stars > 0 && camera.seesSphere(cell.centre_pc, this.radius(cell, kyr), this.reachPx))
      .map((cell) => ({ cell, distance: norm(sub(cell.centre_pc, camera.eye)) }))
      .sort((a, b) => a.distance - b.distance);
  }

  /** Start loading what `camera` sees; the drawables of what is loaded.  `prefetch`: also a camera to load for. */
  update(camera, kyr, limitingMag, prefetch = null) {
    this.kyr = kyr;
    const visible = this.visible(camera, kyr);
    this.visibleIds = new Set(visible.map(({ cell }) => cell.id));
    this.levelChoices = {};
    const keep = new Set(this.visibleIds);
    const wanted = visible.slice();
    if (prefetch) {
      for (const item of this.visible(prefetch, kyr)) {
        keep.add(item.cell.id);
        if (!this.visibleIds.has(item.cell.id)) wanted.push(item);
      }
    }
    this.overBudget = false;
    for (const { cell } of wanted) this.request(cell, kyr !== 0, keep);
    const drawables = [];
    for (const { cell, distance } of visible) {
      const levels = cell.blocks.filter((block) => block.kind === "level");
      const level = kyr === 0 && levels.length ? chooseLevel(levels, cell.radius_pc, distance, camera.focal, limitingMag, this.ruleConstants) : null;
      this.levelChoices[cell.id] = level ? level.level : 0;
      const entry = this.cache.get(cell.id);
      if (entry) drawables.push({ object: entry.object, centre: cell.centre_pc, count: entry.count });
    }
    return drawables;
  }

  request(cell, withVelocities, keep) {
    const entry = this.cache.has(cell.id) ? this.cache.get(cell.id) : null;
    const hasVelocities = cell.blocks.some((block) => block.kind === "velocities");
    if (entry && (entry.velocities || !withVelocities || !hasVelocities)) return;
    if (this.pending.has(cell.id) || this.pending.size >= MAX_IN_FLIGHT) return;
    const bytes = cell.stars * (BYTES_PER_STAR + (withVelocities && hasVelocities ? BYTES_PER_VELOCITY : 0));
    const extra = bytes - (entry ? entry.bytes : 0);
    if (!this.cache.makeRoom(extra + this.reservedBytes, keep)) {
      this.overBudget = true;
      return;
    }
    this.reservedBytes += extra;
    this.pending.set(cell.id, this.load(cell, withVelocities && hasVelocities, bytes, extra));
  }

  async load(cell, withVelocities, bytes, extra) {
    try {
      this.requests += 1;
      const pointsBlock = cell.blocks.find((block) => block.kind === "points");
      const points = decodePoints(await this.pack.readBlock(pointsBlock));
      let velocities = null;
      if (withVelocities) {
        this.requests += 1;
        velocities = decodeVelocities(await this.pack.readBlock(cell.blocks.find((block) => block.kind === "velocities")));
      }
      const old = this.cache.has(cell.id) ? this.cache.get(cell.id) : null;
      if (old) this.renderer.dispose(old.object);
      const object = this.renderer.makeStars(points, velocities);
      this.cache.set(cell.id, { object, count: points.count, velocities: Boolean(velocities), bytes }, bytes);
    } catch (error) {
      this.onError(error);
    } finally {
      this.reservedBytes -= extra;
      this.pending.delete(cell.id);
      this.onChange();
    }
  }

  /** Whether every visible cell is loaded (with what the time control needs) and nothing is in flight. */
  settled() {
    if (this.pending.size > 0) return false;
    if (this.overBudget) return true; // as much as the budget holds is drawn
    return this.pack.cells.every((cell) => !this.visibleIds.has(cell.id) || this.isLoaded(cell));
  }

  isLoaded(cell) {
    if (!this.cache.has(cell.id)) return false;
    const needsVelocities = this.kyr !== 0 && cell.blocks.some((block) => block.kind === "velocities");
    return !needsVelocities || this.cache.entries.get(cell.id).value.velocities;
  }
}
