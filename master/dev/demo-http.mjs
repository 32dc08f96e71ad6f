// A tiny HTTP handler for `gov dev`: answers every request with its name and uptime; /health returns 200.
import http from 'node:http';

const port = Number(process.env.PORT ?? 0);
const name = process.env.DEMO_NAME ?? 'demo';
const started = Date.now();
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ name, path: req.url, pid: process.pid, uptime_ms: Date.now() - started }) + '\n');
});
server.listen(port, '127.0.0.1', () => {
  console.log(`${name} listening on http://127.0.0.1:${server.address().port} (pid ${process.pid})`);
});
const tick = setInterval(() => console.log(`${name} alive ${new Date().toISOString()}`), 5000);
process.on('SIGTERM', () => {
  clearInterval(tick);
  console.log(`${name} stopping`);
  server.close(() => process.exit(0));
});
