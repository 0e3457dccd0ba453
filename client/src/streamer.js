// Which cells to load, and loading them.  A sharded pack's cells come shard by shard: a shard's entries are
// fetched when its sphere meets the view and its brightest star can show (shardsWanted).  Of the cells loaded, those
// whose bounding sphere meets the view (the test of `helios render`) are planned nearest first: the level rule
// (rule.js, shared with Python) picks each cell's level, or every star as a point; a level needs its point prefix
// (the brightest `points` stars: one byte range at the start of the points block) and its Gaussians (the level
// block).  Away from the pack's epoch every star is a point and the velocities come too (docs/motion.md).  Loads
// run a few at a time into an LRU cache under a byte budget that counts the loads in flight.

import { CellCache } from "./cache.js";
import { norm, sub } from "./camera.js";
import { nearestDistance } from "./cellbox.js";
import { decodeLevel, decodePoints, decodeVelocities, starsBrighterThan } from "./pack.js";
import { chooseLevel } from "./rule.js";

const MAX_IN_FLIGHT = 6;
// A star this many magnitudes fainter than the limiting magnitude shows as less than half a grey level on its
// brightest pixel (docs/photometry.md: the limit's exposed flux 0.02, 22 % of it in the brightest pixel): the
// client fetches no star fainter than that, seen from the nearest point of its cell's bounding sphere.
export const FETCH_MARGIN_MAG = 4;
// Decoded bytes per record (the GPU holds the same): a star's position, magnitude and colour (28), its
// velocity (12); a Gaussian's mean, covariance and light (48).
const BYTES_PER_STAR = 28;
const BYTES_PER_VELOCITY = 12;
const BYTES_PER_GAUSSIAN = 48;

export class Streamer {
  constructor(pack, renderer, { budgetBytes, reachPx, ruleConstants, onChange, onError }) {
    this.pack = pack;
    this.renderer = renderer;
    this.reachPx = reachPx;
    this.ruleConstants = ruleConstants;
    this.onChange = onChange;
    this.onError = onError;
    this.cache = new CellCache(budgetBytes, (key, entry) => this.renderer.dispose(entry.object));
    this.pending = new Map(); // cache key -> promise
    this.shardLoads = new Map(); // shard number -> its entries' load (a sharded pack's cells come shard by shard)
    this.stale = false; // a shard's cells landed since the last plan
    this.reservedBytes = 0; // of the loads in flight: the budget counts them before they land
    this.overBudget = false;
    this.plans = [];
    this.visibleIds = new Set();
    this.levelChoices = {};
    this.requests = 0;
    this.updates = 0; // plans made: one per frame drawn, none while the view stands still
    this.kyr = 0;
  }

  /** How far a cell's fastest star moves in `kyr` (pc). */
  drift(cell, kyr) {
    return (cell.max_speed_pc_kyr || 0) * Math.abs(kyr);
  }

  radius(cell, kyr) {
    return cell.radius_pc + this.drift(cell, kyr);
  }

  /** The shards of a sharded pack whose cells a camera may need and that are not loaded: in view, and holding a
   * star that can show from their nearest point (or levels, whose glow shows where no single star does). */
  shardsWanted(camera, kyr, limitingMag) {
    if (!this.pack.shards) return [];
    const eye = camera.eye;
    const fromSun = norm(eye);
    return this.pack.shards.filter((shard) => {
      if (shard.cells || shard.stars === 0) return false;
      const drift = shard.maxSpeed * Math.abs(kyr);
      if (!camera.seesSphere(shard.centre, shard.radius + drift, this.reachPx)) return false;
      if (shard.levels) return true;
      const nearest = Math.max(norm(sub(shard.centre, eye)) - shard.radius, shard.rMin - fromSun, fromSun - shard.rMax) - drift;
      return shard.brightest + 5 * Math.log10(Math.max(nearest, 1e-6) / 10) <= limitingMag + FETCH_MARGIN_MAG;
    });
  }

  loadShard(shard) {
    if (this.shardLoads.has(shard.number)) return;
    this.requests += 1;
    this.shardLoads.set(shard.number, this.pack.loadShard(shard)
      .catch((error) => this.onError(error))
      .finally(() => {
        this.shardLoads.delete(shard.number);
        this.stale = true;
        this.onChange();
      }));
  }

  /** How near `eye` any star of the cell may be (pc): from its bounding sphere, and from its extent in the grid where
   * the index gives it (exact; the sphere is loose near the Sun), less the distance its fastest star moves in `kyr`. */
  nearest(cell, eye, distance, kyr) {
    const sphere = distance - this.radius(cell, kyr);
    const box = cell.bounds ? nearestDistance(cell.bounds, eye) - this.drift(cell, kyr) : -Infinity;
    return Math.max(sphere, box, 1e-6);
  }

  /** What to draw of each cell a camera sees, nearest first: {cell, level (a level block or null), points}. */
  plan(camera, kyr, limitingMag) {
    return this.pack.cells
      .filter((cell) => cell.stars > 0 && camera.seesSphere(cell.centre_pc, this.radius(cell, kyr), this.reachPx))
      .map((cell) => ({ cell, distance: norm(sub(cell.centre_pc, camera.eye)) }))
      .sort((a, b) => a.distance - b.distance)
      .map(({ cell, distance }) => {
        const levels = kyr === 0 ? cell.blocks.filter((block) => block.kind === "level") : [];
        const level = levels.length ? chooseLevel(levels, cell.stars, cell.radius_pc, distance, camera.focal, limitingMag, this.ruleConstants) : null;
        const nearest = this.nearest(cell, camera.eye, distance, kyr);
        const visible = starsBrighterThan(cell, limitingMag + FETCH_MARGIN_MAG - 5 * Math.log10(nearest / 10));
        const points = Math.min(level ? level.points : cell.stars, visible);
        return { cell, level, points, velocities: kyr !== 0 && hasBlock(cell, "velocities") };
      });
  }

  /** Start loading what `camera` (and `prefetch`, a warp's destination) needs; the drawables of what is loaded. */
  update(camera, kyr, limitingMag, prefetch = null) {
    this.kyr = kyr;
    this.updates += 1;
    this.stale = false;
    for (const shard of this.shardsWanted(camera, kyr, limitingMag)) this.loadShard(shard);
    if (prefetch) for (const shard of this.shardsWanted(prefetch, kyr, limitingMag)) this.loadShard(shard);
    this.plans = this.plan(camera, kyr, limitingMag);
    this.visibleIds = new Set(this.plans.map((plan) => plan.cell.id));
    const wanted = this.plans.slice();
    if (prefetch) wanted.push(...this.plan(prefetch, kyr, limitingMag).filter((plan) => !this.visibleIds.has(plan.cell.id)));
    const keep = new Set(wanted.flatMap((plan) => keys(plan)));
    this.overBudget = false;
    for (const plan of wanted) this.request(plan, keep);
    this.levelChoices = {};
    const drawables = [];
    for (const plan of this.plans) {
      const { cell, level } = plan;
      this.levelChoices[cell.id] = level ? level.level : 0;
      const stars = this.cache.get(pointsKey(cell));
      if (stars && stars.count >= plan.points && plan.points > 0) {
        drawables.push({ object: stars.object, centre: cell.centre_pc, count: plan.points });
      }
      const glow = level ? this.cache.get(levelKey(cell, level)) : null;
      if (glow) drawables.push({ object: glow.object, centre: cell.centre_pc, count: glow.count });
    }
    return drawables;
  }

  /** Whether the cache holds the stars `plan` draws (enough of the prefix, with velocities when it needs them). */
  starsReady(plan) {
    const stars = this.cache.entries.get(pointsKey(plan.cell));
    return plan.points === 0 || Boolean(stars && stars.value.count >= plan.points && (!plan.velocities || stars.value.velocities));
  }

  satisfied(plan) {
    return this.starsReady(plan) && (!plan.level || this.cache.has(levelKey(plan.cell, plan.level)));
  }

  request(plan, keep) {
    const { cell, level } = plan;
    const key = pointsKey(cell);
    if (!this.starsReady(plan)) {
      const stars = this.cache.entries.get(key);
      const bytes = plan.points * (BYTES_PER_STAR + (plan.velocities ? BYTES_PER_VELOCITY : 0));
      this.start(key, bytes - (stars ? stars.bytes : 0), keep, () => this.loadStars(cell, plan.points, plan.velocities, bytes));
    }
    if (level && !this.cache.has(levelKey(cell, level))) {
      const bytes = level.count * BYTES_PER_GAUSSIAN;
      this.start(levelKey(cell, level), bytes, keep, () => this.loadLevel(cell, level, bytes));
    }
  }

  start(key, extra, keep, load) {
    if (this.pending.has(key) || this.pending.size >= MAX_IN_FLIGHT) return;
    // A load in flight counted on what its cell already holds (a shorter prefix it grows): never evict that.
    const protect = this.pending.size ? new Set([...keep, ...this.pending.keys()]) : keep;
    if (!this.cache.makeRoom(extra + this.reservedBytes, protect)) {
      this.overBudget = true;
      return;
    }
    this.reservedBytes += extra;
    this.pending.set(key, (async () => {
      try {
        await load();
      } catch (error) {
        this.onError(error);
      } finally {
        this.reservedBytes -= extra;
        this.pending.delete(key);
        this.onChange();
      }
    })());
  }

  async loadStars(cell, count, withVelocities, bytes) {
    this.requests += 1;
    const points = decodePoints(await this.pack.readPrefix(findBlock(cell, "points"), count));
    let velocities = null;
    if (withVelocities) {
      this.requests += 1;
      velocities = decodeVelocities(await this.pack.readPrefix(findBlock(cell, "velocities"), count));
    }
    const key = pointsKey(cell);
    const old = this.cache.entries.get(key);
    if (old) this.renderer.dispose(old.value.object);
    this.cache.set(key, { object: this.renderer.makeStars(points, velocities), count: points.count, velocities: Boolean(velocities) }, bytes);
  }

  async loadLevel(cell, level, bytes) {
    this.requests += 1;
    const gaussians = decodeLevel(await this.pack.readBlock(level));
    this.cache.set(levelKey(cell, level), { object: this.renderer.makeGlow(gaussians), count: gaussians.count }, bytes);
  }

  /** The stars the last update drew, cell by cell: {cell, count, positions, absMag, velocities or null} (pick.js). */
  drawnStars() {
    const drawn = [];
    for (const plan of this.plans) {
      const stars = this.cache.entries.get(pointsKey(plan.cell));
      if (!stars || stars.value.count < plan.points || plan.points === 0) continue;
      const attributes = stars.value.object.geometry.attributes;
      drawn.push({ cell: plan.cell, count: plan.points, positions: attributes.position.array, absMag: attributes.absMag.array,
        velocities: attributes.velocity ? attributes.velocity.array : null });
    }
    return drawn;
  }

  /** Whether everything the view needs is drawn and nothing is in flight (or the budget holds no more). */
  settled() {
    if (this.pending.size > 0 || this.shardLoads.size > 0 || this.stale) return false;
    return this.overBudget || this.plans.every((plan) => this.satisfied(plan));
  }
}

const hasBlock = (cell, kind) => cell.blocks.some((block) => block.kind === kind);
const findBlock = (cell, kind) => cell.blocks.find((block) => block.kind === kind);
const pointsKey = (cell) => `${cell.id}/points`;
const levelKey = (cell, level) => `${cell.id}/level${level.level}`;
const keys = (plan) => [pointsKey(plan.cell), ...(plan.level ? [levelKey(plan.cell, plan.level)] : [])];
