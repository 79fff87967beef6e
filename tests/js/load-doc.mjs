// Loads an automerge document saved by another implementation (the Rust node's
// `wishtree-node export`) with the JavaScript @automerge/automerge, and prints it as
// JSON on stdout, with its heads, so a test can compare it with the Rust view.
//
// Usage: node load-doc.mjs FILE
import { readFileSync } from "node:fs";
import * as Automerge from "@automerge/automerge";

const file = process.argv[2];
if (!file) {
  process.stderr.write("usage: node load-doc.mjs FILE\n");
  process.exit(2);
}
const doc = Automerge.load(new Uint8Array(readFileSync(file)));
const out = {
  heads: Automerge.getHeads(doc),
  doc: Automerge.toJS(doc),
};
// Unsigned integers come back as BigInt; JSON has only numbers.
const bigints = (_key, value) =>
  typeof value === "bigint"
    ? value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString()
    : value;
process.stdout.write(JSON.stringify(out, bigints));
