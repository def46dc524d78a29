// GUIDE tags and PASTA substrings as the server reads them (API.md "The steering object").

/** `<!->` … `<-!>` (delta/2), `<!!->` (delta), `<!!!->` (2·delta), and `<?->` … `<-?>` (the span to measure). */
export type TagKind = "!" | "!!" | "!!!" | "?";
export const TAG_KINDS: TagKind[] = ["!", "!!", "!!!", "?"];
export const openTag = (k: TagKind) => `<${k}->`;
export const closeTag = (k: TagKind) => `<-${k}>`;

const TAG = /<(!{1,3}|\?)->|<-(!{1,3}|\?)>/g;

export interface TaggedSpan {
  kind: TagKind;
  /** UTF-16 indices in the typed text: the opening tag starts at `open`, the closing tag ends at `end`. */
  open: number; contentStart: number; contentEnd: number; end: number;
}

/** Pairs the tags of one message; unpaired tags are left out (the server names them in a 400). */
export function findTags(text: string): TaggedSpan[] {
  const stacks = new Map<string, { index: number; length: number }[]>();
  const spans: TaggedSpan[] = [];
  for (const m of text.matchAll(TAG)) {
    const index = m.index!;
    if (m[1] !== undefined) {
      const s = stacks.get(m[1]) ?? [];
      s.push({ index, length: m[0].length });
      stacks.set(m[1], s);
    } else {
      const open = stacks.get(m[2])?.pop();
      if (open) spans.push({ kind: m[2] as TagKind, open: open.index, contentStart: open.index + open.length, contentEnd: index, end: index + m[0].length });
    }
  }
  return spans.sort((a, b) => a.open - b.open);
}

/** The text without any GUIDE tag: what the model reads (the baseline sends this with steering: false). */
export const stripTags = (text: string) => text.replace(TAG, "");

/** Removes one span's two tags, keeping its text. */
export function untag(text: string, span: TaggedSpan): string {
  return text.slice(0, span.open) + text.slice(span.contentStart, span.contentEnd) + text.slice(span.end);
}

/** Where the server finds a PASTA substring: first occurrence, messages in order. */
export function locateSubstring(contents: string[], substring: string): { message: number; start: number } | null {
  if (!substring) return null;
  for (let i = 0; i < contents.length; i++) {
    const start = contents[i].indexOf(substring);
    if (start >= 0) return { message: i, start };
  }
  return null;
}
