// Unit tests of the client's pure modules (node --test client/test/; run by tests/client/test_node_units.py).
import assert from "node:assert/strict";
import test from "node:test";

import { CellCache } from "../src/cache.js";
import { Camera, lookAt, norm, sub } from "../src/camera.js";
import { formatDistance } from "../src/hud.js";
import { LandmarkError, declutterLabels, findLandmark, minimumDistance, searchLandmarks, viewingDistance } from "../src/landmarks.js";
import { Navigator, warpDuration } from "../src/navigation.js";
import { halfToFloat, jsonDepth, show } from "../src/pack.js";
import { decodeColour, exposureFor } from "../src/photometry.js";
import { ViewError, formatView, parseView, resolvePoint } from "../src/viewstate.js";

const close = (a, b, tolerance) => assert.ok(Math.abs(a - b) <= tolerance, `${a} vs ${b}`);
const marks = [
  { name: "Sun", category: "sun", position: [0, 0, 0] },
  { name: "Betelgeuse (HIP 27989)", category: "bright_star", position: [4.7, 151.3, 11.4] },
  { name: "M 42 (Orion Nebula)", category: "nebula", position: [50, 390, -40] },
  { name: "M 45 (Pleiades)", category: "open_cluster", position: [67, 100, 56] },
];

test("photometry: the exposure puts a star at the limiting magnitude at exposed flux 0.02", () => {
  close(exposureFor(6.5, 0.02) * 10 ** (-0.4 * 6.5), 0.02, 1e-15);
  const white = decodeColour(0xffff);
  white.forEach((c) => close(c, 1, 1e-12));
  const red = decodeColour(31 << 11);
  close(0.2126 * red[0] + 0.7152 * red[1] + 0.0722 * red[2], 1, 1e-12);
  assert.deepEqual(decodeColour(0), [1, 1, 1]);
});

test("half floats decode as IEEE 754 binary16", () => {
  assert.equal(halfToFloat(0x3c00), 1);
  assert.equal(halfToFloat(0xc000), -2);
  assert.equal(halfToFloat(0x0001), 2 ** -24);
  assert.equal(halfToFloat(0x7c00), Infinity);
  assert.ok(Number.isNaN(halfToFloat(0x7e00)));
});

test("pack: JSON nesting is counted without parsing, brackets in strings ignored; file values shown escaped", () => {
  const bytes = (text) => new TextEncoder().encode(text);
  assert.equal(jsonDepth(bytes('{"cells":[{"blocks":[{"a":1}]}]}')), 5);
  assert.equal(jsonDepth(bytes('{"note":"[[[[\\"[[[\\\\","x":[]}')), 2);
  assert.equal(jsonDepth(bytes("[".repeat(200000))), 17, "stops counting past the limit");
  assert.equal(show("\u001b[31mred"), '"\\u001b[31mred"');
  assert.equal(show("x".repeat(100)).length, 43);
});

test("camera: a point on the axis projects to the image centre; up is up, right is right", () => {
  const camera = Camera.looking([0, 0, 0], [10, 0, 0], 90, 200, 100);
  assert.deepEqual(camera.project([10, 0, 0]), [100, 50]);
  close(camera.focal, 100, 1e-12);
  const above = camera.project([10, 0, 1]);
  assert.ok(above[1] < 50 && Math.abs(above[0] - 100) < 1e-12);
  assert.equal(camera.project([-10, 0, 0]), null);
  assert.throws(() => lookAt([1, 1, 1], [1, 1, 1]), /its own position/);
  assert.throws(() => lookAt([0, 0, 0], [0, 0, 5]), /parallel/);
  assert.ok(camera.seesSphere([10, 0, 0], 1, 4));
  assert.ok(!camera.seesSphere([-10, 0, 0], 1, 4));
  assert.ok(camera.seesSphere([0.5, 0, 0], 1, 4), "inside the sphere");
});

test("view state: parse, resolve names and format back to the same view", () => {
  const view = parseView("?from=1.5,-2,3e2&lookat=betel&fov=40&mag=9&epoch=3000&hud=0");
  assert.deepEqual(view.from, [1.5, -2, 300]);
  assert.equal(view.lookat, "betel");
  assert.deepEqual(resolvePoint(view.lookat, marks, "lookat"), marks[1].position);
  assert.deepEqual(resolvePoint("SUN", marks, "from"), [0, 0, 0]);
  assert.equal(view.hud, false);
  const again = parseView(formatView({ eye: view.from, target: [4, 5, 6], fov: 40, mag: 9, epoch: 3000, up: [0, 0, 1], hud: false }));
  assert.deepEqual([again.from, again.lookat, again.fov, again.mag, again.epoch, again.hud], [[1.5, -2, 300], [4, 5, 6], 40, 9, 3000, false]);
  assert.throws(() => parseView("?fov=200"), ViewError);
  assert.throws(() => parseView("?up=1,2"), ViewError);
  assert.throws(() => parseView("?mag=bright"), ViewError);
  assert.throws(() => parseView("?budget=0"), ViewError);
  assert.equal(parseView("?budget=0.5").budgetMb, 0.5);
  assert.equal(parseView("").budgetMb, 512);
  assert.deepEqual([parseView("").lines, parseView("").names, parseView("").bounds], [false, false, false]); // unless asked
  const shown = parseView(formatView({ eye: [0, 0, 0], target: [1, 0, 0], fov: 60, up: [0, 0, 1], lines: true, names: true, bounds: true }));
  assert.deepEqual([shown.lines, shown.names, shown.bounds], [true, true, true]);
  assert.throws(() => parseView("?lines=yes"), /URL lines=yes: give 1 \(show\) or 0 \(hide\)/);
});

test("landmarks: exact, unique start, ambiguous and unknown names", () => {
  assert.equal(findLandmark(marks, "m 42 (orion nebula)").name, "M 42 (Orion Nebula)");
  assert.equal(findLandmark(marks, "Betel").name, "Betelgeuse (HIP 27989)");
  assert.throws(() => findLandmark(marks, "M 4"), (e) => e instanceof LandmarkError && /2 landmarks start so/.test(e.message));
  assert.throws(() => findLandmark(marks, "pleiad"), /did you mean M 45 \(Pleiades\)/);
  assert.deepEqual(searchLandmarks(marks, "NEBU").map((m) => m.name), ["M 42 (Orion Nebula)"]);
  const starts = [{ name: "Alpha M 4x" }, { name: "M 4" }];
  assert.deepEqual(searchLandmarks(starts, "m 4").map((m) => m.name), ["M 4", "Alpha M 4x"], "names that start so first");
  assert.deepEqual(searchLandmarks(marks, "  "), []);
  assert.ok(viewingDistance(marks[2]) > minimumDistance(marks[2]));
});

test("cache: least recently used cells go first; cells in view are kept; the budget holds", () => {
  const evicted = [];
  const cache = new CellCache(100, (id) => evicted.push(id));
  cache.set("a", 1, 40);
  cache.set("b", 2, 40);
  cache.get("a");
  assert.ok(cache.makeRoom(40, new Set()));
  assert.deepEqual(evicted, ["b"]);
  cache.set("c", 3, 40);
  assert.ok(!cache.makeRoom(40, new Set(["a", "c"])), "what is in view is never evicted");
  assert.ok(cache.bytes <= 100 && cache.peakBytes <= 100);
});

test("navigation: a warp ends at the landmark's viewing distance, looking at it; zoom keeps its limits", () => {
  const nav = new Navigator([0, 0, 0], lookAt([0, 0, 0], [1, 0, 0]));
  const target = marks[3];
  nav.warpTo(target, 0);
  const duration = nav.warp.duration;
  close(duration, warpDuration(norm(target.position), viewingDistance(target)) * 1000, 1e-9);
  assert.ok(nav.step(duration / 2) && nav.warp !== null);
  const half = norm(sub(nav.eye, target.position));
  assert.ok(half < norm(target.position) && half > viewingDistance(target));
  nav.step(duration);
  assert.equal(nav.warp, null);
  assert.equal(nav.anchor, target);
  close(norm(sub(nav.eye, target.position)), viewingDistance(target), 1e-9);
  const toward = sub(target.position, nav.eye).map((x) => x / norm(sub(target.position, nav.eye)));
  toward.forEach((x, i) => close(x, nav.basis.forward[i], 1e-9));
  for (let i = 0; i < 100; i += 1) nav.zoom(0.5);
  close(norm(sub(nav.eye, target.position)), minimumDistance(target), 1e-9);
  nav.fly([0, 0, 1], 1);
  assert.equal(nav.anchor, null);
});

test("distances read as people say them", () => {
  assert.equal(formatDistance(4.84813681109536e-6), "1.00 AU");
  assert.equal(formatDistance(1.3), "1.30 pc (4.24 ly)");
  assert.equal(formatDistance(8200), "8.20 kpc");
  assert.equal(formatDistance(7.8e5), "780 kpc");
  assert.equal(formatDistance(1e8), "100 Mpc");
});

test("labels that would overlap a nearer one are left out; apart, all are shown", () => {
  const at = (name, u, v) => ({ mark: { name }, u, v });
  const crowded = [at("Sirius", 100, 100), at("Procyon", 120, 104), at("Betelgeuse", 100, 200), at("Rigel", 40, 100), at("Bellatrix", 30, 97)];
  // Procyon's box overlaps Sirius's; Rigel's (40 .. 79 px) ends before Sirius's begins; Bellatrix's (30 .. 95 px) overlaps Rigel's.
  assert.deepEqual(declutterLabels(crowded).map((p) => p.mark.name), ["Sirius", "Betelgeuse", "Rigel"]);
  const apart = [at("Vega", 0, 0), at("Deneb", 0, 20), at("Altair", 200, 0)];
  assert.deepEqual(declutterLabels(apart).map((p) => p.mark.name), ["Vega", "Deneb", "Altair"]);
});
