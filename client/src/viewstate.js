// The view in the URL, with the meaning of `helios render`'s options (README, "The web client"):
// ?from=X,Y,Z|sun|NAME&lookat=X,Y,Z|sun|NAME&fov=DEG&mag=M&glare=G&epoch=YEAR|DATE&up=X,Y,Z&hud=0&budget=MB
// (epoch: a Julian year, 2026.93, or a calendar date of TT, 2026-12-06 or 2026-12-06T18:30: client/src/clock.js)
// &lines=1 (constellation figures) &names=1 (their names) &bounds=1 (IAU boundaries, near the Sun)
// &solar=1 (the Sun and the planets: client/src/solar.js)
// &tour=URL (a tour file to play: client/src/tour.js)
// Coordinates are pc in the universe's frame; a name is a landmark (exact or a unique start).

import { parseEpoch } from "./clock.js";
import { findLandmark } from "./landmarks.js";

export const DEFAULT_VIEW = { from: "sun", lookat: "M 42 (Orion Nebula)", fov: 60, mag: null, glare: null, epoch: null, up: [0, 0, 1], hud: true, budgetMb: 512,
  lines: false, names: false, bounds: false, solar: false, tour: null };

export class ViewError extends Error {}

function number(text, key, check = () => true) {
  const value = Number(text);
  if (text === "" || !Number.isFinite(value) || !check(value)) throw new ViewError(`URL ${key}=${text}: not a valid number here`);
  return value;
}

function triple(text, key) {
  const parts = text.split(",");
  if (parts.length !== 3) throw new ViewError(`URL ${key}=${text}: give three numbers X,Y,Z`);
  return parts.map((part) => number(part, key));
}

/** The view a query string asks for (unresolved points: a [x, y, z] or a name). */
export function parseView(search) {
  const params = new URLSearchParams(search);
  const view = { ...DEFAULT_VIEW, up: DEFAULT_VIEW.up.slice() };
  const point = (key) => {
    const text = params.get(key).trim();
    return /^[-+0-9.eE]+,[-+0-9.eE]+,[-+0-9.eE]+$/.test(text) ? triple(text, key) : text;
  };
  if (params.has("from")) view.from = point("from");
  if (params.has("lookat")) view.lookat = point("lookat");
  if (params.has("fov")) view.fov = number(params.get("fov"), "fov", (v) => v > 0 && v < 180);
  if (params.has("mag")) view.mag = number(params.get("mag"), "mag");
  if (params.has("glare")) view.glare = number(params.get("glare"), "glare", (v) => v >= 0 && v < 1);
  if (params.has("epoch")) {
    const epoch = parseEpoch(params.get("epoch"));
    if (epoch === null || !(Math.abs(epoch) <= 1e6)) {
      throw new ViewError(`URL epoch=${params.get("epoch")}: give a Julian year (2026.5) or a date (2026-12-06, 2026-12-06T18:30) within a million years`);
    }
    view.epoch = epoch;
  }
  if (params.has("up")) view.up = triple(params.get("up"), "up");
  if (params.has("hud")) view.hud = params.get("hud") !== "0";
  for (const key of ["lines", "names", "bounds", "solar"]) {
    if (!params.has(key)) continue;
    const text = params.get(key);
    if (text !== "0" && text !== "1") throw new ViewError(`URL ${key}=${text}: give 1 (show) or 0 (hide)`);
    view[key] = text === "1";
  }
  if (params.has("tour")) view.tour = params.get("tour");
  if (params.has("budget")) view.budgetMb = number(params.get("budget"), "budget", (v) => v > 0);
  return view;
}

/** A point of a view: [x, y, z] as given, 'sun' the origin, else a landmark's position. */
export function resolvePoint(point, landmarks, key) {
  if (Array.isArray(point)) return point;
  if (point.toLowerCase() === "sun") return [0, 0, 0];
  const mark = findLandmark(landmarks, point, key);
  return mark.position;
}

const short = (x) => Number(x.toPrecision(9)).toString();

/** The query string of a camera, the same view when opened again. */
export function formatView({ eye, target, fov, mag, glare, epoch, up, hud, lines, names, bounds, solar }) {
  const parts = [`from=${eye.map(short).join(",")}`, `lookat=${target.map(short).join(",")}`, `fov=${short(fov)}`];
  if (mag !== null && mag !== undefined) parts.push(`mag=${short(mag)}`);
  if (glare !== null && glare !== undefined) parts.push(`glare=${short(glare)}`);
  if (epoch !== null && epoch !== undefined) parts.push(`epoch=${Number(epoch.toPrecision(12))}`); // to 0.3 s: the clock's minutes
  if (up && (up[0] !== 0 || up[1] !== 0 || up[2] !== 1)) parts.push(`up=${up.map(short).join(",")}`);
  if (hud === false) parts.push("hud=0");
  if (lines) parts.push("lines=1");
  if (names) parts.push("names=1");
  if (bounds) parts.push("bounds=1");
  if (solar) parts.push("solar=1");
  return `?${parts.join("&")}`;
}
