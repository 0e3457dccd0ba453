// Print the client's minor planets (client/src/minor_planets.js) for the cases read from stdin, as one JSON line:
// {"file": path of a minor_planets.bin, "days": [...], "hg": [[h, g, sunToBody, observerToBody], ...]} ->
// {"places": [[x, y, z] per orbit] per day (float64), "numbers": [...], "hg": [...], "rebased": [[M at days[k] per orbit]]}.
// Usage: node minor_planets_cases.mjs CLIENT_SRC_URL < cases.json
import { readFileSync } from "node:fs";

const [clientSrc] = process.argv.slice(2);
const mp = await import(new URL("minor_planets.js", clientSrc));
let input = "";
for await (const chunk of process.stdin) input += chunk;
const cases = JSON.parse(input);
const out = { hg: (cases.hg || []).map(([h, g, s, o]) => mp.hgMagnitude(h, g, s, o)) };
if (cases.file) {
  const bytes = new Uint8Array(readFileSync(cases.file));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const directory = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + view.getUint32(12, true))));
  const all = directory.chunks.map((chunk) => mp.decodeOrbits(bytes.slice(chunk.offset, chunk.offset + chunk.length)));
  out.numbers = all.flatMap((orbits) => Array.from(orbits.number));
  out.places = cases.days.map((days) => all.flatMap((orbits) => Array.from({ length: orbits.count }, (_, i) => mp.orbitPlace(orbits, i, days))));
  out.rebased = cases.days.map((days) => all.flatMap((orbits) => {
    const attributes = mp.gpuAttributes(orbits);
    mp.rebase(orbits, attributes.orbit, days);
    return Array.from({ length: orbits.count }, (_, i) => attributes.orbit[4 * i]);
  }));
}
console.log(JSON.stringify(out));
