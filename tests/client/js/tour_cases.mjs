// The client's tours (client/src/tour.js) on cases read from stdin as JSON ({tours: [{document, times}], defaults});
// prints, per tour, the pose at each time, or the error's message.
const [clientSrc] = process.argv.slice(2);
const { parseTour, poseAt } = await import(new URL("tour.js", clientSrc));
let text = "";
for await (const chunk of process.stdin) text += chunk;
const { tours, defaults } = JSON.parse(text);
const resolve = (point) => {
  if (Array.isArray(point)) return point;
  if (point.toLowerCase() === "sun") return [0, 0, 0];
  throw new Error(`no such point: ${point}`);
};
console.log(JSON.stringify(tours.map(({ document, times }) => {
  try {
    const tour = parseTour(document, "tour.json");
    return times.map((t) => poseAt(tour, t, resolve, defaults));
  } catch (error) {
    return { error: error.message };
  }
})));
