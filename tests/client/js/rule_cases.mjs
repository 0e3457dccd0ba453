// The client's level rule (client/src/rule.js) on cases read from stdin as JSON
// ({constants, cases: [{levels, stars, radius, distance, focal, limitingMag}]}); prints the chosen level numbers (0: points).
const [clientSrc] = process.argv.slice(2);
const { chooseLevel } = await import(new URL("rule.js", clientSrc));
let text = "";
for await (const chunk of process.stdin) text += chunk;
const { constants, cases } = JSON.parse(text);
console.log(JSON.stringify(cases.map((c) => {
  const level = chooseLevel(c.levels, c.stars, c.radius, c.distance, c.focal, c.limitingMag, constants);
  return level ? level.level : 0;
})));
