// The peer's clients in the `peer` bench (tests/benches/peer.rs): CLIENTS automerge-repo
// Repos in this one node.js process, each with its own WebSocket client adapter (its own
// connection to the sync server) and no storage, each importing PER_CLIENT of the
// bench's saved community documents. The documents are imported before the bench says
// "go", as our simulated nodes load theirs before they are released: importing costs
// automerge's JavaScript 0.1–1 s a document on this machine (it materialises the whole
// document, twice: `Repo.import` loads and then clones), and timed it would be the
// clients, not the server, that the bench measured. On "go" each Repo is given its
// network adapter and syncs its documents. A client counts a document in sync when a sync
// message from the server tells it the server's heads equal its own (automerge's
// `theirHeads` in the sync state), on the connection it holds now.
//
// Usage: node clients.mjs URL CLIENTS PER_CLIENT RETRY_MS MANIFEST
// MANIFEST lists the documents' files, one a line; client c takes lines
// c*PER_CLIENT .. (c+1)*PER_CLIENT. The bench drives it by lines on stdin and reads
// lines on stdout:
//   out "doc I ID"           document I (manifest line) has automerge-repo id ID
//   out "loaded N"           every document imported (before any connection)
//   in  "go"                 connect every Repo to the server
//   out "synced I"           document I is in sync with the server on this connection
//   in  "reset"              forget every document's sync (before a server restart):
//                            a document counts again only on a new connection
//   out "reset"
//   in  "stats"              out "stats ATTEMPTS FAILURES": connection attempts, and
//                            those that failed (refused, dropped before the handshake)
//   in  "quit" or end of input: exit
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
// Heads are compared in automerge-repo's encoding (`handle.heads()`), so that this
// process loads automerge's wasm once, through automerge-repo.
import { Repo, encodeHeads } from "@automerge/automerge-repo";
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket";

const [url, clientsArg, perClientArg, retryArg, manifest] = process.argv.slice(2);
const clients = Number.parseInt(clientsArg ?? "", 10);
const perClient = Number.parseInt(perClientArg ?? "", 10);
const retryMs = Number.parseInt(retryArg ?? "", 10);
if (!url || !manifest || !(clients > 0) || !(perClient > 0) || !(retryMs > 0)) {
  process.stderr.write("usage: node clients.mjs URL CLIENTS PER_CLIENT RETRY_MS MANIFEST\n");
  process.exit(2);
}
const files = readFileSync(manifest, "utf8").split("\n").filter((line) => line !== "");
if (files.length < clients * perClient) {
  process.stderr.write(`the manifest lists ${files.length} files, not ${clients * perClient}\n`);
  process.exit(2);
}
const binaries = files.slice(0, clients * perClient).map((file) => new Uint8Array(readFileSync(file)));
const say = (line) => process.stdout.write(`${line}\n`);

let attempts = 0;
let handshakes = 0;
let closedEarly = 0;
// Each client: its connection's generation (bumped by each handshake with the server)
// and, per document, the generation it was last confirmed in.
const state = [];

// `sorted` is sorted already.
const sameHeads = (heads, sorted) =>
  heads.length === sorted.length && [...heads].sort().every((head, i) => head === sorted[i]);

// Each client's Repo, with its documents imported and no network yet.
function importClient(client) {
  const own = { generation: 0, connected: false, resetAt: 0, docs: new Map(), repo: null };
  state.push(own);
  own.repo = new Repo({ network: [], peerId: `bench-client-${client}` });
  own.repo.synchronizer.on("sync-state", ({ documentId, syncState }) => {
    const doc = own.docs.get(documentId);
    if (!doc || !syncState.theirHeads) return;
    if (!own.connected || own.generation <= own.resetAt) return;
    if (doc.confirmedIn === own.generation) return;
    if (sameHeads(encodeHeads(syncState.theirHeads), doc.heads)) {
      doc.confirmedIn = own.generation;
      say(`synced ${doc.index}`);
    }
  });
  for (let k = 0; k < perClient; k += 1) {
    const index = client * perClient + k;
    const handle = own.repo.import(binaries[index]);
    own.docs.set(handle.documentId, {
      index,
      heads: [...handle.heads()].sort(),
      confirmedIn: -1,
    });
    say(`doc ${index} ${handle.documentId}`);
  }
}

// Connects a client's Repo to the server: its documents start syncing.
function connectClient(own) {
  const adapter = new WebSocketClientAdapter(url, retryMs);
  // Count attempts and handshakes: the adapter calls its own `connect` for every
  // (re)connection and emits `peer-candidate` when the server's handshake arrives.
  const connect = adapter.connect.bind(adapter);
  adapter.connect = (...args) => {
    attempts += 1;
    return connect(...args);
  };
  adapter.on("peer-candidate", () => {
    handshakes += 1;
    own.generation += 1;
    own.connected = true;
  });
  adapter.on("peer-disconnected", () => {
    own.connected = false;
  });
  own.repo.networkSubsystem.addNetworkAdapter(adapter);
}

// The adapter rethrows socket errors other than a refused connection (a reset while the
// server restarts, say); such an error is a failed connection, and the adapter retries.
process.on("uncaughtException", (error) => {
  closedEarly += 1;
  process.stderr.write(`client error: ${error?.message ?? error}\n`);
});

for (let client = 0; client < clients; client += 1) importClient(client);
say(`loaded ${binaries.length}`);

const input = createInterface({ input: process.stdin });
input.on("line", (line) => {
  switch (line.trim()) {
    case "go":
      for (const own of state) connectClient(own);
      break;
    case "reset":
      for (const own of state) {
        own.resetAt = own.generation;
        for (const doc of own.docs.values()) doc.confirmedIn = -1;
      }
      say("reset");
      break;
    case "stats":
      say(`stats ${attempts} ${Math.max(attempts - handshakes, 0) + closedEarly}`);
      break;
    case "quit":
      process.exit(0);
      break;
    default:
      process.stderr.write(`unknown command: ${line}\n`);
  }
});
input.on("close", () => process.exit(0));
