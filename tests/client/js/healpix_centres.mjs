// Print the client's HEALPix pixel centres (client/src/healpix.js) for the levels and pixels read from stdin
// ([[level, pixel], ...]) and the Gaia directions of source_ids (strings), as one JSON line.
// Usage: node healpix_centres.mjs CLIENT_SRC_URL < cases.json
const [clientSrc] = process.argv.slice(2);
const { pixelCentre, gaiaDirection } = await import(new URL("healpix.js", clientSrc));
let input = "";
for await (const chunk of process.stdin) input += chunk;
const { pixels, sourceIds } = JSON.parse(input);
console.log(JSON.stringify({
  centres: pixels.map(([level, pixel]) => pixelCentre(level, pixel)),
  directions: sourceIds.map((id) => gaiaDirection(BigInt(id))),
}));
