// The HELIOS planetarium page: reads site.json, the landmarks and the pack's index (or a pack file's directory),
// opens the view the URL asks for, streams the cells in view and draws them as light every frame the
// view changes.  window.helios is the page's test and scripting interface (docs/client.md).

import { Camera, add, lookAt, norm, scale, sub, turnInto } from "./camera.js";
import { StarCatalogue } from "./catalogue.js";
import { Clock } from "./clock.js";
import { ORBIT_NEAR_PC, ORBIT_RGB, figureLabels, lineSegments, makeBoundaryLines, makeConstellationLines } from "./constellations.js";
import { Hud, formatDistance } from "./hud.js";
import { declutterLabels, findLandmark, searchLandmarks } from "./landmarks.js";
import { Navigator, SPEED_REGIMES } from "./navigation.js";
import { openPack } from "./pack.js";
import { exposureFor } from "./photometry.js";
import { pickStar } from "./pick.js";
import { LightRenderer } from "./renderer.js";
import { MINOR_PLANET_VIEW_AU, MinorPlanetLayer, checkMinorPlanetsEntry, julianDateOfYear } from "./minor_planets.js";
import { PlanetTable } from "./planet_table.js";
import { AU_PC, KM_PC, ORBIT_POINTS, PLANETS, RADIUS_KM, discOf, orbitLines, solarBodies } from "./solar.js";
import { gaiaQuery, searchStars } from "./stars.js";
import { Streamer } from "./streamer.js";
import { parseTour, poseAt } from "./tour.js";
import { formatView, parseView, resolvePoint } from "./viewstate.js";

const MAX_LABELS = 30;
/** A click on the sky finds a star whose image puts at least this exposed flux into the pixel (about a grey level
 * after the tone map), or the brightest within this many CSS pixels of it. */
const PICK_VISIBLE_FLUX = 1e-3;
const PICK_TAP_CSS_PX = 8;
/** Time constant of the eye's adaptation to the light in view (s). */
const ADAPTATION_S = 0.4;

/** Offer `blob` as a download named `name`. */
function download(blob, name) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

/** A described star as a warp's target: a star's system, four times 2e-3 pc away (landmarks.js). */
const asLandmark = (star) => ({ name: star.title, position: star.position, category: "bright_star" });

async function fetchJson(url) {
  let response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(`${url}: cannot fetch (${error.message})`);
  }
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  try {
    return await response.json();
  } catch (error) {
    throw new Error(`${url}: not valid JSON (${error.message})`);
  }
}

class App {
  constructor() {
    this.canvas = document.getElementById("sky");
    this.keys = new Set();
    this.dirty = true;
    this.frameTimes = [];
    this.lastFrame = null;
    this.waiters = [];
    this.error = null;
    this.hud = new Hud(document.getElementById("hud"), {
      onSearch: (text) => this.search(text),
      onPick: (mark) => {
        if (mark.none) return null;
        if (mark.gaia !== undefined) return this.goToGaia(mark.gaia).catch((error) => this.fail(error));
        if (mark.minor !== undefined) return this.goToMinorPlanet(mark.minor).catch((error) => this.fail(error));
        if (mark.category === "planet" || mark.category === "sun") return this.goToSolarBody(mark.name).catch((error) => this.fail(error));
        return mark.hip !== undefined ? this.goToStar(mark).catch((error) => this.fail(error)) : this.warp(mark);
      },
      onMagnitude: (mag) => { this.mag = mag; this.autoExposure = false; this.controlsChanged(); },
      onAutoExposure: (on) => { this.autoExposure = on; this.controlsChanged(); },
      onEpoch: (epoch) => { this.epoch = epoch; this.controlsChanged(); },
      onClock: (change) => this.changeClock(change),
      onScreenshot: () => this.saveScreenshot(),
      onRecord: () => this.toggleRecording(),
      onTourFile: (file) => file.text().then((text) => this.playTour(JSON.parse(text), file.name)).catch((error) => this.fail(error)),
    });
    this.tour = null; // a tour playing: {tour, started (ms), resolve}
    this.recording = null; // a tour being recorded: {started (ms), keyframes}
  }

  fail(error) {
    const message = error && error.message ? error.message : String(error);
    if (this.error === null) this.error = message;
    this.hud.showError(message);
    this.hud.setVisible(true);
    for (const waiter of this.waiters.splice(0)) waiter.reject(new Error(message));
  }

  async boot() {
    this.site = await fetchJson("site.json");
    const marks = await fetchJson(this.site.landmarks);
    this.landmarks = marks.landmarks.map((mark) => ({ ...mark, position: [mark.x_pc, mark.y_pc, mark.z_pc] }));
    this.pack = await openPack(this.site.pack);
    this.catalogue = new StarCatalogue(this.pack, this.site, fetchJson); // names and ids, fetched when first asked for
    const view = parseView(location.search);
    this.hudVisible = view.hud;
    this.hud.setVisible(view.hud);
    this.fov = view.fov;
    this.mag = view.mag ?? this.site.photometry.default_limiting_mag;
    this.autoExposure = view.mag === null; // a magnitude in the URL fixes the exposure; else the eye adapts
    this.packEpoch = this.pack.meta.epoch ?? 2016.0;
    this.epoch = view.epoch ?? this.packEpoch;
    const eye = resolvePoint(view.from, this.landmarks, "from");
    const target = resolvePoint(view.lookat, this.landmarks, "lookat");
    this.nav = new Navigator(eye, lookAt(eye, target, view.up));
    this.nav.up = view.up;
    this.renderer = new LightRenderer(this.canvas, this.site.photometry);
    this.figures = null; // constellations.json, fetched when first shown
    this.showLines = view.lines;
    this.showNames = view.names;
    this.showBounds = view.bounds;
    this.showSolar = view.solar;
    this.showOrbits = true; // the planets' orbit lines while the solar system is shown (key L)
    this.solarDrawables = null; // the Sun and the planets, points and discs, made again each frame they are shown (solar.js)
    this.planetTable = null; // DE421's planets (planet_table.js), fetched when the solar system is first shown
    this.minorPlanets = this.pack.minorPlanetsEntry ? new MinorPlanetLayer(checkMinorPlanetsEntry(this.pack.minorPlanetsEntry, this.site.pack),
      this.renderer, { colour: this.site.sun_colour, toFrame: this.site.icrs_to_frame, onChange: () => { this.dirty = true; },
        onError: (error) => this.fail(error) }) : null; // minor_planets.js: fetched when the solar system is first shown
    await this.loadConstellations();
    this.glare = view.glare;
    if (view.glare !== null) this.renderer.setGlare(view.glare);
    this.streamer = new Streamer(this.pack, this.renderer, {
      budgetBytes: view.budgetMb * 1024 * 1024, reachPx: 4 * this.site.photometry.psf_sigma_px + 1,
      ruleConstants: this.site.level_rule, onChange: () => { this.dirty = true; }, onError: (error) => this.fail(error),
    });
    this.hud.setControls(this.mag, this.epoch, this.packEpoch, this.autoExposure);
    this.clock = new Clock();
    this.hud.setTime(this.epoch, this.clock);
    this.bindInput();
    window.addEventListener("resize", () => { this.dirty = true; });
    requestAnimationFrame((now) => this.frame(now));
    if (view.tour) this.playTour(await fetchJson(view.tour), view.tour);
  }

  controlsChanged() {
    this.hud.setControls(this.mag, this.epoch, this.packEpoch, this.autoExposure);
    this.hud.setTime(this.epoch, this.clock);
    this.moved();
  }

  /** Play or pause (toggle), a speed (index into clock.js SPEEDS, or step: +1 faster, -1 slower), run backwards. */
  changeClock({ toggle = false, speed = null, step = 0, reverse = false }) {
    if (toggle) this.clock.playing = !this.clock.playing;
    if (speed !== null) this.clock.speed = speed;
    if (step) this.clock.faster(step);
    if (reverse) this.clock.direction = -this.clock.direction;
    this.hud.setTime(this.epoch, this.clock);
    this.dirty = true;
  }

  /** The clock runs: the epoch moves on (the date in the HUD every frame, the slider and the URL when it settles). */
  tick(seconds) {
    this.epoch = this.clock.advance(this.epoch, seconds);
    this.hud.setTime(this.epoch, this.clock);
    this.moved();
  }

  get kyr() {
    return (this.epoch - this.packEpoch) / 1000;
  }

  camera(eye = this.nav.eye, basis = this.nav.basis) {
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(this.canvas.clientWidth * ratio));
    const height = Math.max(1, Math.round(this.canvas.clientHeight * ratio));
    return new Camera(eye, basis, this.fov, width, height);
  }

  bindInput() {
    window.addEventListener("keydown", (event) => {
      if (event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement) return;
      const key = event.key.toLowerCase();
      if (key === " ") event.preventDefault(); // the clock's key, not a click of the focused button
      this.keys.add(key);
      if (key === "q") this.nav.setRegime(-1);
      if (key === "e") this.nav.setRegime(1);
      if (key === "h") this.warp(findLandmark(this.landmarks, "sun"));
      if (key === "c") this.showLines = !this.showLines;
      if (key === "n") this.showNames = !this.showNames;
      if (key === "b") this.showBounds = !this.showBounds;
      if (key === "o") { this.showSolar = !this.showSolar; this.moved(); }
      if (key === "l") this.showOrbits = !this.showOrbits;
      if (key === " ") this.changeClock({ toggle: true });
      if (key === "[" || key === "]") this.changeClock({ step: key === "]" ? 1 : -1 });
      if (key === "\\") this.changeClock({ reverse: true });
      if (["c", "n", "b"].includes(key)) this.loadConstellations().then(() => this.moved(), (error) => this.fail(error));
      if (key === "p") this.saveScreenshot();
      if (key === "k") this.toggleRecording();
      const planet = ["mercury", "venus", "earth", "mars", "jupiter", "saturn", "uranus", "neptune"][Number(key) - 1];
      if (planet) this.goToSolarBody(planet).catch((error) => this.fail(error));
      this.dirty = true;
    });
    window.addEventListener("keyup", (event) => this.keys.delete(event.key.toLowerCase()));
    window.addEventListener("blur", () => this.keys.clear());
    const pointers = new Map();
    let pinch = null;
    let press = null; // where a single pointer went down: a release there (no drag) is a click on a star
    this.canvas.addEventListener("pointerdown", (event) => {
      this.canvas.setPointerCapture(event.pointerId);
      pointers.set(event.pointerId, [event.clientX, event.clientY]);
      press = pointers.size === 1 ? [event.clientX, event.clientY] : null;
      pinch = null;
    });
    this.canvas.addEventListener("pointermove", (event) => {
      const last = pointers.get(event.pointerId);
      if (!last) return;
      const now = [event.clientX, event.clientY];
      pointers.set(event.pointerId, now);
      if (pointers.size === 2) {
        const [a, b] = [...pointers.values()];
        const spread = Math.hypot(a[0] - b[0], a[1] - b[1]);
        if (pinch) this.nav.zoom(pinch / Math.max(spread, 1));
        pinch = spread;
      } else {
        const pixelsPerRadian = this.camera().focal / (window.devicePixelRatio || 1);
        this.nav.drag((now[0] - last[0]) / pixelsPerRadian, (now[1] - last[1]) / pixelsPerRadian);
      }
      this.moved();
    });
    const release = (event) => { pointers.delete(event.pointerId); pinch = null; };
    this.canvas.addEventListener("pointerup", (event) => {
      const clicked = press && Math.hypot(event.clientX - press[0], event.clientY - press[1]) < 4;
      release(event);
      press = null;
      if (clicked) this.clickAt(event.clientX, event.clientY).catch((error) => this.fail(error));
    });
    this.canvas.addEventListener("pointercancel", release);
    this.canvas.addEventListener("wheel", (event) => {
      event.preventDefault();
      this.nav.zoom(Math.exp(event.deltaY * 0.001));
      this.moved();
    }, { passive: false });
  }

  /** The landmarks and the stars matching `text` (the stars once star_names.json is here: the first search fetches it). */
  search(text) {
    const moon = this.site.planets_de421 ? [{ name: "Moon", category: "planet" }] : []; // drawn from DE421's places
    const marks = searchLandmarks([...(this.landmarks || []), ...moon], text);
    const catalogue = this.catalogue;
    if (!catalogue.names && this.site.star_names && text.trim()) catalogue.loadNames().then(() => this.hud.refreshSearch(), (error) => this.fail(error));
    const gaia = gaiaQuery(text);
    if (gaia !== null) {
      return this.pack.meta.ids === "gaia_dr3" ? [{ label: `Gaia DR3 ${gaia} (Enter: find it)`, gaia }]
        : [{ label: `this universe's stars have ${this.pack.meta.ids} ids, not Gaia DR3 source_ids`, none: true }];
    }
    const minor = this.minorPlanets ? this.minorPlanets.search(text, () => this.hud.refreshSearch()) : [];
    return [...marks, ...minor, ...searchStars(catalogue.names, text)].slice(0, 16);
  }

  /** Show the solar system and fly to the Sun, a planet or the Moon where it is drawn at the epoch shown, 20 radii
   * away (DE421's places fetched first). */
  async goToSolarBody(name) {
    if (!this.showSolar) { this.showSolar = true; this.moved(); }
    this.loadPlanetTable();
    if (this.planetTableLoading) await this.planetTableLoading;
    this.solarSystem(this.camera()); // the planets' marks at the epoch shown
    return this.warp(findLandmark(this.marks(), name));
  }

  /** Search's minor planet: the solar system shown, a flight to where it is at the epoch shown (its place from its
   * orbit in float64), 0.01 au away: it is drawn as a point (its size is not known), so closer it would only dazzle. */
  async goToMinorPlanet({ record, number, name }) {
    if (!this.showSolar) { this.showSolar = true; this.moved(); }
    const { place } = await this.minorPlanets.placeOf(record, julianDateOfYear(this.epoch));
    const turned = turnInto(this.site.icrs_to_frame, place);
    return this.warp({ name: `(${number})${name ? ` ${name}` : ""}`, category: "minor_planet", position: turned.map((x) => x * AU_PC),
      scale_pc: MINOR_PLANET_VIEW_AU * AU_PC / 4 });
  }

  /** Search's Gaia result: find the star, fly there and describe it, or say that no star of the universe has the id. */
  async goToGaia(sourceId) {
    const found = await this.catalogue.findGaia(sourceId, this.packEpoch);
    if (!found.cell) {
      this.hud.showStar({ title: `Gaia DR3 ${sourceId}`, rows: [["not found", `no star of this universe has this id (${found.searched} cells along its line of sight searched)`]] });
      return null;
    }
    const star = await this.showStar(found.cell, found.row);
    await this.warp(asLandmark(star));
    return this.showStar(found.cell, found.row); // again: "from here" is now from beside it
  }

  /** The star under a click at (clientX, clientY): its panel, or the panel closed when no star shows there. */
  async clickAt(clientX, clientY) {
    const ratio = window.devicePixelRatio || 1;
    const box = this.canvas.getBoundingClientRect();
    return this.pickPixel(Math.floor((clientX - box.left) * ratio), Math.floor((clientY - box.top) * ratio));
  }

  /** The star drawn under device pixel (px, py), described in the panel (returned), or null. */
  async pickPixel(px, py) {
    const camera = this.camera();
    const ratio = window.devicePixelRatio || 1;
    const hit = pickStar(camera, this.streamer.drawnStars(), this.kyr, px, py, {
      exposure: exposureFor(this.mag, this.site.photometry.limit_exposed_flux), sigma: this.renderer.sigma, reach: this.renderer.reach,
      maxFlux: this.renderer.maxFlux, visible: PICK_VISIBLE_FLUX, tapPx: PICK_TAP_CSS_PX * ratio,
    });
    if (!hit) { this.hud.showStar(null); return null; }
    return this.showStar(hit.cell, hit.row);
  }

  /** A search result that is a star: fly to it and describe it. */
  async goToStar(result) {
    const cell = await this.catalogue.findCell(result.cellId, result.shardId);
    const star = await this.showStar(cell, result.row);
    await this.warp(asLandmark(star));
    return this.showStar(cell, result.row); // again: "from here" is now from beside it
  }

  /** Describe star `row` of `cell` in the panel (its points, velocity and ids records fetched as needed). */
  async showStar(cell, row) {
    const star = await this.catalogue.describe(cell, row, this.nav.eye, this.kyr);
    this.hud.showStar(star, () => this.warp(asLandmark(star)).then(() => this.showStar(cell, row)).catch((error) => this.fail(error)));
    return star;
  }

  /** The Sun, (within 3000 BC - 3000 AD) the planets and (within DE421's span) the Moon at the epoch shown, each as bright
   * as it looks from the camera: drawables made anew each frame, points about the Sun and a disc for each body whose
   * radius spans two pixels (solar.js discOf). */
  solarSystem(camera) {
    this.loadPlanetTable();
    const bodies = solarBodies(this.epoch, camera.eye, this.site.icrs_to_frame, this.planetTable);
    const colour = this.site.sun_colour;
    for (const drawable of this.solarDrawables || []) this.renderer.dispose(drawable.object);
    this.solarDrawables = [];
    const points = [];
    bodies.names.forEach((name, i) => {
      const disc = discOf(camera, Array.from(bodies.places64.subarray(3 * i, 3 * i + 3)), RADIUS_KM[name] * KM_PC, bodies.absMag[i], colour,
        name === "sun");
      if (disc === null) points.push(i);
      else if (disc.box) this.solarDrawables.push({ object: this.renderer.makeDisc(disc, camera.width, camera.height), centre: [0, 0, 0] });
    });
    const pick = (array, size) => Float32Array.from(points.flatMap((i) => Array.from(array.subarray(size * i, size * i + size))));
    const colours = Float32Array.from(points.flatMap(() => colour));
    this.solarDrawables.push({ object: this.renderer.makeStars({ positions: pick(bodies.positions, 3), absMag: pick(bodies.absMag, 1), colours }, null),
      centre: [0, 0, 0], count: points.length });
    this.hud.setSolarNote(bodies.planets ? `The planets' places: ${bodies.source}.`
      : "The planets are drawn from 3000 BC to 3000 AD only, where their orbital elements hold.");
    // The planets as landmarks where they are drawn (the landmarks file's planets are where they were on 2025-01-01).
    this.solarMarks = bodies.names.filter((name) => name !== "sun").map((name) => {
      const i = bodies.names.indexOf(name);
      return { name: name[0].toUpperCase() + name.slice(1), category: "planet", position: Array.from(bodies.places64.subarray(3 * i, 3 * i + 3)),
        scale_pc: 5 * RADIUS_KM[name] * KM_PC };
    });
    return this.solarDrawables;
  }

  /** DE421's planets (planet_table.js), fetched once when the solar system is first shown; until they land (or in a
   * site without them) the planets come from Standish's elements. */
  loadPlanetTable() {
    if (this.planetTableLoading !== undefined || !this.site.planets_de421) return;
    this.planetTableLoading = fetch(this.site.planets_de421).then((response) => {
      if (!response.ok) throw new Error(`${this.site.planets_de421}: HTTP ${response.status}`);
      return response.arrayBuffer();
    }).then((buffer) => {
      this.planetTable = new PlanetTable(new Uint8Array(buffer), this.site.planets_de421);
      this.planetTableLoading = null;
      this.dirty = true;
    }).catch((error) => this.fail(error));
  }

  /** The landmarks, with the planets where the page draws them when it does (labels, keys 1-8). */
  marks() {
    if (!this.showSolar || !this.solarMarks) return this.landmarks;
    return [...this.landmarks.filter((mark) => mark.category !== "planet"), ...this.solarMarks];
  }

  /** Fetch the constellations (once) when the lines, names or boundaries are to be shown; a site without them has none. */
  async loadConstellations() {
    if (this.figures || !this.site.constellations || !(this.showLines || this.showNames || this.showBounds)) return;
    this.figures = await fetchJson(this.site.constellations);
    this.constellationLines = makeConstellationLines(this.figures, this.renderer.shared);
    this.boundaryLines = makeBoundaryLines(this.figures, this.renderer.shared);
  }

  /** What is drawn over the image: the figures' lines (`lines`, key C), the IAU boundaries (`bounds`, key B) near the Sun,
   * the planets' orbits while the solar system is shown (key L). */
  overlays(camera) {
    const orbits = this.showSolar && this.showOrbits ? [this.orbitOverlay()] : [];
    if (!this.figures) return orbits;
    const nearSun = norm(camera.eye) <= this.figures.boundaries_within_pc;
    return [...(this.showLines ? [this.constellationLines] : []), ...(this.showBounds && nearSun ? [this.boundaryLines] : []), ...orbits];
  }

  /** The planets' orbit lines (solar.js orbitLines) at the epoch shown, placed from the eye each frame. */
  orbitOverlay() {
    if (this.orbitEpoch !== this.epoch || this.orbitTable !== this.planetTable) {
      [this.orbitEpoch, this.orbitTable] = [this.epoch, this.planetTable];
      this.orbitPoints = orbitLines(this.epoch, this.site.icrs_to_frame, this.planetTable);
    }
    if (!this.orbitDrawable) {
      this.orbitDrawable = lineSegments(PLANETS.length * ORBIT_POINTS, ORBIT_RGB, this.renderer.shared, (segment, eye) => {
        let i = 0;
        for (const points of this.orbitPoints) {
          points.forEach((point, k) => { segment(i, sub(point, eye), sub(points[(k + 1) % points.length], eye)); i += 1; });
        }
        for (; i < PLANETS.length * ORBIT_POINTS; i += 1) segment(i, [0, 0, 0], [0, 0, 0]); // none outside the elements' span
      }, false, ORBIT_NEAR_PC);
    }
    return this.orbitDrawable;
  }

  /** Save the view as a PNG at the display's resolution (the canvas keeps its last frame). */
  saveScreenshot() {
    this.canvas.toBlob((blob) => download(blob, `helios-${new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19)}.png`), "image/png");
  }

  /** Start recording a tour, or stop and save it (a keyframe whenever the view has changed, at most every half second). */
  toggleRecording() {
    if (!this.recording) {
      this.recording = { started: performance.now(), keyframes: [{ t: 0, view: this.viewQuery().slice(1) }] };
    } else {
      this.recordKeyframe(performance.now(), true);
      const recorded = { format: "helios-tour", version: 1, keyframes: this.recording.keyframes };
      this.recording = null;
      download(new Blob([JSON.stringify(recorded, null, 1)], { type: "application/json" }), "helios-tour.json");
    }
    this.hud.setRecording(Boolean(this.recording));
  }

  recordKeyframe(now, last = false) {
    const keyframes = this.recording.keyframes;
    const t = Math.round(now - this.recording.started) / 1000;
    const view = this.viewQuery().slice(1);
    const previous = keyframes[keyframes.length - 1];
    if ((last || t - previous.t >= 0.5) && view !== previous.view && t > previous.t) keyframes.push({ t, view });
  }

  /** Play a tour (its JSON document) from its start; resolves when it ends (a TourError for a malformed one). */
  playTour(tourDocument, label = "tour") {
    const tour = parseTour(tourDocument, label);
    this.poseAt(tour, tour.times[0]);
    return new Promise((resolve) => { this.tour = { tour, started: performance.now(), resolve }; this.dirty = true; });
  }

  /** Put the camera, exposure, glare, epoch and overlays where `tour` is at time `t` (its keyframes' clock). */
  poseAt(tour, t) {
    const resolve = (point, key) => resolvePoint(point, this.landmarks, key);
    const pose = poseAt(tour, t, resolve, { glare: this.site.photometry.default_glare, epoch: this.packEpoch });
    this.nav.warp = null;
    this.nav.anchor = null;
    this.nav.eye = pose.eye;
    this.nav.basis = lookAt(pose.eye, add(pose.eye, pose.forward), pose.up);
    this.nav.up = pose.up;
    this.fov = pose.fov;
    this.autoExposure = pose.mag === null;
    if (pose.mag !== null) this.mag = pose.mag;
    this.glare = pose.glare;
    this.renderer.setGlare(pose.glare);
    this.epoch = pose.epoch;
    [this.showLines, this.showNames, this.showBounds, this.showSolar] = [pose.lines, pose.names, pose.bounds, pose.solar];
    this.hud.setControls(this.mag, this.epoch, this.packEpoch, this.autoExposure);
    this.dirty = true;
    return this.loadConstellations();
  }

  moved() {
    this.dirty = true;
    this.urlDirty = performance.now();
  }

  warp(landmark, seconds = null) {
    const running = this.nav.warpTo(landmark, performance.now(), seconds);
    this.moved();
    return new Promise((resolve) => { running.resolve = resolve; });
  }

  handleKeys(seconds) {
    const k = this.keys;
    const direction = [(k.has("d") ? 1 : 0) - (k.has("a") ? 1 : 0), (k.has("f") ? 1 : 0) - (k.has("r") ? 1 : 0),
      (k.has("w") ? 1 : 0) - (k.has("s") ? 1 : 0)];
    const boost = k.has("shift") ? 10 : 1;
    if (direction.some(Boolean)) {
      this.nav.fly(direction.map((d) => d * boost), seconds);
      this.moved();
    }
    const yaw = (k.has("arrowright") ? 1 : 0) - (k.has("arrowleft") ? 1 : 0);
    const pitch = (k.has("arrowup") ? 1 : 0) - (k.has("arrowdown") ? 1 : 0);
    if (yaw || pitch) {
      this.nav.look(yaw * seconds, pitch * seconds);
      this.moved();
    }
  }

  frame(now) {
    try {
      // Flight follows the clock up to a quarter of a second a frame (a slow software renderer still flies at speed;
      // a longer stall does not jump).
      const seconds = this.lastFrame === null ? 0 : Math.min(0.25, (now - this.lastFrame) / 1000);
      if (this.tour) {
        const { tour, started, resolve } = this.tour;
        const t = tour.times[0] + (now - started) / 1000;
        this.poseAt(tour, Math.min(t, tour.times[tour.times.length - 1])).catch((error) => this.fail(error));
        if (t >= tour.times[tour.times.length - 1]) { this.tour = null; resolve(); }
      } else {
        this.handleKeys(seconds);
        // The sky's clock keeps the wall clock's pace on a slow renderer too (up to a second a frame: a stall does not jump).
        if (this.clock.playing && this.lastFrame !== null) this.tick(Math.min(1, (now - this.lastFrame) / 1000));
      }
      if (this.recording) this.recordKeyframe(now);
      const warp = this.nav.warp;
      if (this.nav.step(now)) {
        this.dirty = true;
        if (!this.nav.warp && warp && warp.resolve) this.afterSettled(warp.resolve);
      }
      this.draw(now);
      if (this.urlDirty && now - this.urlDirty > 400 && !this.nav.warp) {
        history.replaceState(null, "", this.viewQuery());
        this.urlDirty = null;
      }
    } catch (error) {
      this.fail(error);
    }
    this.lastFrame = now;
    requestAnimationFrame((t) => this.frame(t));
  }

  draw(now) {
    if (!this.dirty) { // nothing moved and no load landed: no new plan, no new frame
      this.resolveWaitersIfSettled();
      return;
    }
    const camera = this.camera();
    const destination = this.nav.warpDestination();
    const prefetch = destination ? this.camera(destination.eye, lookAt(destination.eye, destination.target, this.nav.up)) : null;
    // Loads that land, and loads refused while others were in flight, come back here through onChange.
    const drawables = this.streamer.update(camera, this.kyr, this.mag, prefetch);
    let days = 0;
    if (this.showSolar) {
      drawables.push(...this.solarSystem(camera));
      if (this.minorPlanets) {
        this.minorPlanets.start();
        const minor = this.minorPlanets.at(julianDateOfYear(this.epoch));
        drawables.push(...minor.drawables);
        days = minor.days;
      }
    }
    const started = performance.now();
    if (camera.width !== this.canvas.width || camera.height !== this.canvas.height) this.renderer.setSize(camera.width, camera.height);
    const exposure = exposureFor(this.mag, this.site.photometry.limit_exposed_flux);
    this.renderer.metering = this.autoExposure;
    this.renderer.setOverlay(this.overlays(camera));
    this.renderer.render(camera, drawables, exposure, this.kyr, days);
    const since = this.lastDrawn === undefined ? 0 : (now - this.lastDrawn) / 1000;
    this.frameTimes.push({ at: now, ms: performance.now() - started, interval: this.lastDrawn === undefined ? null : now - this.lastDrawn });
    if (this.frameTimes.length > 2000) this.frameTimes.shift();
    this.lastDrawn = now;
    this.dirty = false;
    if (this.autoExposure) this.adapt(exposure, since);
    if (this.hudVisible) this.updateOverlays(camera, drawables);
    this.resolveWaitersIfSettled();
  }

  /** Ease the limiting magnitude towards the one the frame just drawn asks for (helios/render/exposure.py); keep
   * drawing until they agree to 0.01 mag. */
  adapt(exposure, since) {
    // Not while stars are still on their way: a frame without them would ask for a deeper exposure, and the
    // streamer would fetch stars to that depth.  A landing load draws again (and comes back here).
    if (!this.streamer.settled()) { this.adapting = true; return; }
    const rule = this.site.photometry.auto_exposure;
    const p = this.renderer.meter(rule.octave, rule.percentile) / exposure;
    const wanted = p > 0 ? 2.5 * Math.log10(rule.exposed / (p * this.site.photometry.limit_exposed_flux)) : rule.max_limiting_mag;
    const target = Math.min(Math.max(wanted, rule.min_limiting_mag), rule.max_limiting_mag);
    const seconds = Math.min(since, 0.5);
    const step = target - this.mag;
    this.adapting = Math.abs(step) > 0.01;
    if (!this.adapting) return;
    // Eased with a time constant of ADAPTATION_S, never by less than a tenth of the way a frame (slow machines converge too).
    this.mag += step * Math.max(1 - Math.exp(-seconds / ADAPTATION_S), 0.1);
    if (Math.abs(target - this.mag) <= 0.01) this.mag = target;
    this.hud.setControls(this.mag, this.epoch, this.packEpoch, true);
    this.dirty = true;
  }

  resolveWaitersIfSettled() {
    if (this.streamer.settled() && !this.nav.warp && !(this.autoExposure && this.adapting) && !this.planetTableLoading) {
      for (const waiter of this.waiters.splice(0)) waiter.resolve();
    }
  }

  updateOverlays(camera, drawables) {
    const ratio = window.devicePixelRatio || 1;
    const eye = camera.eye;
    const anchor = this.nav.anchor;
    let nearest = null;
    let nearestDistance = Infinity;
    const placed = [];
    for (const mark of this.marks()) {
      const distance = norm(sub(mark.position, eye));
      if (distance < nearestDistance) { nearest = mark; nearestDistance = distance; }
      const at = camera.project(mark.position);
      if (!at || at[0] < 0 || at[1] < 0 || at[0] >= camera.width || at[1] >= camera.height || distance < 1e-9) continue;
      placed.push({ mark, u: at[0] / ratio, v: at[1] / ratio, distance });
    }
    placed.sort((a, b) => a.distance - b.distance);
    this.hud.placeLabels(declutterLabels(placed).slice(0, MAX_LABELS));
    const names = [];
    if (this.showNames && this.figures) {
      this.figureLabels ??= figureLabels(this.figures);
      for (const { name, centre, velocity } of this.figureLabels) {
        const at = camera.project(add(centre, scale(velocity, this.kyr)));
        if (at && at[0] >= 0 && at[1] >= 0 && at[0] < camera.width && at[1] < camera.height) names.push({ name, u: at[0] / ratio, v: at[1] / ratio });
      }
    }
    this.hud.placeNames(names);
    const crumb = anchor ?? nearest;
    this.hud.setBreadcrumb(anchor ? anchor.name : `near ${crumb.name}`, norm(sub(crumb.position, eye)), norm(eye),
      SPEED_REGIMES[this.nav.regime].name);
    const stars = drawables.reduce((sum, d) => sum + (d.object.isPoints ? d.count : 0), 0);
    const gaussians = drawables.reduce((sum, d) => sum + (d.object.isPoints ? 0 : d.count), 0);
    const levels = Object.values(this.streamer.levelChoices).filter(Boolean).length;
    const cache = this.streamer.cache;
    this.hud.setStatus(`${this.streamer.visibleIds.size} cells in view (${levels} at a level of detail): ${stars.toLocaleString()} stars` +
      `${gaussians ? `, ${gaussians.toLocaleString()} Gaussians` : ""} · ` +
      `cache ${(cache.bytes / 1048576).toFixed(1)} of ${(cache.budgetBytes / 1048576).toFixed(0)} MB` +
      `${this.streamer.overBudget ? " (budget reached: not every cell is drawn)" : ""} · fetched ${(this.pack.bytesFetched / 1048576).toFixed(2)} MB` +
      ` · ${formatDistance(norm(eye))} from the Sun`);
  }

  viewQuery() {
    const anchorDistance = this.nav.anchor ? norm(sub(this.nav.anchor.position, this.nav.eye)) : 0;
    const reach = anchorDistance > 0 ? anchorDistance : Math.max(norm(this.nav.eye), 1);
    return formatView({
      eye: this.nav.eye, target: add(this.nav.eye, scale(this.nav.basis.forward, reach)), fov: this.fov,
      mag: this.autoExposure ? null : this.mag, glare: this.glare, epoch: this.epoch === this.packEpoch ? null : this.epoch, up: scale(this.nav.basis.down, -1), hud: this.hudVisible,
      lines: this.showLines, names: this.showNames, bounds: this.showBounds, solar: this.showSolar,
    });
  }

  afterSettled(callback) {
    this.waiters.push({ resolve: callback, reject: callback });
  }

  settled() {
    if (this.error !== null) return Promise.reject(new Error(this.error));
    this.dirty = true;
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }
}

const app = new App();
// The page's scripting interface: tests and the benchmark drive the client through it.
window.helios = {
  app,
  ready: null,
  get error() { return app.error; },
  settled: () => app.settled(),
  warp: (name, seconds = null) => app.warp(findLandmark(app.landmarks, name), seconds).then(() => app.settled()),
  view: () => app.viewQuery(),
  playTour: (tour) => app.playTour(tour).then(() => app.settled()),
  tourFrame: (tour, t) => app.poseAt(parseTour(tour), t).then(() => app.settled()),
  screenshot: () => app.saveScreenshot(),
  pick: (px, py) => app.pickPixel(px, py),
  findStars: (text) => app.catalogue.loadNames().then(() => searchStars(app.catalogue.names, text)),
  goToStar: (result) => app.goToStar(result).then((star) => app.settled().then(() => star)),
  findGaia: (id) => app.catalogue.findGaia(BigInt(id), app.packEpoch).then((found) => (found.cell ? { cell: found.cell.id, row: found.row, searched: found.searched } : { cell: null, searched: found.searched })),
  goToGaia: (id) => app.goToGaia(BigInt(id)).then((star) => app.settled().then(() => star)),
  // The minor planets: every chunk fetched and drawn; then the places their shader computes at Julian date jd.
  minorPlanets: () => (app.minorPlanets ? app.minorPlanets.start().then(() => app.settled()).then(() => ({
    count: app.minorPlanets.count, bytesFetched: app.minorPlanets.bytesFetched })) : Promise.resolve(null)),
  probeMinorPlanets: (jd) => {
    const { days } = app.minorPlanets.at(jd);
    return app.minorPlanets.chunks.map((chunk) => ({ numbers: Array.from(chunk.orbits.number), h: Array.from(chunk.orbits.h),
      places: Array.from(app.renderer.probeMinorPlanets(chunk.object, days)) }));
  },
  frame: () => {
    const started = performance.now();
    app.dirty = true;
    app.draw(performance.now());
    app.renderer.renderer.getContext().finish();
    return performance.now() - started;
  },
  stats: () => ({
    bytesFetched: app.pack.bytesFetched, requests: app.streamer.requests, plans: app.streamer.updates, cacheBytes: app.streamer.cache.bytes,
    peakCacheBytes: app.streamer.cache.peakBytes, budgetBytes: app.streamer.cache.budgetBytes,
    cellsInView: [...app.streamer.visibleIds], cacheEntries: app.streamer.cache.entries.size, evictions: app.streamer.cache.evictions, levelChoices: app.streamer.levelChoices,
    overBudget: app.streamer.overBudget, frameTimes: app.frameTimes.slice(), glRenderer: app.renderer.glRenderer,
    lightPrecision: app.renderer.lightPrecision, limitingMag: app.mag, autoExposure: app.autoExposure,
  }),
};
window.helios.ready = app.boot().then(() => app.settled()).catch((error) => { app.fail(error); throw error; });
window.helios.ready.catch(() => {}); // the page shows the error; a test reads window.helios.error
