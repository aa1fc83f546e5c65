// Copies the browser builds of the npm packages into ../wwwroot/lib/ (gitignored).
// Plain file copy on purpose: no bundler, no network, no CDN. The pages load
// lib/signalr.min.js, lib/signalr-protocol-msgpack.min.js and lib/chart.umd.min.js
// with <script> tags (globals `signalR`, `signalR.protocols.msgpack` and `Chart`)
// and their own code as ES modules from js/.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "wwwroot", "lib");
mkdirSync(out, { recursive: true });

// [package-relative candidates, output name]; first existing candidate wins.
const files = [
  [["@microsoft/signalr/dist/browser/signalr.min.js"], "signalr.min.js"],
  [["@microsoft/signalr/dist/browser/signalr.min.js.map"], "signalr.min.js.map", true],
  // The MessagePack hub protocol (a page opts in with ?protocol=messagepack); its browser build bundles @msgpack/msgpack.
  [["@microsoft/signalr-protocol-msgpack/dist/browser/signalr-protocol-msgpack.min.js"], "signalr-protocol-msgpack.min.js"],
  [["@microsoft/signalr-protocol-msgpack/dist/browser/signalr-protocol-msgpack.min.js.map"], "signalr-protocol-msgpack.min.js.map", true],
  [["chart.js/dist/chart.umd.min.js", "chart.js/dist/chart.umd.js"], "chart.umd.min.js"],
  [["chart.js/dist/chart.umd.min.js.map", "chart.js/dist/chart.umd.js.map"], "chart.umd.min.js.map", true],
];

let copied = 0;
for (const [candidates, name, optional] of files) {
  const src = candidates.map((c) => join(here, "node_modules", c)).find(existsSync);
  if (!src) {
    if (optional) continue;
    console.error(`build.mjs: none of ${candidates.join(", ")} found; run npm ci first`);
    process.exit(1);
  }
  const dest = join(out, name);
  // Copy only when changed, so incremental builds keep timestamps (and skip recompression).
  if (existsSync(dest) && readFileSync(dest).equals(readFileSync(src))) continue;
  copyFileSync(src, dest);
  copied++;
}
if (copied || !existsSync(join(out, ".built"))) writeFileSync(join(out, ".built"), new Date().toISOString() + "\n");
console.log(`build.mjs: ${copied ? `copied ${copied} files` : "up to date"} in ${out}`);
