/** A few line icons (24x24, currentColor), so navigation does not depend on the system's fonts. */
const PATHS: Record<string, string> = {
  projects: "M4 5h7v6H4zM13 5h7v4h-7zM13 11h7v8h-7zM4 13h7v6H4z",
  workspace: "M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 20c0-3.3 3.6-6 8-6s8 2.7 8 6",
  invitations: "M3 6h18v12H3zM3 7l9 6 9-6",
  account: "M12 13a5 5 0 1 0 0-10 5 5 0 0 0 0 10zM3 21c1.5-3.5 5-5 9-5s7.5 1.5 9 5",
  tokens: "M14 10a4 4 0 1 0-3.5 4L12 16h2v2h2v2h3v-3l-5.5-5.5",
};

export function Icon({ name, size = 18 }: { name: string; size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={1.8} strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
      <path d={PATHS[name] ?? ""} />
    </svg>
  );
}
