// Debian's Chromium driven by playwright-core (never a downloaded browser).
import { createRequire } from "node:module";
import { mkdirSync } from "node:fs";
import { test } from "node:test";
import { join } from "node:path";
import { ROOT } from "./server.mjs";

// playwright-core is a dev dependency of web/: resolve it from there.
const require = createRequire(join(ROOT, "web", "package.json"));
const { chromium } = require("playwright-core");

export const SCREENSHOTS = join(ROOT, "tests", "e2e", "screenshots");

export async function launchBrowser() {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
}

export async function screenshot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/**
 * node:test's `test`, which on a failed step also saves a screenshot (FAILED-<name>.png), prints the page's URL and
 * visible alerts and the server's last log lines: a journey that fails on CI says what the user would have seen.
 */
export function testWithDiagnostics(current) {
  return (name, fn) =>
    test(name, async (t) => {
      try {
        await fn(t);
      } catch (error) {
        const { page, server } = current();
        try {
          if (page) {
            const file = `FAILED-${name.replace(/[^a-z0-9]+/gi, "-").slice(0, 60)}.png`;
            await page.screenshot({ path: join(SCREENSHOTS, file), fullPage: true });
            const alerts = await page.locator('[role="alert"], [role="status"]').allTextContents();
            console.error(`# failed at ${page.url()} (screenshot ${file}); alerts: ${JSON.stringify(alerts)}`);
          }
          if (server) console.error(`# trellis serve output (last lines):\n${server.output().split("\n").slice(-40).join("\n")}`);
        } catch (diagnostics) {
          console.error(`# no diagnostics: ${diagnostics}`);
        }
        throw error;
      }
    });
}
