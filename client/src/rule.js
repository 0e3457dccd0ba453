// The level rule of docs/levels.md, the same function as helios/lod/rule.py (a test runs both on the
// same cases): draw a cell at its coarsest level with at least one primitive per `pixels_per_primitive`
// pixels of its projected bounding disc whose Gaussians hide no star visible at the limiting magnitude;
// every star as a point (null) when none qualifies or the camera is inside the bounding sphere.

export function projectedRadiusPx(radius, distance, focalPx) {
  if (distance <= radius) return Infinity;
  return focalPx * Math.tan(Math.asin(radius / distance));
}

export function hidesNoVisibleStar(level, radius, distance, limitingMag) {
  if (level.remainder_abs_mag === null || level.remainder_abs_mag === undefined) return true;
  const nearest = Math.max(distance - radius, 1e-9);
  return level.remainder_abs_mag + 5 * Math.log10(nearest / 10) > limitingMag;
}

/** levels: the pack's level blocks of a cell ({points, count, remainder_abs_mag}); null = every star a point. */
export function chooseLevel(levels, radius, distance, focalPx, limitingMag, constants) {
  const r = projectedRadiusPx(radius, distance, focalPx);
  if (!Number.isFinite(r)) return null;
  const needed = (Math.PI * r * r) / constants.pixels_per_primitive;
  let best = null;
  for (const level of levels) {
    const primitives = level.points + level.count;
    const good = primitives >= needed && (limitingMag === null || hidesNoVisibleStar(level, radius, distance, limitingMag));
    if (good && (best === null || primitives < best.points + best.count)) best = level;
  }
  return best;
}
