// The nearest distance from a point to a cell of the heliocentric grid (docs/cells.md): the set of points whose
// distance from the Sun r, azimuth theta and polar angle phi (from +z) lie in the cell's bounds.  A cell's bounding
// sphere is loose near the Sun (many contain it); this distance is exact, so the streamer can tell how bright a
// cell's stars may look from the camera without fetching them.

const TWO_PI = 2 * Math.PI;

const clamp = (value, low, high) => Math.min(high, Math.max(low, value));

/** The smallest angle between the direction (thetaP, phiP) and a meridian arc: azimuth theta, polar angle in
 * [phiMin, phiMax].  Along the meridian cos(angle) = A sin(phi) + B cos(phi), largest at phi = atan2(A, B) when
 * that lies on the arc, else at an end. */
function meridianAngle(thetaP, phiP, theta, phiMin, phiMax) {
  const a = Math.sin(phiP) * Math.cos(thetaP - theta);
  const b = Math.cos(phiP);
  const cosAt = (phi) => a * Math.sin(phi) + b * Math.cos(phi);
  let best = Math.max(cosAt(phiMin), cosAt(phiMax));
  const peak = Math.atan2(a, b);
  if (peak >= phiMin && peak <= phiMax) best = Math.max(best, cosAt(peak));
  return Math.acos(clamp(best, -1, 1));
}

/** The smallest angle between the direction of `point` (not the origin) and a direction of the cell. */
export function angleToCell(bounds, point) {
  const { theta_min_rad: thetaMin, theta_max_rad: thetaMax, phi_min_rad: phiMin, phi_max_rad: phiMax } = bounds;
  const r = Math.hypot(point[0], point[1], point[2]);
  const phiP = Math.acos(clamp(point[2] / r, -1, 1));
  const thetaP = ((Math.atan2(point[1], point[0]) % TWO_PI) + TWO_PI) % TWO_PI;
  const within = thetaMax - thetaMin >= TWO_PI || (((thetaP - thetaMin) % TWO_PI) + TWO_PI) % TWO_PI <= thetaMax - thetaMin;
  if (within) return Math.max(0, phiMin - phiP, phiP - phiMax);
  return Math.min(meridianAngle(thetaP, phiP, thetaMin, phiMin, phiMax), meridianAngle(thetaP, phiP, thetaMax, phiMin, phiMax));
}

/** The distance from `point` (pc, the universe's frame) to the nearest point of the cell with these bounds (the
 * index's `bounds`: r_min_pc, r_max_pc (null: open), theta_min_rad, theta_max_rad, phi_min_rad, phi_max_rad). */
export function nearestDistance(bounds, point) {
  const rMin = bounds.r_min_pc;
  const rMax = bounds.r_max_pc === null ? Infinity : bounds.r_max_pc;
  const rc = Math.hypot(point[0], point[1], point[2]);
  if (rc === 0) return rMin;
  const angle = angleToCell(bounds, point);
  // Over the cell's shell, at that angle, the nearest radius is the foot of the perpendicular, clamped.
  const r = clamp(rc * Math.cos(angle), rMin, rMax);
  return Math.sqrt(Math.max(0, rc * rc + r * r - 2 * rc * r * Math.cos(angle)));
}
