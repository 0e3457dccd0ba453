// The client's nearest distance to a grid cell (client/src/cellbox.js) on cases read from stdin as JSON
// ([{bounds, point}]); prints the distances as one JSON list.
const [clientSrc] = process.argv.slice(2);
const { nearestDistance } = await import(new URL("cellbox.js", clientSrc));
let text = "";
for await (const chunk of process.stdin) text += chunk;
console.log(JSON.stringify(JSON.parse(text).map(({ bounds, point }) => nearestDistance(bounds, point))));
