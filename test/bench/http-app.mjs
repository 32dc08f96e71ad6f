// The operator bench's app (operator-bench.ts): one tiny HTTP server per port, run the same way under
// Governor, supervisord and PM2. Listens on 127.0.0.1:$PORT and answers every path (/health too) with 200.
// SIGTERM (Governor, supervisord) or SIGINT (PM2's default kill signal): closes the server and exits 0.
// SIGHUP: prints "reloaded" and, when $SIGNAL_LOG is set, appends "reloaded PORT PID" to it (the bench counts
// those lines), and keeps serving.
import { appendFileSync } from 'node:fs';
import http from 'node:http';

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) {
  console.error(`http-app: PORT must be a port number, got ${JSON.stringify(process.env.PORT)}`);
  process.exit(2);
}
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' });
  res.end('ok\n');
});
server.listen(port, '127.0.0.1', () => console.log(`listening on ${port} (pid ${process.pid})`));

function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
process.on('SIGHUP', () => {
  console.log('reloaded');
  if (process.env.SIGNAL_LOG) appendFileSync(process.env.SIGNAL_LOG, `reloaded ${port} ${process.pid}\n`);
});
