/** A few line icons (24x24, currentColor), so navigation does not depend on the system's fonts. */
const PATHS: Record<string, string> = {
  projects: "M4 5h7v6H4zM13 5h7v4h-7zM13 11h7v8h-7zM4 13h7v6H4z",
  workspace: "M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 20c0-3.3 3.6-6 8-6s8 2.7 8 6",
  invitations: "M3 6h18v12H3zM3 7l9 6 9-6",
  account: "M12 13a5 5 0 1 0 0-10 5 5 0 0 0 0 10zM3 21c1.5-3.5 5-5 9-5s7.5 1.5 9 5",
  tokens: "M14 10a4 4 0 1 0-3.5 4L12 16h2v2h2v2h3v-3l-5.5-5.5",
  workflows: "M5 4h5v5H5zM14 15h5v5h-5zM7.5 9v3.5a2 2 0 0 0 2 2H14M14 4h5v5h-5zM16.5 9v6",
  executions: "M5 4l14 8-14 8zM5 4v16",
  manual: "M7 4l12 8-12 8z",
  webhook: "M13 2L4 14h7l-1 8 9-12h-7z",
  cron: "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM12 7v5l3 2",
  transform: "M4 7h11M12 4l3 3-3 3M20 17H9M12 14l-3 3 3 3",
  condition: "M12 3l9 9-9 9-9-9z",
  switch: "M4 12h6M10 12l8-7M10 12h8M10 12l8 7",
  loop: "M4 12a8 8 0 0 1 14-5.3M20 4v4h-4M20 12a8 8 0 0 1-14 5.3M4 20v-4h4",
  merge: "M6 4v4a6 6 0 0 0 6 6h0a6 6 0 0 1 6 6M18 4v4a6 6 0 0 1-6 6",
  wait: "M7 3h10M7 21h10M8 3c0 5 8 5 8 9s-8 4-8 9M16 3c0 5-8 5-8 9",
  approval: "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM8 12l3 3 5-6",
  http_request: "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM3 12h18M12 3c3 3 3 15 0 18M12 3c-3 3-3 15 0 18",
  agent: "M12 3l2 5 5 2-5 2-2 5-2-5-5-2 5-2zM19 15l1 2 2 1-2 1-1 2-1-2-2-1 2-1z",
  mcp_tool: "M14 6a4 4 0 0 0 5 5l-8 8a2 2 0 0 1-3-3l8-8a4 4 0 0 0-2-2z",
  subworkflow: "M12 3l9 5-9 5-9-5zM3 13l9 5 9-5",
  repository: "M6 3v12M18 9a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM6 21a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM18 9a9 9 0 0 1-9 9",
  validation: "M9 12l2 2 4-4M12 3l8 4v5c0 5-3.5 8-8 9-4.5-1-8-4-8-9V7z",
};

export function Icon({ name, size = 18 }: { name: string; size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={1.8} strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
      <path d={PATHS[name] ?? ""} />
    </svg>
  );
}
