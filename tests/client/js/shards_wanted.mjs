// Which shards of a sharded pack the client's streamer asks for (Streamer.shardsWanted), for cameras read from stdin
// as JSON ([{eye, target, fov, width, height, kyr, limitingMag}]); prints one JSON list of shard ids per camera.
// Usage: node shards_wanted.mjs CLIENT_SRC_URL INDEX.json < cameras.json
import { readFile } from "node:fs/promises";

const [clientSrc, indexPath] = process.argv.slice(2);
const { openPack } = await import(new URL("pack.js", clientSrc));
const { Camera, lookAt } = await import(new URL("camera.js", clientSrc));
const { Streamer } = await import(new URL("streamer.js", clientSrc));

const fileFetch = async (url) => {
  const bytes = new Uint8Array(await readFile(url));
  return { ok: true, status: 200, headers: { get: () => null }, arrayBuffer: async () => bytes.buffer };
};
let text = "";
for await (const chunk of process.stdin) text += chunk;
const pack = await openPack(indexPath, fileFetch);
const streamer = new Streamer(pack, null, { budgetBytes: 1, reachPx: 4, ruleConstants: {}, onChange: () => {}, onError: () => {} });
console.log(JSON.stringify(JSON.parse(text).map(({ eye, target, fov, width, height, kyr, limitingMag }) => {
  const camera = new Camera(eye, lookAt(eye, target), fov, width, height);
  return streamer.shardsWanted(camera, kyr, limitingMag).map((shard) => shard.id);
})));
