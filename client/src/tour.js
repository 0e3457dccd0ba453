// Tours: keyframes, each a time and a view in the URL's own terms, eased between them as helios/tour.py eases
// them (`helios render --tour` draws the same frames):
//   {"keyframes": [{"t": 0, "view": "from=sun&lookat=Betelgeuse&fov=60"}, {"t": 8, "view": "from=M 45&lookat=sun"}]}
// Between keyframes A and B, s = smoothstep of the time between them: the eye moves on the straight line from A's
// place to B's, the view direction and up turn as a warp turns (normalised linear blends), the field of view
// eases in its logarithm, magnitude, glare and epoch linearly (a view without mag adapts, as does a stretch
// with such a keyframe at either end).

import { add, norm, scale, sub } from "./camera.js";
import { ViewError, parseView } from "./viewstate.js";

export class TourError extends Error {}

/** The URL parameters a view may hold (helios/tour.py VIEW_KEYS). */
export const VIEW_KEYS = ["from", "lookat", "fov", "up", "mag", "glare", "epoch", "hud", "budget", "lines", "names", "bounds", "solar"];

const smoothstep = (t) => t * t * (3 - 2 * t);

/** The normalised linear blend of unit vectors a and b; a or b where it vanishes (opposite vectors). */
function blend(a, b, s) {
  const mixed = add(scale(a, 1 - s), scale(b, s));
  const length = norm(mixed);
  return length > 1e-12 ? scale(mixed, 1 / length) : (s < 0.5 ? a : b);
}

/** A tour from its JSON document ({keyframes: [{t, view}]}); a TourError naming the field when malformed. */
export function parseTour(document, label = "tour") {
  if (!document || !Array.isArray(document.keyframes) || document.keyframes.length === 0) {
    throw new TourError(`${label}: keyframes: give a list of at least one {"t": seconds, "view": "from=...&lookat=..."}`);
  }
  const times = [];
  const views = [];
  document.keyframes.forEach((frame, i) => {
    const where = `${label}: keyframes[${i}]`;
    if (!frame || typeof frame !== "object") throw new TourError(`${where}: give an object with t and view`);
    if (typeof frame.t !== "number" || !Number.isFinite(frame.t)) {
      throw new TourError(`${where}.t: give the keyframe's time in seconds (a number), not ${JSON.stringify(frame.t)}`);
    }
    if (times.length && frame.t <= times[times.length - 1]) {
      throw new TourError(`${where}.t: ${frame.t} is not after the keyframe before it (${times[times.length - 1]}): times must increase`);
    }
    if (typeof frame.view !== "string") throw new TourError(`${where}.view: give the view as a URL query string, e.g. "from=sun&lookat=Betelgeuse&fov=60"`);
    const query = frame.view.startsWith("?") ? frame.view : `?${frame.view}`;
    const unknown = [...new URLSearchParams(query).keys()].find((key) => !VIEW_KEYS.includes(key));
    if (unknown !== undefined) throw new TourError(`${where}.view: unknown view parameter '${unknown}' (known: ${VIEW_KEYS.join(", ")})`);
    try {
      views.push(parseView(query));
    } catch (error) {
      if (error instanceof ViewError) throw new TourError(`${where}.view: ${error.message}`);
      throw error;
    }
    times.push(frame.t);
  });
  return { times, views, duration: times[times.length - 1] - times[0] };
}

/** The pose at time t (s, the keyframes' clock): {eye, forward, up, fov, mag, glare, epoch, lines, names, bounds, solar}.
 * resolve(point, key) gives a view's point as [x, y, z]; defaults: {glare, epoch} for views without them. */
export function poseAt(tour, t, resolve, defaults) {
  const { times, views } = tour;
  let later = times.findIndex((when) => when > t);
  if (later < 0) later = times.length;
  const a = Math.max(later - 1, 0);
  const b = Math.min(later, times.length - 1);
  const s = a === b ? 0 : smoothstep((t - times[a]) / (times[b] - times[a]));
  const [va, vb] = [views[a], views[b]];
  const [eyeA, eyeB] = [resolve(va.from, "from"), resolve(vb.from, "from")];
  const [forwardA, forwardB] = [sub(resolve(va.lookat, "lookat"), eyeA), sub(resolve(vb.lookat, "lookat"), eyeB)];
  [forwardA, forwardB].forEach((f, i) => {
    if (!(norm(f) > 0)) throw new TourError(`keyframes[${[a, b][i]}]: the camera looks at its own position: give a look-at point away from it`);
  });
  const unit = (v) => scale(v, 1 / norm(v));
  const lerp = (x, y) => x + (y - x) * s;
  return {
    eye: add(eyeA, scale(sub(eyeB, eyeA), s)),
    forward: blend(unit(forwardA), unit(forwardB), s),
    up: blend(unit(va.up), unit(vb.up), s),
    fov: Math.exp(lerp(Math.log(va.fov), Math.log(vb.fov))),
    mag: va.mag === null || vb.mag === null ? null : lerp(va.mag, vb.mag),
    glare: lerp(va.glare ?? defaults.glare, vb.glare ?? defaults.glare),
    epoch: lerp(va.epoch ?? defaults.epoch, vb.epoch ?? defaults.epoch),
    lines: va.lines, names: va.names, bounds: va.bounds, solar: va.solar,
  };
}
