import { afterEach, describe, expect, it, vi } from "vitest";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { QueryClientProvider } from "@tanstack/react-query";
import { MemoryRouter, Route, Routes } from "react-router-dom";
import { ToastProvider } from "@/components";
import { makeQueryClient } from "@/lib/queryClient";
import { RepositoriesPage } from "./RepositoriesPage";

const PROJECT = "11111111-1111-4111-8111-111111111111";
const TOKEN = "ghp_SuperSecretToken0123456789cdef";
const NOW = "2026-11-22T08:00:00Z";

const repo = (status: string) => ({
  id: "22222222-2222-4222-8222-222222222222",
  project_id: PROJECT,
  git_url: "https://github.com/acme/shop.git",
  provider: "github",
  branch: "main",
  repository_size_mb: status === "COMPLETED" ? 1.5 : null,
  estimated_size_mb: 1.4,
  clone_status: status,
  sandbox_path: null,
  commit_sha: "abcdef0123456789",
  file_count: status === "COMPLETED" ? 42 : null,
  token_hint: "ghp_...cdef",
  last_synced_at: NOW,
  created_at: NOW,
  updated_at: NOW,
});

/** The server at the network boundary: an empty project, then the connected repository cloning, then ready. */
function fakeServer() {
  const requests: { method: string; path: string; body: unknown }[] = [];
  let state: "none" | "cloning" | "done" = "none";
  const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
  const fetch = vi.fn(async (input: Request) => {
    const path = new URL(input.url).pathname;
    const body: unknown = input.method === "GET" ? null : await input.clone().json();
    requests.push({ method: input.method, path, body });
    if (path === `/api/v1/code/projects/${PROJECT}/repos`) {
      if (state === "none") return json([]);
      const current = state === "cloning" ? "CLONING" : "COMPLETED";
      if (state === "cloning") state = "done";
      return json([repo(current)]);
    }
    if (path === "/api/v1/code/connect") {
      state = "cloning";
      return json({ repo_id: repo("PENDING").id, project_id: PROJECT, git_url: repo("PENDING").git_url, connected: true, task_id: PROJECT, estimated_size_mb: 1.4, size_source: "github_api", clone_status: "PENDING", provider: "github", branch: "main", commit_sha: null, created_at: NOW }, 201);
    }
    if (path.endsWith("/status")) {
      return json({ repo_id: repo("COMPLETED").id, clone_status: "COMPLETED", repository_size_mb: 1.5, sandbox_path: null, progress_message: null, error_message: null, error_code: null, commit_sha: "abcdef0123456789", file_count: 42, task_id: null, updated_at: NOW });
    }
    return json({ detail: { error: "not_found", message: "No such route in the fake server." } }, 404);
  });
  vi.stubGlobal("fetch", fetch);
  return requests;
}

afterEach(() => vi.unstubAllGlobals());

describe("RepositoriesPage", () => {
  it("sends the token once, masked while typed, and never shows it again; the clone status updates live", async () => {
    const requests = fakeServer();
    const user = userEvent.setup();
    render(
      <QueryClientProvider client={makeQueryClient()}>
        <ToastProvider>
          <MemoryRouter initialEntries={[`/projects/${PROJECT}/repository`]}>
            <Routes>
              <Route path="/projects/:projectId/repository" element={<RepositoriesPage />} />
            </Routes>
          </MemoryRouter>
        </ToastProvider>
      </QueryClientProvider>,
    );
    const token = await screen.findByLabelText("Access token");
    expect(token).toHaveAttribute("type", "password");
    await user.type(screen.getByLabelText("Git URL"), "https://github.com/acme/shop.git");
    await user.type(token, TOKEN);
    await user.click(screen.getByRole("button", { name: "Connect repository" }));

    const connect = requests.find((r) => r.path === "/api/v1/code/connect");
    expect(connect?.body).toMatchObject({ project_id: PROJECT, git_url: "https://github.com/acme/shop.git", access_token: TOKEN, branch: null });
    // Cloning, then ready, without a reload.
    expect(await screen.findByText("Cloning")).toBeInTheDocument();
    expect(await screen.findByText("Ready", {}, { timeout: 4000 })).toBeInTheDocument();
    expect(screen.getByLabelText("masked token")).toHaveTextContent("ghp_...cdef");
    await waitFor(() => expect(screen.getByText("42")).toBeInTheDocument());
    // The secret is nowhere on the page: not in text, not in any field.
    expect(document.body.textContent).not.toContain(TOKEN);
    for (const input of Array.from(document.querySelectorAll("input"))) expect(input.value).not.toContain(TOKEN);
  });
});
