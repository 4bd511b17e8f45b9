// Dockerfile parsing: directives, comments, line continuations, flags, exec (JSON) form, and the
// word splitting / variable expansion rules of the classic builder.

export interface Instruction {
  keyword: string; // upper case
  raw: string; // the text after the keyword, continuations joined
  flags: Record<string, string>; // --from=x, --chown=u:g … (the last one when a flag repeats)
  flagList: [string, string][]; // every flag in order (RUN --mount=… --mount=…)
  args: string; // raw without the flags
  json?: string[]; // exec form
  /** here-documents of RUN / COPY / ADD, in the order their markers appear */
  heredocs?: Heredoc[];
  line: number;
  original: string;
}

/** `<<EOF` (or `<<-EOF`, `<<"EOF"`, `3<<EOF`) and the lines up to its terminator. */
export interface Heredoc {
  name: string; // the terminator word, quotes removed
  expand: boolean; // false when any part of the word was quoted
  chomp: boolean; // <<- : leading tabs are stripped
  fd: number; // 0 unless the marker names one (3<<EOF)
  content: string; // every line with its newline, the terminator excluded
}

const HEREDOC_KEYWORDS = new Set(['RUN', 'COPY', 'ADD']);
const HEREDOC_MARKER = /^(\d*)<<(-?)([^<]*)$/;

/** The heredoc a single word (`<<EOF`, `<<-"EOF"`) introduces, as BuildKit's parser.ParseHeredoc reads it. */
export function parseHeredocMarker(word: string): Omit<Heredoc, 'content'> | undefined {
  const m = HEREDOC_MARKER.exec(word);
  if (!m || !m[3]) return undefined;
  let words: string[];
  try {
    words = splitWords(m[3]);
  } catch {
    return undefined;
  }
  if (words.length !== 1 || !words[0]) return undefined;
  return { name: words[0], expand: !/["']/.test(m[3]), chomp: m[2] === '-', fd: m[1] ? Number(m[1]) : 0 };
}

/** Words split on unquoted whitespace, quotes and escapes kept (BuildKit's RawQuotes/RawEscapes lexing). */
export function rawWords(text: string): string[] {
  const words: string[] = [];
  let cur = '';
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      cur += ch;
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < text.length) cur += text[++i];
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      cur += ch;
      continue;
    }
    if (ch === '\\' && i + 1 < text.length) {
      cur += ch + text[++i];
      continue;
    }
    if (/\s/.test(ch)) {
      if (cur) words.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur) words.push(cur);
  return words;
}

/** Removes the leading tabs of every line (`<<-`). */
export const chompHeredoc = (content: string): string => content.replace(/^\t+/gm, '');

export class DockerfileError extends Error {
  /** `code`: a failed RUN step's exit code (Docker's errorDetail.code) */
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message);
  }
}

/** A Dockerfile that cannot be parsed: Docker refuses such a build with 400 before it runs any step. */
export class DockerfileParseError extends DockerfileError {}

export function parseDockerfile(text: string): Instruction[] {
  let escape = '\\';
  const lines = text
    .replace(/^\uFEFF/, '')
    .replace(/\r\n/g, '\n')
    .split('\n');
  let i = 0;
  // parser directives (# syntax=, # escape=, # check=): only at the very top, before any instruction,
  // comment or blank line; any other "# key=value" there ends them and is a plain comment
  const seen = new Set<string>();
  for (; i < lines.length; i++) {
    const m = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/.exec(lines[i]!);
    const key = m?.[1]!.toLowerCase();
    if (!m || !key || !['syntax', 'escape', 'check'].includes(key)) break;
    if (seen.has(key)) throw new DockerfileParseError(`Dockerfile parse error line ${i + 1}: only one ${key} parser directive can be used`);
    seen.add(key);
    if (key === 'escape') {
      if (m[2] !== '`' && m[2] !== '\\')
        throw new DockerfileParseError(`Dockerfile parse error line ${i + 1}: invalid escape token '${m[2]}' does not match \` or \\`);
      escape = m[2]!;
    }
  }
  const out: Instruction[] = [];
  while (i < lines.length) {
    const startLine = i + 1;
    let line = lines[i++]!;
    if (/^\s*(#|$)/.test(line)) continue;
    let text = '';
    while (true) {
      const trimmed = line.replace(/\s+$/, '');
      if (trimmed.endsWith(escape) && i <= lines.length) {
        text += trimmed.slice(0, -escape.length);
        // comment and empty lines inside a continuation are skipped
        while (i < lines.length && /^\s*(#.*)?$/.test(lines[i]!)) i++;
        if (i >= lines.length) break;
        line = lines[i++]!;
        continue;
      }
      text += line;
      break;
    }
    const m = /^\s*(\S+)\s*([\s\S]*)$/.exec(text)!;
    const keyword = m[1]!.toUpperCase();
    const raw = m[2]!.trim();
    const { flags, flagList, rest } = takeFlags(raw);
    const instr: Instruction = { keyword, raw, flags, flagList, args: rest, line: startLine, original: text.trim() };
    if (rest.startsWith('[')) {
      try {
        const parsed = JSON.parse(rest) as unknown;
        if (Array.isArray(parsed) && parsed.every((s) => typeof s === 'string')) instr.json = parsed as string[];
      } catch {
        /* shell form that happens to start with "[" */
      }
    }
    // ONBUILD RUN <<EOF …: the heredoc belongs to the trigger, its lines are not instructions
    if ((HEREDOC_KEYWORDS.has(keyword) || (keyword === 'ONBUILD' && /^(RUN|COPY|ADD)\s/i.test(rest))) && !instr.json) {
      const markers = rawWords(rest)
        .map(parseHeredocMarker)
        .filter((h) => h !== undefined);
      for (const marker of markers) {
        let content = '';
        let terminated = false;
        while (i < lines.length) {
          const l = lines[i++]!;
          if ((marker.chomp ? l.replace(/^\t+/, '') : l) === marker.name) {
            terminated = true;
            break;
          }
          content += `${l}\n`;
        }
        if (!terminated) throw new DockerfileParseError(`Dockerfile parse error line ${startLine}: unterminated heredoc ${marker.name}`);
        (instr.heredocs ??= []).push({ ...marker, content });
      }
    }
    out.push(instr);
  }
  return out;
}

function takeFlags(raw: string): { flags: Record<string, string>; flagList: [string, string][]; rest: string } {
  const flags: Record<string, string> = {};
  const flagList: [string, string][] = [];
  let rest = raw;
  for (let m = /^--([a-zA-Z-]+)(?:=(\S*))?\s*/.exec(rest); m; m = /^--([a-zA-Z-]+)(?:=(\S*))?\s*/.exec(rest)) {
    flags[m[1]!] = m[2] ?? 'true';
    flagList.push([m[1]!, m[2] ?? 'true']);
    rest = rest.slice(m[0].length);
  }
  return { flags, flagList, rest };
}

/**
 * Expands $VAR, ${VAR}, ${VAR:-default}, ${VAR:+alt}; a backslash escapes `$`. `raw` (heredoc contents of
 * COPY) keeps every backslash and the character after it as written.
 */
export function expand(text: string, vars: Record<string, string | undefined>, raw = false): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (raw && ch === '\\' && i + 1 < text.length) {
      out += ch + text[++i];
      continue;
    }
    if (ch === '\\' && text[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    if (ch !== '$') {
      out += ch;
      continue;
    }
    if (text[i + 1] === '{') {
      const end = text.indexOf('}', i + 2);
      if (end < 0) {
        out += text.slice(i);
        break;
      }
      const body = text.slice(i + 2, end);
      // ${V}, ${V:-w} ${V-w} (default), ${V:+w} ${V+w} (alternative), ${V:?m} ${V?m} (required); with the
      // colon an empty value counts as unset
      const m = /^(\w+)(?:(:?)([-+?])([\s\S]*))?$/.exec(body);
      if (!m) throw new DockerfileError(`bad substitution: \${${body}}`);
      const value = vars[m[1]!];
      const set = m[2] === ':' ? !!value : value !== undefined;
      if (m[3] === '-') out += set ? value : expand(m[4]!, vars, raw);
      else if (m[3] === '+') out += set ? expand(m[4]!, vars, raw) : '';
      else if (m[3] === '?') {
        if (!set) throw new DockerfileError(`${m[1]}: ${m[4] ? expand(m[4], vars, raw) : 'is not allowed to be unset'}`);
        out += value;
      } else out += value ?? '';
      i = end;
      continue;
    }
    const m = /^\w+/.exec(text.slice(i + 1));
    if (!m) {
      out += '$';
      continue;
    }
    out += vars[m[0]] ?? '';
    i += m[0].length;
  }
  return out;
}

/** Splits on whitespace, honouring quotes and backslash escapes; quotes are removed. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < text.length) cur += text[++i];
      else cur += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
      continue;
    }
    if (ch === '\\' && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
      continue;
    }
    if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    cur += ch;
    inWord = true;
  }
  if (quote) throw new DockerfileError(`unterminated quote in: ${text}`);
  if (inWord) words.push(cur);
  return words;
}

/** ENV / LABEL / ARG pairs: `k=v k2="v 2"`, or the legacy `k value with spaces` (ENV, LABEL). */
export function parsePairs(text: string, legacyAllowed = true): [string, string][] {
  const words = splitWords(text);
  if (words.length === 0) return [];
  if (!words[0]!.includes('=')) {
    if (!legacyAllowed) return words.map((w) => [w, ''] as [string, string]);
    const m = /^\s*(\S+)\s+([\s\S]*)$/.exec(text);
    if (!m) throw new DockerfileError(`expected a name and a value: ${text}`);
    return [[m[1]!, splitWords(m[2]!).join(' ')]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new DockerfileError(`expected name=value, got "${w}"`);
    return [w.slice(0, eq), w.slice(eq + 1)] as [string, string];
  });
}
