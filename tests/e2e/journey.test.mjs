// A new user's journey through the web UI, in Chromium, against a real `trellis serve`:
// register -> create a project -> import requirements -> see findings highlighted -> apply a
// suggestion -> version history -> answer a refinement round -> gateway action; then the
// workspace screens, session expiry with return, and sign-in by emailed code.
import { after, before } from "node:test";
import assert from "node:assert/strict";
import { launchBrowser, screenshot, testWithDiagnostics } from "./browser.mjs";
import { startServer } from "./server.mjs";

const EMAIL = `ada.${Date.now()}@example.com`;
const PASSWORD = "Correct-Horse-Battery-42";
const REQUIREMENTS = `# Reporting

- REQ-1: The system should be fast and user-friendly.
- REQ-2: Users can export reports as CSV within 5 seconds.
- REQ-3: When an administrator disables an account, the system shall end every session of that account within 60 seconds.
`;

let server;
let browser;
let page;
let projectUrl;


const test = testWithDiagnostics(() => ({ page, server }));
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  page = await context.newPage();
  page.setDefaultTimeout(20_000);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("a new user registers and lands on an empty projects list", async () => {
  await page.goto(`${server.url}/`);
  await page.waitForURL(/\/sign-in\?next=/);
  await screenshot(page, "01-sign-in");
  await page.getByRole("link", { name: "Create an account" }).click();
  await page.getByLabel("Full name").fill("Ada Lovelace");
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(/\/projects$/);
  await page.getByRole("heading", { name: "No projects yet" }).waitFor();
  assert.equal(await page.locator("#workspace-switcher option:checked").textContent(), "Ada Lovelace's workspace (owner)");
  await screenshot(page, "02-projects-empty");
});

test("an API error is shown as its message", async () => {
  await page.getByRole("button", { name: "New project" }).first().click();
  await page.getByLabel("Name").fill("Checkout");
  await page.getByRole("button", { name: "Create project" }).click();
  await page.waitForURL(/\/projects\/[0-9a-f-]+\/requirements$/);
  projectUrl = page.url().replace(/\/requirements$/, "");
  await page.goto(`${server.url}/projects`);
  await page.getByRole("button", { name: "New project" }).first().click();
  await page.getByLabel("Name").fill("Checkout");
  await page.getByRole("button", { name: "Create project" }).click();
  const alert = page.getByRole("alert");
  await alert.waitFor();
  assert.match(await alert.textContent(), /already/i);
  await screenshot(page, "03-error-duplicate-project");
  await page.keyboard.press("Escape");
  await page.getByRole("link", { name: "Checkout" }).click();
  await page.waitForURL(projectUrl);
});

test("importing requirements highlights each finding on its exact span", async () => {
  await page.goto(`${projectUrl}/requirements`);
  await page.getByRole("heading", { name: "No requirements yet" }).waitFor();
  await page.getByRole("button", { name: "Import", exact: true }).click();
  await page.getByRole("textbox", { name: "Requirements" }).fill(REQUIREMENTS);
  await page.getByRole("dialog").getByRole("button", { name: "Import" }).click();
  await page.getByText("Imported: 3 new, 0 updated, 0 unchanged").waitFor();
  const row1 = page.locator("#req-REQ-1");
  await row1.waitFor();
  const marks = await row1.locator("mark.finding-mark").allTextContents();
  assert.deepEqual(marks, ["fast", "user-friendly"], "only the flagged words are marked, nothing around them");
  assert.match(await row1.locator("mark", { hasText: "fast" }).getAttribute("class"), /finding-high/);
  await screenshot(page, "04-requirements");
});

test("applying a suggested rewrite makes a new version with the word replaced", async () => {
  const row2 = page.locator("#req-REQ-2");
  await row2.locator("mark", { hasText: "can" }).click();
  const card = row2.locator(".finding-card-active");
  await card.waitFor();
  assert.match(await card.textContent(), /optional or uncertain/);
  await screenshot(page, "05-finding-selected");
  await card.getByRole("button", { name: /Apply the suggested rewrite/ }).click();
  await page.getByText(/Applied to REQ-2/).waitFor();
  await row2.getByText("Users shall export reports as CSV within 5 seconds.").waitFor();
  assert.equal(await row2.locator(".req-code .muted").textContent(), "v2");

  await page.getByRole("button", { name: "History of REQ-2" }).click();
  const dialog = page.getByRole("dialog", { name: "History of REQ-2" });
  await dialog.waitFor();
  assert.equal(await dialog.locator(".word-diff del").first().textContent(), "can");
  assert.equal(await dialog.locator(".word-diff ins").first().textContent(), "shall");
  await screenshot(page, "06-version-history");
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "detached" });
});

test("inline editing saves a new version from the keyboard", async () => {
  await page.getByRole("button", { name: "Edit REQ-3" }).click();
  const editor = page.getByRole("form", { name: "Edit REQ-3" });
  await editor.getByLabel("Acceptance criteria (one per line)").fill(
    "Given an active session, when an administrator disables the account, then the next request with that session gets 401 within 60 seconds.",
  );
  await editor.getByLabel("Acceptance criteria (one per line)").press("Control+Enter");
  await page.getByText("Saved REQ-3 as a new version").waitFor();
  assert.equal(await page.locator("#req-REQ-3 .req-code .muted").textContent(), "v2");
});

test("a refinement round: questions with options and a recommendation, answers applied, scores move", async () => {
  await page.getByRole("link", { name: "Refinement" }).click();
  await page.getByRole("button", { name: "Start refinement" }).click();
  const questions = page.locator("fieldset.question");
  await questions.first().waitFor();
  const count = await questions.count();
  assert.ok(count >= 1 && count <= 5, `a round asks 1-5 questions, got ${count}`);
  assert.ok((await page.getByText("Recommended").count()) >= 1, "at least one option is marked recommended");
  await screenshot(page, "07-refinement-questions");
  // Recommended options are preselected; a question without one gets a free answer.
  for (let i = 0; i < count; i++) {
    const question = questions.nth(i);
    if ((await question.locator("input[type=radio]:checked").count()) === 0) {
      await question.getByLabel("My own answer").check();
      await question.getByRole("textbox").fill("within 200 ms (p95) with 100 concurrent users");
    }
  }
  await page.getByRole("button", { name: "Submit answers" }).click();
  await page.getByText("Your answers were applied").waitFor();
  const rows = page.locator(".score-table tbody tr");
  assert.ok((await rows.count()) >= 2, "scores are shown before the round and now");
  await screenshot(page, "08-refinement-progress");
});

test("the project page offers the allowed gateway actions as buttons and moves the state", async () => {
  await page.getByRole("link", { name: "Overview" }).click();
  await page.getByRole("button", { name: "Finalize requirements" }).click();
  // Refinement ended short of the thresholds (answers kept findings) lets finalize pass; a
  // session still open refuses it with the guard's message, and the UI offers to force it.
  const outcome = await Promise.race([
    page.getByText(/Finalize requirements: Refining requirements → Requirements ready/).waitFor().then(() => "done"),
    page.getByRole("alert").waitFor().then(() => "refused"),
  ]);
  if (outcome === "refused") {
    assert.match(await page.getByRole("alert").textContent(), /quality thresholds/);
    await page.getByRole("button", { name: "Finalize anyway…" }).click();
    await page.getByLabel("Why finalize with open findings?").fill("Reviewed with the product owner.");
    await page.getByRole("button", { name: "Finalize anyway" }).click();
  }
  await page.getByText(/Finalize requirements: Refining requirements → Requirements ready/).waitFor();
  await page.getByRole("button", { name: "Reopen requirements" }).waitFor();
  await page.locator(".timeline-states", { hasText: "Refining requirements → Requirements ready" }).waitFor();
  await screenshot(page, "09-project-overview");
});

test("workspace screens: members, invitations, credentials never show a saved value, activity", async () => {
  await page.getByRole("link", { name: "Workspace" }).click();
  await page.getByRole("heading", { name: "Members and roles" }).waitFor();
  await page.getByText(EMAIL).first().waitFor();
  await screenshot(page, "10-workspace-members");

  await page.getByRole("navigation", { name: "Workspace sections" }).getByRole("link", { name: "Invitations" }).click();
  await page.getByLabel("Email").fill("grace@example.com");
  await page.getByRole("button", { name: "Send invitation" }).click();
  await page.getByText("Invited grace@example.com as editor.").waitFor();
  await screenshot(page, "11-workspace-invitations");

  await page.getByRole("link", { name: "Credentials" }).click();
  const secret = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
  await page.getByLabel("Name").fill("github-deploy");
  await page.getByLabel("Secret value").fill(secret);
  await page.getByRole("button", { name: "Save credential" }).click();
  await page.getByRole("cell", { name: "github-deploy" }).waitFor();
  assert.equal(await page.getByLabel("Secret value").inputValue(), "", "the value leaves the form once saved");
  const html = await page.content();
  assert.ok(!html.includes(secret), "the saved value appears nowhere on the page");
  assert.equal(await page.getByLabel("masked value").first().textContent(), "ghp_...6789");
  await screenshot(page, "12-workspace-credentials");

  await page.getByRole("link", { name: "Activity" }).click();
  await page.locator("code", { hasText: "credential.created" }).first().waitFor();
  await screenshot(page, "13-workspace-activity");
});

test("API tokens are shown once", async () => {
  await page.getByRole("link", { name: "API tokens" }).click();
  await page.getByLabel("Name").fill("ci");
  await page.getByRole("button", { name: "Create token" }).click();
  const secret = await page.locator(".secret-once code.secret").textContent();
  assert.match(secret, /^trl_/);
  await screenshot(page, "14-api-tokens");
  await page.reload();
  await page.getByRole("cell", { name: "ci", exact: true }).waitFor();
  assert.ok(!(await page.content()).includes(secret), "after a reload the secret is gone");
});

test("an expired access token is refreshed silently; an expired session returns to the same page after sign-in", async () => {
  await page.goto(`${projectUrl}/requirements`);
  await page.locator("#req-REQ-1").waitFor();
  // The access token is no longer valid: the client refreshes and the page still loads.
  await page.evaluate(() => {
    const session = JSON.parse(localStorage.getItem("trellis.session"));
    localStorage.setItem("trellis.session", JSON.stringify({ ...session, accessToken: "expired" }));
  });
  await page.reload();
  await page.locator("#req-REQ-1").waitFor();
  // Now the refresh token is dead too: the user is sent to sign in, then back here.
  await page.evaluate(() => {
    const session = JSON.parse(localStorage.getItem("trellis.session"));
    localStorage.setItem("trellis.session", JSON.stringify({ ...session, accessToken: "expired", refreshToken: "revoked-refresh-token" }));
  });
  await page.goto(`${projectUrl}/refinement`);
  await page.waitForURL(/\/sign-in\?reason=expired&next=/);
  await page.getByText("Your session expired").waitFor();
  await screenshot(page, "15-session-expired");
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${projectUrl}/refinement`);
});

test("sign out, then sign in with an emailed code", async () => {
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/sign-in/);
  await page.getByRole("tab", { name: "Email code" }).click();
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByRole("button", { name: "Email me a code" }).click();
  await page.getByLabel("6-digit code").waitFor();
  const outbox = await (await fetch(`${server.url}/api/v1/dev/outbox?to=${encodeURIComponent(EMAIL)}`)).json();
  const code = /\b(\d{6})\b/.exec(outbox.items.at(-1).body)[1];
  await page.getByLabel("6-digit code").fill(code);
  await page.getByRole("button", { name: "Verify and sign in" }).click();
  await page.waitForURL(/\/projects$/);
  await page.getByRole("link", { name: "Checkout" }).waitFor();
});

test("phone width: the requirements stay readable", async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${projectUrl}/requirements`);
  await page.locator("#req-REQ-1").getByText("within 200 ms", { exact: false }).first().waitFor(); // refined earlier in the journey
  await screenshot(page, "16-phone-requirements");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  const wide = await page.evaluate(() =>
    [...document.querySelectorAll("body *")]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
      .slice(0, 5)
      .map((e) => `${e.tagName}.${e.className}`),
  );
  assert.ok(overflow <= 1, `no horizontal scrolling at 390 px (overflow ${overflow}px: ${wide.join(", ")})`);
  await page.getByRole("button", { name: "Menu" }).click();
  await page.getByRole("complementary", { name: "Main navigation" }).getByRole("link", { name: "Projects" }).waitFor();
  await screenshot(page, "17-phone-menu");
});
