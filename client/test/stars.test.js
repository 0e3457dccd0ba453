// Unit tests of stars.js (names, designations, ids) and pick.js (the light a star puts into a pixel).
import assert from "node:assert/strict";
import test from "node:test";

import { Camera } from "../src/camera.js";
import { lightInPixel, pickStar } from "../src/pick.js";
import { checkNames, designations, formatId, gaiaQuery, normaliseQuery, searchStars, starAt } from "../src/stars.js";

const names = checkNames({
  format: "helios-star-names", version: 1, cells: [["4_2_2", "s0"], ["5_1_1", "s1"]],
  stars: [
    { hip: 27989, name: "Betelgeuse", bayer: "α", flamsteed: "58", hd: "HD 39801", constellation: "Ori", cell: 0, row: 0 },
    { hip: 26727, name: "Alnitak", bayer: "ζ", flamsteed: "50", constellation: "Ori", cell: 1, row: 3 },
    { hip: 80763, name: "Antares", bayer: "α", flamsteed: "21", constellation: "Sco", cell: 1, row: 0 },
    { hip: 85696, bayer: "κ1", constellation: "Sco", cell: 1, row: 9 },
  ],
  hip: [12, 1, 7, 26727, 1, 3, 27989, 0, 0, 80763, 1, 0, 85696, 1, 9],
}, "test");

test("queries are written as the names are", () => {
  assert.equal(normaliseQuery("  alpha   Ori "), "α ori");
  assert.equal(normaliseQuery("alf Ori"), "α ori");
  assert.equal(normaliseQuery("kappa1 Sco"), "κ1 sco");
  assert.equal(normaliseQuery("Alnitak"), "alnitak");
  assert.equal(normaliseQuery("alpine"), "alpine");
});

test("stars are found by name, Bayer, Flamsteed, HD and HIP number", () => {
  const first = (text) => searchStars(names, text)[0];
  for (const text of ["Betelgeuse", "betel", "alpha Ori", "α Ori", "58 Ori", "HD 39801", "HIP 27989", "27989"]) {
    assert.equal(first(text).hip, 27989, text);
  }
  assert.deepEqual(first("kap1 Sco"), { label: "κ1 Sco (HIP 85696)", hip: 85696, cellId: "5_1_1", shardId: "s1", row: 9 });
  assert.deepEqual(first("HIP 12"), { label: "HIP 12", hip: 12, cellId: "5_1_1", shardId: "s1", row: 7 }); // not named
  assert.deepEqual(searchStars(names, "HIP 13"), []);
  assert.deepEqual(searchStars(names, "alpha Lyr"), []);
  assert.deepEqual(searchStars(names, "nit").map((s) => s.hip), [26727]);
});

test("designations and ids read as people write them; a malformed names file says what is wrong", () => {
  assert.deepEqual(designations(names.stars[0]), ["Betelgeuse", "α Ori", "58 Ori", "HIP 27989", "HD 39801"]);
  assert.equal(formatId(27989n, "hip"), "HIP 27989");
  assert.equal(formatId(4472832130942575872n, "gaia_dr3"), "Gaia DR3 4472832130942575872");
  assert.equal(formatId(-1n, "gaia_dr3"), null);
  assert.equal(formatId(7n, "synthetic"), "synthetic star 7");
  assert.throws(() => checkNames({ format: "x" }, "n.json"), /n.json: not a HELIOS star names file/);
  assert.throws(() => checkNames({ format: "helios-star-names", version: 1, cells: [], stars: [{ hip: 1, cell: 0, row: 0 }], hip: [] }, "n.json"),
    /stars\[0\]: hip, cell and row must be integers, cell one of the 0 cells/);
});

test("a star's light in a pixel is its flux spread by the point-spread function, and the brightest there is picked", () => {
  const view = { focal: 100, width: 200, height: 100, exposure: 1, sigma: 0.8, reach: 4, maxFlux: 1e30 };
  const centred = lightInPixel([0, 0, 10], 0, 100, 50, view); // M 0 at 10 pc: flux 1, on the corner of four pixels
  assert.ok(Math.abs(centred.u - 100) < 1e-12 && Math.abs(centred.v - 50) < 1e-12);
  let total = 0;
  for (let y = 46; y <= 54; y += 1) for (let x = 96; x <= 104; x += 1) total += lightInPixel([0, 0, 10], 0, x, y, view).light;
  assert.ok(Math.abs(total - 1) < 1e-6, `the stamp holds the star's flux: ${total}`);
  assert.equal(lightInPixel([0, 0, -10], 0, 100, 50, view), null); // behind the camera
  const camera = new Camera([0, 0, 0], { right: [1, 0, 0], down: [0, 1, 0], forward: [0, 0, 1] }, 90, 200, 100);
  const cell = { centre_pc: [0, 0, 10] };
  const drawn = [{ cell, count: 3, positions: new Float32Array([0, 0, 0, 0.02, 0, 0, 3, 0, 0]), absMag: new Float32Array([5, 0, 0]), velocities: null }];
  const pick = (px, py) => pickStar(camera, drawn, 0, px, py, { exposure: 1, sigma: 0.8, reach: 4, maxFlux: 1e30, visible: 1e-3, tapPx: 8 });
  assert.equal(pick(100, 50).row, 1); // two stars 0.2 px apart: the brighter one's light fills the pixel
  assert.equal(pick(130, 50).row, 2); // on the third star's image
  assert.equal(pick(135, 50).row, 2); // beside it, within a tap
  assert.equal(pick(160, 80), null); // dark sky
});

test("a Gaia source_id typed into search, and a star's names by its place", () => {
  assert.equal(gaiaQuery("Gaia DR3 4472832130942575872"), 4472832130942575872n);
  assert.equal(gaiaQuery("4472832130942575872"), 4472832130942575872n);
  assert.equal(gaiaQuery("gaia 4472832130942575872"), 4472832130942575872n);
  assert.equal(gaiaQuery("27989"), null); // a HIP number
  assert.equal(gaiaQuery("Betelgeuse"), null);
  assert.equal(starAt(names, "4_2_2", 0).star.name, "Betelgeuse");
  assert.deepEqual(starAt(names, "5_1_1", 7), { hip: 12, star: null });
  assert.equal(starAt(names, "5_1_1", 8), null);
});
