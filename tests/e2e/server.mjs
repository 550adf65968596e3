// Starts a real `trellis serve` (embedded: SQLite in a throwaway data directory) on a free port.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "../..");

function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.unref();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

/**
 * Settings the journey needs: none beyond the defaults except rate limits off (one browser
 * signs up, in and out many times from one IP in a minute). Without SMTP the server keeps
 * sign-in codes in its development outbox (GET /api/v1/dev/outbox), which the test reads.
 */
export async function startServer(extraEnv = {}) {
  // Point the journey at a server you already run (fresh data directory expected): TRELLIS_E2E_URL.
  if (process.env.TRELLIS_E2E_URL) return { url: process.env.TRELLIS_E2E_URL, output: () => "", stop: async () => undefined };
  const dataDir = mkdtempSync(join(tmpdir(), "trellis-e2e-"));
  const port = await freePort();
  const trellis = process.env.TRELLIS_BIN ?? join(ROOT, ".venv/bin/trellis");
  const child = spawn(trellis, ["serve", "--host", "127.0.0.1", "--port", String(port)], {
    cwd: dataDir,
    env: {
      ...process.env,
      TRELLIS_DATA_DIR: join(dataDir, "data"),
      TRELLIS_RATE_LIMIT_PER_IP: "0",
      TRELLIS_RATE_LIMIT_PER_USER: "0",
      TRELLIS_LOG_LEVEL: "WARNING",
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`trellis serve exited with ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGTERM");
      throw new Error(`trellis serve did not answer /health within 120 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    url,
    output: () => output,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => {
        const timer = setTimeout(() => {
          child.kill("SIGKILL");
          r();
        }, 10_000);
        child.once("exit", () => {
          clearTimeout(timer);
          r();
        });
      });
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
