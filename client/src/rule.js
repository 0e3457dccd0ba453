// The level rule of docs/levels.md, the same function as helios/lod/rule.py (a test runs both on the
// same cases): draw a cell at its coarsest level with at least one primitive per `pixels_per_primitive`
// pixels of its projected bounding disc, or whose Gaussians carry too little light to show as a glow,
// and whose Gaussians hide no star visible at the limiting magnitude; every star as a point (null) when
// none qualifies or the camera is inside the bounding sphere.

export function projectedRadiusPx(radius, distance, focalPx) {
  if (distance <= radius) return Infinity;
  return focalPx * Math.tan(Math.asin(radius / distance));
}

function hasRemainderMag(level) {
  return level.remainder_abs_mag !== null && level.remainder_abs_mag !== undefined;
}

/** The brightest star a level's Gaussians carry, as seen from the nearest point of the bounding sphere. */
function remainderMagAtNearest(level, radius, distance) {
  const nearest = Math.max(distance - radius, 1e-9);
  return level.remainder_abs_mag + 5 * Math.log10(nearest / 10);
}

export function hidesNoVisibleStar(level, radius, distance, limitingMag) {
  if (!hasRemainderMag(level)) return true;
  return remainderMagAtNearest(level, radius, distance) > limitingMag;
}

/** Whether the light a level's Gaussians carry (bounded: its `remainderStars` stars each as bright as the
 * first of them, at the nearest point) is at most `faint_glow_stars_per_pixel` limiting-magnitude stars
 * per pixel of the projected disc. */
export function glowIsFaint(level, remainderStars, radius, distance, focalPx, limitingMag, constants) {
  if (remainderStars === 0 || !hasRemainderMag(level)) return remainderStars === 0;
  const r = projectedRadiusPx(radius, distance, focalPx);
  const brightest = remainderMagAtNearest(level, radius, distance);
  const inLimitStars = remainderStars * 10 ** (-0.4 * (brightest - limitingMag));
  return inLimitStars <= constants.faint_glow_stars_per_pixel * Math.PI * r * r;
}

/** levels: the pack's level blocks of a cell ({points, count, remainder_abs_mag}) of `stars` stars;
 * null = every star a point. */
export function chooseLevel(levels, stars, radius, distance, focalPx, limitingMag, constants) {
  const r = projectedRadiusPx(radius, distance, focalPx);
  if (!Number.isFinite(r)) return null;
  const needed = (Math.PI * r * r) / constants.pixels_per_primitive;
  let best = null;
  for (const level of levels) {
    const primitives = level.points + level.count;
    const good = limitingMag === null
      ? primitives >= needed
      : hidesNoVisibleStar(level, radius, distance, limitingMag)
        && (primitives >= needed
          || glowIsFaint(level, Math.max(stars - level.points, 0), radius, distance, focalPx, limitingMag, constants));
    if (good && (best === null || primitives < best.points + best.count)) best = level;
  }
  return best;
}
