// Landmarks by name, as helios/landmarks.py `find_landmark` finds them (exact name, case-insensitive,
// else the one name that starts so), plus a ranked search for the search box and each landmark's
// anchor scale: how close the camera may come and how far a warp stops from it.

export class LandmarkError extends Error {}

export function findLandmark(landmarks, name, label = "landmark") {
  const wanted = name.toLowerCase();
  let found = landmarks.filter((mark) => mark.name.toLowerCase() === wanted);
  if (!found.length) found = landmarks.filter((mark) => mark.name.toLowerCase().startsWith(wanted));
  if (found.length > 1) {
    throw new LandmarkError(`${label} "${name}": ${found.length} landmarks start so: ${found.slice(0, 8).map((m) => m.name).join(", ")}; give more of the name`);
  }
  if (!found.length) {
    const close = landmarks.filter((mark) => mark.name.toLowerCase().includes(wanted)).slice(0, 5).map((m) => m.name);
    throw new LandmarkError(`${label} "${name}": not three coordinates, 'sun' or a landmark name${close.length ? `; did you mean ${close.join(", ")}?` : ""}`);
  }
  return found[0];
}

/** Names containing `text` (case-insensitive), names starting with it first, at most `limit`. */
export function searchLandmarks(landmarks, text, limit = 12) {
  const wanted = text.trim().toLowerCase();
  if (!wanted) return [];
  const hits = landmarks.filter((mark) => mark.name.toLowerCase().includes(wanted));
  hits.sort((a, b) => Number(!a.name.toLowerCase().startsWith(wanted)) - Number(!b.name.toLowerCase().startsWith(wanted)));
  return hits.slice(0, limit);
}

// The size of what a landmark stands for (pc): a warp stops a few of these away, and the camera may
// not come closer than a tenth of it (a planet or a spacecraft is a point; a star is its system).
const ANCHOR_SCALE_PC = {
  sun: 2e-4, planet: 1e-6, spacecraft: 1e-6, bright_star: 2e-3, star_group: 5,
  open_cluster: 5, globular_cluster: 30, nebula: 10, planetary_nebula: 1, dark_nebula: 10, galaxy: 2e4,
};

/** A landmark's own `scale_pc` (the Sun and the planets drawn, a minor planet: a few radii), else its category's. */
export function anchorScale(landmark) {
  return landmark.scale_pc ?? ANCHOR_SCALE_PC[landmark.category] ?? 1;
}

/** How far from a landmark a warp stops (pc). */
export function viewingDistance(landmark) {
  return 4 * anchorScale(landmark);
}

/** The closest the camera may come to its anchor (pc). */
export function minimumDistance(landmark) {
  return 0.1 * anchorScale(landmark);
}

/** The labels to show, nearest first, none overlapping another: `placed` is [{mark, u, v}] (CSS pixels,
 * nearest first); a label is its name set in `fontPx` type to the right of its point, as style.css sets it. */
export function declutterLabels(placed, { fontPx = 11, padPx = 6, charEm = 0.6, lineEm = 1.3 } = {}) {
  const boxes = [];
  return placed.filter(({ mark, u, v }) => {
    const box = [u, v, u + padPx + mark.name.length * charEm * fontPx, v + lineEm * fontPx];
    if (boxes.some((b) => box[0] < b[2] && b[0] < box[2] && box[1] < b[3] && b[1] < box[3])) return false;
    boxes.push(box);
    return true;
  });
}
