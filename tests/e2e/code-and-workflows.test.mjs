// Two journeys of a new user in Chromium against a real `trellis serve` (SQLite):
//  1. connect a local Git repository -> watch the clone -> validate -> read the report
//     (scores, requirement x file matrix, evidence with code lines, gaps);
//  2. build a 3-node workflow with an approval node in the visual builder (drag from the
//     palette, the server's problems shown on the nodes, connect, configure through the
//     generated forms) -> run it with an input -> approve -> see it complete; versions diff
//     and restore; the executions list.
import { after, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchBrowser, screenshot, testWithDiagnostics } from "./browser.mjs";
import { ROOT, startServer } from "./server.mjs";

const EMAIL = `grace.${Date.now()}@example.com`;
const PASSWORD = "Correct-Horse-Battery-42";
const FIXTURE = join(ROOT, "tests", "validation", "fixtures", "shelf");

let server;
let browser;
let page;
let context;
let reposRoot;
let repoPath;
let projectId;

/** A real Git repository made from the validation fixture (the server clones it like any remote). */
function makeRepository() {
  reposRoot = mkdtempSync(join(tmpdir(), "trellis-e2e-repos-"));
  repoPath = join(reposRoot, "shelf");
  cpSync(FIXTURE, repoPath, { recursive: true, filter: (src) => !src.endsWith("answers.json") && !src.endsWith("requirements.json") });
  const git = (...args) => execFileSync("git", args, { cwd: repoPath, stdio: "pipe", env: { ...process.env, GIT_AUTHOR_NAME: "E2E", GIT_AUTHOR_EMAIL: "e2e@example.com", GIT_COMMITTER_NAME: "E2E", GIT_COMMITTER_EMAIL: "e2e@example.com" } });
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-q", "-m", "library");
}

/** Calls the API as the signed-in user (the token the UI keeps in localStorage). */
async function apiCall(method, path, body) {
  return page.evaluate(
    async ({ method, path, body }) => {
      const session = JSON.parse(localStorage.getItem("trellis.session"));
      const response = await fetch(path, {
        method,
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${session.accessToken}` },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : null };
    },
    { method, path, body },
  );
}


const test = testWithDiagnostics(() => ({ page, server }));
before(async () => {
  makeRepository();
  server = await startServer({ TRELLIS_REPO_LOCAL_ROOTS: reposRoot });
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  page = await context.newPage();
  page.setDefaultTimeout(30_000);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (reposRoot) rmSync(reposRoot, { recursive: true, force: true });
});

test("a new user with requirements ready connects a local repository and watches the clone", async () => {
  await page.goto(`${server.url}/register`);
  await page.getByLabel("Full name").fill("Grace Hopper");
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(/\/projects$/);

  // The requirements part of the journey is covered by journey.test.mjs; here the project is set up through the API.
  const created = await apiCall("POST", "/api/v1/projects", { name: "Library", description: "Lending desk for a small library", metadata: {} });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  projectId = created.body.id;
  const imported = await apiCall("POST", `/api/v1/projects/${projectId}/requirements/import`, {
    content: readFileSync(join(FIXTURE, "requirements.json"), "utf8"),
    format: "json",
    filename: "requirements.json",
  });
  assert.ok(imported.status < 300, JSON.stringify(imported.body));
  for (const step of [
    { action: "initialize_requirements" },
    { action: "finalize_requirements", force: true, reason: "e2e: requirements taken as written" },
  ]) {
    const result = await apiCall("POST", `/api/v1/projects/${projectId}/gateway`, step);
    assert.equal(result.status, 200, JSON.stringify(result.body));
  }

  await page.goto(`${server.url}/projects/${projectId}`);
  await page.getByRole("link", { name: "Repository" }).click();
  await page.getByRole("heading", { name: "Connect a repository" }).waitFor();
  const token = page.getByLabel("Access token");
  assert.equal(await token.getAttribute("type"), "password", "the token field is masked");
  await page.getByLabel("Git URL").fill(repoPath);
  await page.getByRole("button", { name: "Connect repository" }).click();
  const card = page.locator("article.repo-card");
  await card.waitFor();
  await card.getByText("Ready", { exact: true }).waitFor({ timeout: 60_000 });
  assert.equal(await card.locator("dt:text('Files') + dd").textContent(), "13");
  await screenshot(page, "20-repository");
});

test("validating shows the scores, the coverage matrix, evidence with code lines and the gaps", async () => {
  await page.getByRole("link", { name: "Validation" }).click();
  await page.getByRole("heading", { name: "No validation yet" }).waitFor();
  await page.getByRole("button", { name: "Validate code" }).click();
  const ring = page.getByRole("img", { name: /^Compliance score \d+%$/ });
  await ring.waitFor({ timeout: 120_000 });

  const results = await apiCall("GET", `/api/v1/projects/${projectId}/validation-results`);
  const latest = results.body.latest;
  assert.equal(latest.status, "completed");
  assert.equal(await ring.getAttribute("aria-label"), `Compliance score ${Math.round(latest.compliance_score * 100)}%`);
  // The four dimensions, each with the stored score.
  for (const [label, key] of [
    ["Structural alignment", "structural_alignment"],
    ["Pattern compliance", "pattern_compliance"],
    ["Functional coverage", "functional_coverage"],
    ["Quality indicators", "quality_indicators"],
  ]) {
    const meter = page.getByRole("meter", { name: label });
    assert.equal(Number(await meter.getAttribute("aria-valuenow")), Math.round(latest.dimensions[key] * 100), label);
  }
  // One matrix row per requirement; a linked cell for LIB-1 x shelf/catalog.py.
  const report = latest.report;
  assert.equal(await page.locator(".matrix tbody tr").count(), report.requirements.length);
  const cell = page.getByRole("button", { name: /^LIB-1 × shelf\/catalog\.py: linked/ });
  await cell.waitFor();
  // Evidence: the symbol with its line span, and a passage with its numbered code lines.
  await cell.click();
  const evidence = page.locator("#evidence-LIB-1");
  await evidence.getByText("method Catalog.withdraw_copy", { exact: true }).waitFor();
  await evidence.getByText("shelf/catalog.py:18–24").waitFor();
  const passage = evidence.locator(".code-lines").first();
  await passage.waitFor();
  assert.match(await passage.textContent(), /damaged copy/);
  // Gaps: every partial requirement of the stored report is listed, and the unrequested files.
  for (const code of report.gaps.partial) await page.locator(".gap-row").filter({ hasText: code }).first().waitFor();
  await page.getByRole("cell", { name: /shelf\/cli\.py/ }).waitFor();
  await screenshot(page, "21-validation-report");
  await page.setViewportSize({ width: 390, height: 844 });
  await assertFitsWidth();
  await screenshot(page, "22-validation-report-phone");
  await page.setViewportSize({ width: 1280, height: 860 });
});

test("approving the validation, planning, moving a task on the board and copying its prompt", async () => {
  // The report offers the gateway step once the run passed: approve, and land on the plan.
  await page.getByRole("button", { name: "Approve and plan →" }).click();
  await page.waitForURL(/\/plan$/);
  await page.getByText("Ready to plan").first().waitFor();
  await page.getByRole("heading", { name: "No plan yet" }).waitFor();
  await page.getByRole("button", { name: "Generate plan" }).click();
  await page.getByRole("heading", { name: "Plan version 1" }).waitFor();
  const tasks = (await apiCall("GET", `/api/v1/projects/${projectId}/tasks`)).body;
  assert.ok(tasks.items.length > 0, "the plan has tasks");
  const board = page.getByLabel("Task board");
  assert.equal(await board.locator(".kanban-card").count(), tasks.items.length);

  // Drag the first ready task to "In progress": the server records it.
  const ready = tasks.items.find((t) => t.ready);
  // Dropped on the column's header, which is in view: dragging to a spot that needs scrolling would scroll the
  // page under the pressed mouse and pick up another card.
  await board.locator(`li.kanban-card[data-task-id="${ready.id}"]`).dragTo(board.locator('section[data-status="in_progress"] .kanban-head'));
  await page.getByText(`${ready.id} moved to In progress`).waitFor();
  await board.locator(`section[data-status="in_progress"] li[data-task-id="${ready.id}"]`).waitFor();
  const moved = (await apiCall("GET", `/api/v1/projects/${projectId}/tasks/${ready.id}`)).body;
  assert.equal(moved.status, "in_progress");
  await screenshot(page, "23-plan-board");

  await page.getByRole("tab", { name: "Graph" }).click();
  const plan = (await apiCall("GET", `/api/v1/projects/${projectId}/plan`)).body;
  await page.locator(".task-node").first().waitFor();
  assert.equal(await page.locator(".task-node-critical").count(), plan.plan.critical_path.length);
  await screenshot(page, "24-plan-graph");
  await page.getByRole("tab", { name: "Phases" }).click();
  await page.locator(".phase").first().waitFor();
  assert.equal(await page.locator(".phase").count(), plan.plan.phases.length);

  // Prompts: generate, open a task, copy its implementation prompt.
  await page.getByRole("button", { name: "Generate prompts" }).click();
  await page.getByText(/prompts generated/).waitFor();
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
  await page.locator(".phase-task").first().click();
  const dialog = page.getByRole("dialog");
  await dialog.getByRole("heading", { name: "Definition of done" }).waitFor();
  const copy = dialog.getByRole("button", { name: "Copy implementation prompt" });
  await copy.waitFor();
  const shown = await dialog.getByRole("tabpanel", { name: "implementation prompt" }).textContent();
  await copy.click();
  await dialog.getByRole("button", { name: "Copied" }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), shown);
  assert.ok(shown.length > 200, "a real prompt, not a stub");
  await screenshot(page, "25-task-detail");
  await page.keyboard.press("Escape");

  await page.getByRole("link", { name: "Traceability" }).click();
  await page.locator(".trace-table tbody tr").first().waitFor();
  assert.equal(await page.locator(".trace-table tbody tr").count(), 9);
  await page.locator(".trace-toggle").first().click();
  await page.getByRole("heading", { name: "Code evidence" }).waitFor();
  await screenshot(page, "26-traceability");
});

/** At phone width nothing may push the page wider than the screen (reading must not need sideways scrolling). */
async function assertFitsWidth() {
  const overflow = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll("body *")]
      .filter((el) => el.getBoundingClientRect().right > width + 1 && !el.closest(".table-wrap, .matrix-wrap, .code-lines, .react-flow, .tabs, .kanban, .sidebar"))
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join(".")} right=${Math.round(el.getBoundingClientRect().right)}`);
    return { scroll: document.documentElement.scrollWidth, width, wide };
  });
  assert.ok(overflow.scroll <= overflow.width, `page wider than the screen: ${JSON.stringify(overflow)}`);
}

async function connectHandles(source, sourceHandle, target) {
  const from = page.locator(`.react-flow__node[data-id="${source}"] .react-flow__handle.source${sourceHandle ? `[data-handleid="${sourceHandle}"]` : ""}`);
  const to = page.locator(`.react-flow__node[data-id="${target}"] .react-flow__handle.target`);
  const a = await from.boundingBox();
  const b = await to.boundingBox();
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 8 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 8 });
  await page.mouse.up();
}

test("a 3-node workflow with an approval is built on the canvas; the server's problems land on the nodes", async () => {
  await page.getByRole("link", { name: "Workflows" }).click();
  await page.getByRole("heading", { name: "No workflows yet" }).waitFor();
  await screenshot(page, "30-workflows-empty");
  await page.getByRole("button", { name: "Build your first workflow" }).click();
  await page.waitForURL(/\/workflows\/new$/);
  await page.locator('.react-flow__node[data-id="start"]').waitFor();
  await page.getByLabel("Workflow name").fill("Release approval");

  const pane = page.locator(".react-flow__pane");
  await page.getByRole("button", { name: "Add approval node" }).dragTo(pane, { targetPosition: { x: 420, y: 160 } });
  await page.locator('.react-flow__node[data-id="approval"]').waitFor();
  // The palette also works from the keyboard: pressing an entry adds the node to the right of the others.
  await page.getByRole("button", { name: "Add transform node" }).press("Enter");
  await page.locator('.react-flow__node[data-id="transform"]').waitFor();

  // Saving the unconnected graph: one 422, each problem on its node.
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await page.getByText(/problem\(s\) are marked on the nodes/).waitFor();
  assert.equal(await page.locator(".flow-node-invalid").count(), 2);
  assert.match(await page.locator('.react-flow__node[data-id="approval"] .flow-node-problem').textContent(), /needs at least 1 incoming connection/);
  await screenshot(page, "31-builder-problems");

  // Connect start -> approval by dragging between handles, approval -> transform from the node panel.
  await connectHandles("start", "out", "approval");
  await page.locator(".react-flow__edge").first().waitFor();
  await page.locator('.react-flow__node[data-id="approval"]').click();
  const panel = page.getByRole("complementary", { name: "Node settings" });
  await panel.getByLabel(/^Message/).fill("Ship {{ trigger.version }}?");
  await panel.getByLabel("To node").selectOption("transform");
  await panel.getByLabel("Branch").selectOption("approved");
  await panel.getByRole("button", { name: "Connect" }).click();
  assert.equal(await page.locator(".react-flow__edge").count(), 2);

  // Tidy up lays the nodes out left to right along the connections, on one line.
  await page.getByRole("button", { name: "Tidy up" }).click();
  // Read in one go: the view is still zooming to fit.
  const [start, approval, transform] = await page.evaluate(() =>
    ["start", "approval", "transform"].map((id) => {
      const { x, y, width, height } = document.querySelector(`.react-flow__node[data-id="${id}"]`).getBoundingClientRect();
      return { x, y, width, height };
    }),
  );
  assert.ok(start.x + start.width < approval.x && approval.x + approval.width < transform.x, JSON.stringify({ start, approval, transform }));
  assert.ok(Math.abs(start.y + start.height / 2 - (transform.y + transform.height / 2)) < 4, "a chain sits on one line");

  await page.locator('.react-flow__node[data-id="transform"]').click();
  await panel.getByLabel(/^Output/).fill('{"released": "{{ trigger.version }}", "approved_by": "{{ nodes.approval.decided_by_email }}"}');
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await page.waitForURL(/\/workflows\/[0-9a-f-]{36}$/);
  await page.getByText("Saved: version 1").waitFor();
  assert.equal(await page.locator(".flow-node-invalid").count(), 0);
  await screenshot(page, "32-builder");
});

test("running it with an input, approving, and seeing it complete live", async () => {
  await page.getByRole("button", { name: "Run", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Run Release approval" });
  await dialog.getByLabel("Input (JSON)").fill('{"version": "1.4.0"}');
  await dialog.getByRole("button", { name: "Run workflow" }).click();
  await page.waitForURL(/\/executions\/[0-9a-f-]{36}$/);
  const status = page.getByTestId("execution-status");
  const approvalCard = page.getByRole("heading", { name: "Waiting for your approval" });
  await approvalCard.waitFor();
  await page.getByText("Ship 1.4.0?").waitFor();
  assert.equal(await status.textContent(), "waiting");
  assert.equal(await page.locator('.react-flow__node[data-id="start"] .flow-node').getAttribute("data-status"), "completed");
  assert.equal(await page.locator('.react-flow__node[data-id="approval"] .flow-node').getAttribute("data-status"), "waiting");
  await screenshot(page, "33-execution-waiting");

  await page.getByLabel("Comment (optional)").fill("Looks good");
  await page.getByRole("button", { name: "Approve" }).click();
  // Said even though the approval panel is gone by the time the answer arrives.
  await page.getByText("Approved: the run continues").waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid="execution-status"]')?.textContent === "completed");
  await page.waitForFunction(() => document.querySelector('.react-flow__node[data-id="transform"] .flow-node')?.getAttribute("data-status") === "completed");
  await page.locator('.react-flow__node[data-id="transform"]').click();
  const details = page.getByRole("complementary", { name: "Node details" });
  // The node turns completed on the socket before its recorded output is fetched: wait for the output itself.
  const output = details.getByRole("tabpanel", { name: "output" }).filter({ hasText: "released" });
  await output.waitFor();
  const value = JSON.parse(await output.textContent());
  assert.equal(value.released, "1.4.0");
  assert.equal(value.approved_by, EMAIL, "the approval recorded who decided");
  await details.getByRole("tab", { name: "Input" }).click();
  assert.match(await details.getByRole("tabpanel", { name: "input" }).textContent(), /"decision": "approved"/);
  await screenshot(page, "34-execution-completed");

  // Re-run from the transform: the approval's recorded output is reused, the transform runs again as attempt 2.
  await details.getByRole("button", { name: "Re-run from this node" }).click();
  await page.getByRole("dialog", { name: "Re-run from transform?" }).getByRole("button", { name: "Re-run" }).click();
  await page.getByTestId("execution-attempt").getByText("attempt 2").waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid="execution-status"]')?.textContent === "completed");
  const nodes = (await apiCall("GET", `/api/v1/executions/${page.url().split("/").pop()}/nodes`)).body.items;
  assert.deepEqual(
    nodes.filter((n) => n.run === 2).map((n) => n.node_id),
    ["transform"],
    "only the chosen node and what follows it ran again",
  );
});

test("a second version is diffed against the first and the first restored", async () => {
  await page.getByRole("link", { name: "Release approval", exact: true }).click();
  await page.locator('.react-flow__node[data-id="transform"]').click();
  const panel = page.getByRole("complementary", { name: "Node settings" });
  await panel.getByLabel("Name").fill("Announce release");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await page.getByText("Saved: version 2").waitFor();
  await page.getByRole("button", { name: "Versions" }).click();
  const dialog = page.getByRole("dialog", { name: "Version history" });
  await dialog.getByText("node changed").waitFor();
  assert.match(await dialog.locator(".wf-diff-node").textContent(), /transform.*name.*Announce release/s);
  await screenshot(page, "35-workflow-versions");
  await dialog.getByRole("button", { name: "Version 1", exact: false }).first().click();
  await dialog.getByRole("button", { name: "Restore version 1" }).click();
  await page.getByText("Restored as version 3").waitFor();
  await page.locator(".builder-title").getByText("version 3", { exact: true }).waitFor();
  assert.equal(await page.locator('.react-flow__node[data-id="transform"] .flow-node-name').textContent(), "transform");
});

test("the executions list filters by status", async () => {
  await page.getByRole("link", { name: "Executions", exact: true }).click();
  await page.locator("tbody tr").first().waitFor();
  assert.equal(await page.locator("tbody tr").count(), 1);
  await page.getByLabel("Status").selectOption("failed");
  await page.getByRole("heading", { name: "No run matches these filters" }).waitFor();
  await page.getByLabel("Status").selectOption("completed");
  await page.locator("tbody tr").first().waitFor();
  await screenshot(page, "36-executions");
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole("link", { name: /^[0-9a-f]{8}$/ }).first().click();
  await page.getByTestId("execution-status").waitFor();
  await assertFitsWidth();
  await screenshot(page, "37-execution-phone");
  await page.setViewportSize({ width: 1280, height: 860 });
});

test("a run waiting for approval is cancelled from the live view", async () => {
  await page.getByRole("link", { name: "Workflows", exact: true }).click();
  const row = page.locator("tbody tr").filter({ hasText: "Release approval" });
  await row.waitFor();
  assert.match(await row.textContent(), /draft.*v3/s);
  await screenshot(page, "38-workflows-list");
  await row.getByRole("link", { name: "Release approval" }).click();
  await page.getByRole("button", { name: "Run", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Run Release approval" });
  await dialog.getByLabel("Input (JSON)").fill('{"version": "2.0.0"}');
  await dialog.getByLabel("Input (JSON)").press("Control+Enter");
  await page.waitForURL(/\/executions\/[0-9a-f-]{36}$/);
  await page.getByText("Ship 2.0.0?").waitFor();
  await page.getByRole("button", { name: "Cancel run" }).click();
  await page.waitForFunction(() => document.querySelector('[data-testid="execution-status"]')?.textContent === "cancelled");
  await page.getByRole("heading", { name: "Waiting for your approval" }).waitFor({ state: "detached" });
  const execution = (await apiCall("GET", `/api/v1/executions/${page.url().split("/").pop()}`)).body;
  assert.equal(execution.status, "cancelled");
});

test("a run that failed on an outside service is retried from the failed node once the service is back", async () => {
  // A real HTTP server stands in for the outside service: 404 (a permanent failure) first, then 200.
  const { createServer } = await import("node:http");
  let healthy = false;
  const calls = [];
  const service = createServer((request, response) => {
    calls.push(request.url);
    response.writeHead(healthy ? 200 : 404, { "Content-Type": "application/json" });
    response.end(JSON.stringify(healthy ? { stock: 7 } : { error: "no such item" }));
  });
  await new Promise((resolve) => service.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${service.address().port}/stock`;
  try {
    const created = await apiCall("POST", "/api/v1/workflows", {
      name: "Stock check",
      tags: ["inventory"],
      nodes: [
        { id: "start", type: "manual" },
        { id: "fetch", type: "http_request", config: { url, method: "GET" }, retry: { max_retries: 0 } },
        { id: "report", type: "transform", config: { output: "{{ input.body.stock }} in stock" } },
      ],
      connections: [
        { source: "start", target: "fetch" },
        { source: "fetch", target: "report" },
      ],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await page.goto(`${server.url}/workflows/${created.body.id}`);
    await page.getByRole("button", { name: "Run", exact: true }).click();
    await page.getByRole("dialog", { name: "Run Stock check" }).getByRole("button", { name: "Run workflow" }).click();
    await page.waitForURL(/\/executions\/[0-9a-f-]{36}$/);
    await page.waitForFunction(() => document.querySelector('[data-testid="execution-status"]')?.textContent === "failed");
    await page.getByText("Failed at fetch").waitFor();
    assert.equal(await page.locator('.react-flow__node[data-id="fetch"] .flow-node').getAttribute("data-status"), "failed");
    await screenshot(page, "39-execution-failed");

    healthy = true;
    await page.getByRole("button", { name: "Retry from failed node" }).click();
    await page.getByTestId("execution-attempt").getByText("attempt 2").waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid="execution-status"]')?.textContent === "completed");
    await page.locator('.react-flow__node[data-id="report"]').click();
    const output = page.getByRole("complementary", { name: "Node details" }).getByRole("tabpanel", { name: "output" }).filter({ hasText: "in stock" });
    await output.waitFor();
    assert.equal(JSON.parse(await output.textContent()), "7 in stock");
    assert.equal(calls.length, 2, "the failed call, then the retry; the trigger did not run again");
  } finally {
    service.close();
  }
});
