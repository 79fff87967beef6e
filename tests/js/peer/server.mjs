// The peer of the `peer` bench (tests/benches/peer.rs): the JavaScript automerge-repo
// sync server, set up as automerge-repo's README and its reference sync server set it
// up: a Repo with the WebSocket server adapter on a `ws` WebSocketServer, the Node
// filesystem storage adapter, a fixed peer id, and a share policy that announces
// nothing (a server syncs only the documents a client names). Everything else is left
// at its defaults (the storage adapter's cache, the 100 ms save throttle, the 5 s
// keep-alive).
//
// One difference from the reference server: it serves its greeting page with express;
// here a plain `http` server takes the WebSocket upgrades, since the page plays no
// part in syncing.
//
// Usage: PORT=3030 DATA_DIR=dir node server.mjs; prints "listening on PORT" once it
// listens. Like the reference server it has no signal handler: SIGINT ends it at once.
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import { WebSocketServer } from "ws";
import { Repo } from "@automerge/automerge-repo";
import { WebSocketServerAdapter } from "@automerge/automerge-repo-network-websocket";
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs";

const port = Number.parseInt(process.env.PORT ?? "3030", 10);
const dir = process.env.DATA_DIR ?? ".amrg";
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  process.stderr.write(`PORT must be a port number, not ${process.env.PORT}\n`);
  process.exit(2);
}
fs.mkdirSync(dir, { recursive: true });

const sockets = new WebSocketServer({ noServer: true });
new Repo({
  network: [new WebSocketServerAdapter(sockets)],
  storage: new NodeFSStorageAdapter(dir),
  peerId: `storage-server-${os.hostname()}`,
  // As the reference server: share nothing unasked, sync what a client names.
  sharePolicy: async () => false,
});

const server = http.createServer((_request, response) => {
  response.end("automerge-repo sync server\n");
});
server.on("upgrade", (request, socket, head) => {
  sockets.handleUpgrade(request, socket, head, (websocket) => {
    sockets.emit("connection", websocket, request);
  });
});
server.listen(port, "127.0.0.1", () => {
  process.stdout.write(`listening on ${port}\n`);
});
