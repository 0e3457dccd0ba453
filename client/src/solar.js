// The Sun and the planets at any epoch from 3000 BC to 3000 AD: E. M. Standish's "Keplerian Elements for Approximate
// Positions of the Major Planets" (JPL Solar System Dynamics, ssd.jpl.nasa.gov/planets/approx_pos.html), its table
// for 3000 BC - 3000 AD with the extra terms of Jupiter to Pluto (Tables 2a and 2b), mean ecliptic and equinox of
// J2000; Earth is the Earth-Moon barycentre.  Brightness by Mallama & Hilton 2018, as helios/solar.py computes it
// (the planet's globe alone beyond the phase angles seen from the Earth).  Checked against DE421 through skyfield
// (tests/client/test_solar_js.py).

import { cross, dot, norm, sub, turnInto } from "./camera.js";

const DEG = Math.PI / 180;
export const AU_PC = 4.84813681109536e-6;
export const SUN_ABS_MAG_V = 4.83;
/** The J2000 obliquity of Standish's tables (23.43928 degrees). */
const OBLIQUITY = 23.43928 * DEG;
/** The years (Julian, TDB) the elements hold for. */
export const VALID_YEARS = [-2999, 3000];

// a (au), e, I (deg), L (deg), long. peri. (deg), long. node (deg); then each one's rate per Julian century (Table 2a).
const ELEMENTS = {
  mercury: [[0.38709843, 0.20563661, 7.00559432, 252.25166724, 77.45771895, 48.33961819],
    [0.00000000, 0.00002123, -0.00590158, 149472.67486623, 0.15940013, -0.12214182]],
  venus: [[0.72332102, 0.00676399, 3.39777545, 181.97970850, 131.76755713, 76.67261496],
    [-0.00000026, -0.00005107, 0.00043494, 58517.81560260, 0.05679648, -0.27274174]],
  earth: [[1.00000018, 0.01673163, -0.00054346, 100.46691572, 102.93005885, -5.11260389],
    [-0.00000003, -0.00003661, -0.01337178, 35999.37306329, 0.31795260, -0.24123856]],
  mars: [[1.52371243, 0.09336511, 1.85181869, -4.56813164, -23.91744784, 49.71320984],
    [0.00000097, 0.00009149, -0.00724757, 19140.29934243, 0.45223625, -0.26852431]],
  jupiter: [[5.20248019, 0.04853590, 1.29861416, 34.33479152, 14.27495244, 100.29282654],
    [-0.00002864, 0.00018026, -0.00322699, 3034.90371757, 0.18199196, 0.13024619]],
  saturn: [[9.54149883, 0.05550825, 2.49424102, 50.07571329, 92.86136063, 113.63998702],
    [-0.00003065, -0.00032044, 0.00451969, 1222.11494724, 0.54179478, -0.25015002]],
  uranus: [[19.18797948, 0.04685740, 0.77298127, 314.20276625, 172.43404441, 73.96250215],
    [-0.00020455, -0.00001550, -0.00180155, 428.49512595, 0.09266985, 0.05739699]],
  neptune: [[30.06952752, 0.00895439, 1.77005520, 304.22289287, 46.68158724, 131.78635853],
    [0.00006447, 0.00000818, 0.00022400, 218.46515314, 0.01009938, -0.00606302]],
};
// Table 2b: M gains b T^2 + c cos(f T) + s sin(f T) (b deg per century squared, c and s deg, f deg per century).
const EXTRA = {
  jupiter: [-0.00012452, 0.06064060, -0.35635438, 38.35125000],
  saturn: [0.00025899, -0.13434469, 0.87320147, 38.35125000],
  uranus: [0.00058331, -0.97731848, 0.17689245, 7.67025000],
  neptune: [-0.00041348, 0.68346318, -0.10162547, 7.67025000],
};
export const PLANETS = Object.keys(ELEMENTS);
/** Equatorial radii, km: the Sun's nominal (IAU 2015 B3), the planets' from the IAU WGCCRE report (Archinal et al.
 * 2018, Celestial Mechanics and Dynamical Astronomy 130:22). */
export const RADIUS_KM = { sun: 695700, moon: 1737.4, mercury: 2440.53, venus: 6051.8, earth: 6378.1366, mars: 3396.19, jupiter: 71492, saturn: 60268,
  uranus: 25559, neptune: 24764 };
export const KM_PC = 1 / 3.0856775814913673e13;
const MOON_MEAN_DISTANCE_AU = 384400 / 149597870.7;
// Saturn's and Uranus's north poles, ICRS unit vectors (as helios/solar.py and skyfield take them).
const SATURN_POLE = [0.08547883, 0.07323576, 0.99364475];
const URANUS_POLE = [-0.21199958, -0.94155916, -0.26176809];

/** The Julian date (TDB, taken as TT) of a Julian year. */
export const julianDate = (year) => 2451545.0 + (year - 2000.0) * 365.25;

/** Whether the elements hold at Julian year `year`. */
export const elementsHold = (year) => year >= VALID_YEARS[0] && year <= VALID_YEARS[1];

/** A planet's place at Julian date `jd`: ICRS (the J2000 equator), au from the Sun. */
export function heliocentric(planet, jd) {
  const [base, rate] = ELEMENTS[planet];
  const T = (jd - 2451545.0) / 36525;
  const [a, e, inclination, meanLongitude, perihelion, node] = base.map((x, k) => x + rate[k] * T);
  let M = meanLongitude - perihelion;
  if (EXTRA[planet]) {
    const [b, c, s, f] = EXTRA[planet];
    M += b * T * T + c * Math.cos(f * T * DEG) + s * Math.sin(f * T * DEG);
  }
  M = ((((M + 180) % 360) + 360) % 360 - 180) * DEG;
  let E = M + e * Math.sin(M);
  for (let k = 0; k < 30; k += 1) {
    const step = (E - e * Math.sin(E) - M) / (1 - e * Math.cos(E));
    E -= step;
    if (Math.abs(step) < 1e-15) break;
  }
  const x0 = a * (Math.cos(E) - e);
  const y0 = a * Math.sqrt(1 - e * e) * Math.sin(E);
  const w = (perihelion - node) * DEG;
  const [cw, sw, cn, sn, ci, si] = [Math.cos(w), Math.sin(w), Math.cos(node * DEG), Math.sin(node * DEG), Math.cos(inclination * DEG),
    Math.sin(inclination * DEG)];
  const x = (cw * cn - sw * sn * ci) * x0 + (-sw * cn - cw * sn * ci) * y0;
  const y = (cw * sn + sw * cn * ci) * x0 + (-sw * sn + cw * cn * ci) * y0;
  const z = sw * si * x0 + cw * si * y0;
  return [x, Math.cos(OBLIQUITY) * y - Math.sin(OBLIQUITY) * z, Math.sin(OBLIQUITY) * y + Math.cos(OBLIQUITY) * z];
}

const angle = (a, b) => Math.atan2(norm(cross(a, b)), dot(a, b)) / DEG;
const poly = (x, coefficients) => coefficients.reduce((sum, c, k) => sum + c * x ** k, 0);

/** V magnitude of `planet` seen from an observer (vectors in au, ICRS), Mallama & Hilton 2018 as helios/solar.py has it. */
export function planetMagnitude(planet, sunToPlanet, observerToPlanet, year) {
  const r = norm(sunToPlanet);
  const delta = norm(observerToPlanet);
  const a = angle(sunToPlanet, observerToPlanet);
  const distance = 5 * Math.log10(r * delta);
  switch (planet) {
    case "mercury":
      return -0.613 + distance + poly(a, [0, 6.3280e-02, -1.6336e-03, 3.3644e-05, -3.4265e-07, 1.6893e-09, -3.0334e-12]);
    case "venus":
      return a < 163.7 ? -4.384 + distance + poly(a, [0, -1.044e-03, 3.687e-04, -2.814e-06, 8.938e-09])
        : -4.384 + distance + poly(a, [236.05828 + 4.384, -2.81914, 8.39034e-03]);
    case "earth":
      return -3.99 + distance + poly(a, [0, -1.060e-03, 2.054e-04]);
    case "mars":
      return a <= 50 ? -1.601 + distance + poly(a, [0, 2.267e-02, -1.302e-04]) : -0.367 + distance + poly(a, [0, -0.02573, 0.0003445]);
    case "jupiter":
      return a <= 12 ? -9.395 + distance + poly(a, [0, -3.7e-04, 6.16e-04])
        : -9.428 + distance - 2.5 * Math.log10(poly(a / 180, [1.0, -1.507, -0.363, -0.062, 2.809, -1.876]));
    case "saturn": {
      const sunLat = angle(SATURN_POLE, sunToPlanet) - 90;
      const observerLat = angle(SATURN_POLE, observerToPlanet) - 90;
      const ringLat = sunLat * observerLat >= 0 ? Math.sqrt(sunLat * observerLat) : 0;
      if (a <= 6.5 && ringLat <= 27) {
        const s = Math.sin(ringLat * DEG);
        return -8.914 - 1.825 * s + 0.026 * a - 0.378 * s * Math.exp(-2.25 * a) + distance;
      }
      return distance + poly(a, [-8.94, 2.446e-4, 2.672e-4, -1.506e-6, 4.767e-9]);
    }
    case "uranus": {
      const latitude = (Math.abs(angle(URANUS_POLE, sunToPlanet) - 90) + Math.abs(angle(URANUS_POLE, observerToPlanet) - 90)) / 2;
      return -7.110 + distance - 0.00084 * latitude + (a > 3.1 ? (1.045e-4 * a + 6.587e-3) * a : 0);
    }
    case "moon": // Allen 1973 (Astrophysical Quantities, p. 144) at 1 au and its mean distance, 384,400 km
      return -12.73 + 0.026 * a + 4e-9 * a ** 4 + 5 * Math.log10((r * delta) / MOON_MEAN_DISTANCE_AU);
    case "neptune":
      return Math.min(Math.max(-6.89 - 0.0054 * (year - 1980), -7.0), -6.89) + distance + (a > 1.9 ? 7.944e-3 * a + 9.617e-5 * a * a : 0);
    default:
      throw new Error(`no magnitude formula for ${planet}`);
  }
}

/** The Sun's GM in the Gaussian constant's units, au^3 a day^2; points on each orbit line (helios/solar.py). */
const GAUSS_GM = 0.01720209895 ** 2;
export const ORBIT_POINTS = 360;

/** The osculating ellipse about the Sun of a body at `position` (au) moving at `velocity` (au a day): `count` points
 * evenly spaced in eccentric anomaly, the first the body's own place (helios/solar.py orbit_ellipse). */
export function orbitEllipse(position, velocity, count = ORBIT_POINTS) {
  const r = norm(position);
  const h = cross(position, velocity);
  const vxh = cross(velocity, h);
  const eVec = [0, 1, 2].map((k) => vxh[k] / GAUSS_GM - position[k] / r);
  const e = norm(eVec);
  const a = 1 / (2 / r - dot(velocity, velocity) / GAUSS_GM);
  const p = e > 1e-12 ? eVec.map((x) => x / e) : position.map((x) => x / r);
  const q = cross(h.map((x) => x / norm(h)), p);
  const here = Math.atan2(dot(position, q) / Math.sqrt(1 - e * e), dot(position, p) + a * e);
  return Array.from({ length: count }, (_, k) => {
    const E = here + (2 * Math.PI * k) / count;
    const [x, y] = [a * (Math.cos(E) - e), a * Math.sqrt(1 - e * e) * Math.sin(E)];
    return [0, 1, 2].map((j) => x * p[j] + y * q[j]);
  });
}

/** Each planet's orbit line at Julian year `year`: its osculating ellipse (points in pc, the universe's frame) from
 * its DE421 place and velocity (`table`, within its span) or from the elements (velocity by a central difference);
 * none where neither holds. */
export function orbitLines(year, toFrame = null, table = null) {
  const jd = julianDate(year);
  const de421 = table !== null && table.covers(jd);
  if (!de421 && !elementsHold(year)) return [];
  const turn = (v) => turnInto(toFrame, v);
  return PLANETS.map((name) => {
    const [position, velocity] = de421 ? table.state(name, jd)
      : [heliocentric(name, jd), sub(heliocentric(name, jd + 0.5), heliocentric(name, jd - 0.5))];
    return orbitEllipse(position, velocity).map((point) => turn(point).map((x) => x * AU_PC));
  });
}

/** A body drawn as a disc rather than a point when its radius spans this many pixels (helios/render/discs.py), its
 * pixels sampled 8 x 8 under SMALL_DISC_PX of radius, else 4 x 4. */
export const DISC_MIN_PX = 2.0;
const SMALL_DISC_PX = 8.0;
const NORMAL_STEPS = 64;

/** The sum a disc's samples reach: the solid angle of the visible sphere (centre `centre`, camera coordinates), each
 * part weighted by the sunlight it takes (Lambert, from `sun`; the Sun itself, `sun` null: 1), over the sphere's
 * surface on a 64 x 128 grid, as helios/render/discs.py `normalisation`. */
export function discNormalisation(centre, radius, sun) {
  const toSun = sun ? normalizeVector(sub(sun, centre)) : null;
  const step = Math.PI / NORMAL_STEPS;
  let total = 0;
  for (let i = 0; i < NORMAL_STEPS; i += 1) {
    const theta = (i + 0.5) * step;
    const [st, ct] = [Math.sin(theta), Math.cos(theta)];
    const area = radius * radius * st * step * step;
    for (let j = 0; j < 2 * NORMAL_STEPS; j += 1) {
      const phi = (j + 0.5) * step;
      const normal = [st * Math.cos(phi), st * Math.sin(phi), ct];
      const toEye = [-(centre[0] + radius * normal[0]), -(centre[1] + radius * normal[1]), -(centre[2] + radius * normal[2])];
      const distance = norm(toEye);
      const facing = dot(normal, toEye) / distance;
      if (facing <= 0) continue;
      const weight = toSun ? Math.max(dot(normal, toSun), 0) : 1;
      total += (weight * facing * area) / (distance * distance);
    }
  }
  return total;
}

/**
 * How `camera` (camera.js) draws a body of radius `radiusPc` at `position` (pc, the universe's frame) with absolute
 * magnitude `absMag` and `colour`: null for a point, else its disc, as helios/render/discs.py draws it: the pixels
 * that may see it (`box`: u0, u1, v0, v1, the end exclusive; the projection of its bounding cube, in the image; null
 * when none), its centre in camera coordinates in radii, the unit vector to the Sun, the samples along each axis of a
 * pixel, and `light`: its flux at the camera and colour over the sum its samples reach (discNormalisation).
 */
export function discOf(camera, position, radiusPc, absMag, colour, selfLuminous) {
  const centre = camera.toCamera(position);
  const distance = norm(centre);
  const radiusPx = (camera.focal * radiusPc) / Math.sqrt(Math.max(distance * distance - radiusPc * radiusPc, 1e-300));
  if (!(centre[2] > radiusPc) || radiusPx < DISC_MIN_PX) return null;
  const us = [];
  const vs = [];
  for (const x of [-1, 1]) for (const y of [-1, 1]) for (const z of [-1, 1]) {
    const corner = [centre[0] + x * radiusPc, centre[1] + y * radiusPc, centre[2] + z * radiusPc];
    us.push((camera.focal * corner[0]) / corner[2] + camera.width / 2);
    vs.push((camera.focal * corner[1]) / corner[2] + camera.height / 2);
  }
  const box = [Math.max(Math.floor(Math.min(...us)), 0), Math.min(Math.floor(Math.max(...us)) + 1, camera.width),
    Math.max(Math.floor(Math.min(...vs)), 0), Math.min(Math.floor(Math.max(...vs)) + 1, camera.height)];
  if (box[0] >= box[1] || box[2] >= box[3]) return { box: null };
  const sun = camera.toCamera([0, 0, 0]);
  const sum = discNormalisation(centre, radiusPc, selfLuminous ? null : sun);
  const flux = (10 ** (-0.4 * absMag) * 100) / (distance * distance);
  return { box, centre: centre.map((x) => x / radiusPc), toSun: normalizeVector(sub(sun, centre)), selfLuminous,
    samples: radiusPx < SMALL_DISC_PX ? 8 : 4, light: colour.map((c) => (sum > 0 ? (c * flux) / sum : 0)) };
}

const normalizeVector = (v) => v.map((x) => x / norm(v));

/**
 * The Sun, (where the elements hold) the planets and (within DE421's span) the Moon at Julian year `year` seen from `eye` (pc, the universe's frame;
 * `toFrame` turns ICRS into it, null: ICRS): {names, positions (pc, Float32Array), absMag (each body's apparent
 * magnitude at the eye as an absolute one), planets (whether drawn), source}.  Places from DE421 (`table`, a
 * planet_table.js PlanetTable) within its span, else from the elements.  A body the eye stands on is left out.
 */
export function solarBodies(year, eye, toFrame = null, table = null) {
  const turn = (v) => turnInto(toFrame, v);
  const back = (v) => (toFrame ? [0, 1, 2].map((i) => toFrame[0][i] * v[0] + toFrame[1][i] * v[1] + toFrame[2][i] * v[2]) : v);
  const eyeAu = back(eye).map((x) => x / AU_PC);
  const names = ["sun"];
  const places = [[0, 0, 0]];
  const absMag = [SUN_ABS_MAG_V];
  const jd = julianDate(year);
  const de421 = table !== null && table.covers(jd);
  const planets = de421 || elementsHold(year);
  if (planets) {
    for (const name of de421 && table.planets.has("moon") ? [...PLANETS, "moon"] : PLANETS) { // the Moon from DE421 only
      const place = de421 ? table.place(name, jd) : heliocentric(name, jd);
      const seen = sub(place, eyeAu);
      names.push(name);
      places.push(place);
      absMag.push(planetMagnitude(name, place, seen, year) - 5 * Math.log10((norm(seen) * AU_PC) / 10));
    }
  }
  const kept = places.map((place, i) => i).filter((i) => norm(sub(places[i], eyeAu)) * AU_PC >= 1e-12);
  const places64 = new Float64Array(kept.length * 3); // pc, the universe's frame (discs: camera coordinates in float64)
  kept.forEach((i, n) => places64.set(turn(places[i]).map((x) => x * AU_PC), 3 * n));
  return { names: kept.map((i) => names[i]), positions: new Float32Array(places64), places64, absMag: new Float32Array(kept.map((i) => absMag[i])), planets,
    source: de421 ? "DE421" : planets ? "Standish's elements" : null };
}
