// Debian's Chromium driven by playwright-core (never a downloaded browser).
import { createRequire } from "node:module";
import { mkdirSync } from "node:fs";
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
