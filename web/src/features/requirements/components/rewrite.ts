/**
 * The concrete rewrite a finding's suggestion proposes, so it can be applied in one click.
 * The analyzer phrases suggestions as `Replace "fast" with a bound, e.g. "within <N> ms"`,
 * `Use "shall" ...` or `Remove "if possible" ...`; anything else (add criteria, name a
 * document) has no mechanical rewrite and is left to the editor.
 */
export interface Rewrite {
  /** The text that replaces the finding's span ("" removes it). */
  replacement: string;
  /** The replacement holds template slots such as <N> the user must fill in first. */
  needsInput: boolean;
}

const QUOTED = /"([^"]+)"/;

export function rewriteFor(suggestion: string, spanText: string): Rewrite | null {
  const s = suggestion.trim();
  let replacement: string | null = null;
  if (/^Remove\s+"/i.test(s)) {
    replacement = "";
  } else if (/^Replace\s+"[^"]*"\s+with\s+/i.test(s) || /^Replace\s+\S+\s+with\s+/i.test(s)) {
    const rest = s.replace(/^Replace\s+("[^"]*"|\S+)\s+with\s+/i, "");
    replacement = QUOTED.exec(rest)?.[1] ?? null;
  } else if (/^Use\s+"/i.test(s)) {
    replacement = QUOTED.exec(s)?.[1] ?? null;
  } else if (/^(Give|State)\b.*\be\.g\.\s*"/i.test(s)) {
    replacement = /e\.g\.\s*"([^"]+)"/i.exec(s)?.[1] ?? null;
  }
  if (replacement === null || replacement === spanText) return null;
  return { replacement, needsInput: /<[^<>]+>/.test(replacement) };
}

/** The text with [start, end) replaced, tidied the way the server tidies refinement answers. */
export function applyRewrite(text: string, start: number, end: number, replacement: string): string {
  const spliced = (text.slice(0, start) + replacement + text.slice(end)).replace(/\s{2,}/g, " ").trim();
  return spliced.replace(/\s+([,.;:])/g, "$1");
}
