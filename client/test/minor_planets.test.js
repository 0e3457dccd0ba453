// Unit tests of minor_planets.js: search by name and number, Kepler's equation.
import assert from "node:assert/strict";
import test from "node:test";

import { MinorPlanetLayer, eccentricAnomaly, gpuAttributes, searchMinorPlanets } from "../src/minor_planets.js";

const names = [[0, 136199, "Eris"], [4, 1, "Ceres"], [5, 4, "Vesta"], [9, 10, "Hygiea"], [20, 433, "Eros"], [21, 3200, "Phaethon"],
  [22, 99942, "Apophis"], [23, 4, "Vestal"]];

test("minor planets are found by name, number or both", () => {
  const found = (text) => searchMinorPlanets(names, text).map(([, number, name]) => `${number} ${name}`);
  assert.deepEqual(found("Ceres"), ["1 Ceres"]);
  assert.deepEqual(found("cer"), ["1 Ceres"]);
  assert.deepEqual(found("4 Vesta"), ["4 Vesta", "4 Vestal"]); // the whole name first
  assert.deepEqual(found("433"), ["433 Eros"]);
  assert.deepEqual(found("(433) Eros"), ["433 Eros"]);
  assert.deepEqual(found("433 Vesta"), []);
  assert.deepEqual(found("er"), ["136199 Eris", "433 Eros"]);
  assert.deepEqual(found("  "), []);
});

test("Kepler's equation is solved for every eccentricity", () => {
  for (const e of [0, 0.3, 0.9, 0.99]) {
    for (let M = -Math.PI; M <= Math.PI; M += 0.01) {
      const E = eccentricAnomaly(M, e);
      assert.ok(Math.abs(E - e * Math.sin(E) - M) < 1e-12);
    }
  }
});

test("an orbit without H reaches the GPU as H 99, which its shader does not draw", () => {
  const orbits = { count: 2, mean: Float64Array.of(0, 0), motion: Float64Array.of(0.2, 0.2), a: Float32Array.of(2.5, 2.5), e: Float32Array.of(0.1, 0.1),
    incl: Float32Array.of(5, 5), node: Float32Array.of(0, 0), peri: Float32Array.of(0, 0), h: Float32Array.of(12, NaN), g: Float32Array.of(0.15, 0.15),
    number: Uint32Array.of(0, 0) };
  assert.deepEqual(Array.from(gpuAttributes(orbits).hg), [12, Math.fround(0.15), 99, Math.fround(0.15)]);
});

test("a numbered minor planet without a name is found by its number among the records fetched", () => {
  const layer = new MinorPlanetLayer({ url: "minor_planets.bin", epochJd: 2461000.5, synthetic: false, bytes: 0, count: 3 }, null, {});
  layer.opened = { directory: { names: [[0, 1, "Ceres"]] } };
  layer.chunks = [{ count: 2, orbits: { number: Uint32Array.of(1, 0) } }, { count: 1, orbits: { number: Uint32Array.of(123456) } }];
  assert.deepEqual(layer.search("Ceres").map((r) => r.minor.record), [0]);
  assert.deepEqual(layer.search("(123456)"), [{ label: "(123456) · minor planet", minor: { record: 2, number: 123456, name: "" } }]);
  assert.deepEqual(layer.search("654321"), []);
  assert.deepEqual(layer.search("0"), []); // 0: unnumbered, never a number to find
});
