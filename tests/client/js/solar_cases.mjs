// Print the client's solar-system answers (client/src/solar.js) for the cases read from stdin, as one JSON line:
// {"helio": [[planet, jd], ...], "magnitudes": [[planet, sunToPlanet, observerToPlanet, year], ...],
//  "bodies": [[year, eye], ...], "ellipses": [[position, velocity], ...]}.  Usage: node solar_cases.mjs CLIENT_SRC_URL < cases.json
const [clientSrc] = process.argv.slice(2);
const { heliocentric, orbitEllipse, planetMagnitude, solarBodies } = await import(new URL("solar.js", clientSrc));
let input = "";
for await (const chunk of process.stdin) input += chunk;
const cases = JSON.parse(input);
console.log(JSON.stringify({
  helio: (cases.helio || []).map(([planet, jd]) => heliocentric(planet, jd)),
  magnitudes: (cases.magnitudes || []).map(([planet, s, o, year]) => planetMagnitude(planet, s, o, year)),
  ellipses: (cases.ellipses || []).map(([position, velocity]) => orbitEllipse(position, velocity)),
  bodies: (cases.bodies || []).map(([year, eye]) => {
    const b = solarBodies(year, eye);
    return { names: b.names, positions: Array.from(b.positions), absMag: Array.from(b.absMag), planets: b.planets };
  }),
}));
