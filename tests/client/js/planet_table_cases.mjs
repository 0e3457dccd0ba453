// Print the client's DE421 places (client/src/planet_table.js) from a planets_de421.bin for the dates read from stdin,
// {planet: [jd, ...]}, as one JSON line {planet: [[x, y, z], ...]}.  Usage: node planet_table_cases.mjs CLIENT_SRC_URL FILE
import { readFileSync } from "node:fs";

const [clientSrc, file] = process.argv.slice(2);
const { PlanetTable } = await import(new URL("planet_table.js", clientSrc));
let input = "";
for await (const chunk of process.stdin) input += chunk;
const table = new PlanetTable(new Uint8Array(readFileSync(file)), file);
const out = {};
for (const [planet, dates] of Object.entries(JSON.parse(input))) out[planet] = dates.map((jd) => table.place(planet, jd));
console.log(JSON.stringify(out));
