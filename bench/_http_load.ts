/**
 * The load of bench/fs-latency.ts, run in a process of its own: a GET to
 * http://127.0.0.1:<port>/ every <periodMs> for <seconds>, open loop (each
 * request's latency counts from when it was due, so a stalled server is not
 * hidden by requests not sent), over kept-alive connections. Prints the
 * latencies in milliseconds as JSON.
 *
 *   node --import tsx bench/_http_load.ts <port> <seconds> <periodMs>
 */
import http from "node:http";

const [port, seconds, periodMs] = process.argv.slice(2).map(Number) as [number, number, number];
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const total = Math.round((seconds * 1000) / periodMs);
const latencies: number[] = [];
const start = performance.now() + 50;
let sent = 0;

function send(due: number): void {
  http.get({ host: "127.0.0.1", port, path: "/", agent }, (response) => {
    response.resume();
    response.on("end", () => {
      latencies.push(performance.now() - due);
      if (latencies.length === total) {
        agent.destroy();
        process.stdout.write(JSON.stringify(latencies));
      }
    });
  }).on("error", (error) => {
    process.stderr.write(`request failed: ${error.message}\n`);
    process.exit(1);
  });
}

function tick(): void {
  const now = performance.now();
  while (sent < total && start + sent * periodMs <= now) send(start + periodMs * sent++);
  if (sent < total) setTimeout(tick, Math.max(0, start + sent * periodMs - performance.now()));
}
setTimeout(tick, 50);
