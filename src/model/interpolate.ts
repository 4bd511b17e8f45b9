// The Compose interpolation grammar: $VAR, ${VAR}, ${VAR:-d}, ${VAR-d}, ${VAR:?e}, ${VAR?e},
// ${VAR:+a}, ${VAR+a}, nesting inside the default/alternative/error text, and $$ for a literal $.
// Templates are parsed first and evaluated lazily, so an unused branch never raises an error.

type Operator = ':-' | '-' | ':?' | '?' | ':+' | '+';
type Part = string | { name: string; op?: Operator; arg: Part[] };

export class InterpolationError extends Error {}

export type Lookup = (name: string) => string | undefined;

export interface InterpolateHooks {
  /** a variable that is unset and has no default: compose substitutes "" and warns */
  onUnset?: (name: string) => void;
}

export function interpolate(template: string, lookup: Lookup, hooks: InterpolateHooks = {}): string {
  if (!template.includes('$')) return template;
  const [parts] = parse(template, 0, false);
  return evaluate(parts, lookup, hooks);
}

const NAME = /[_A-Za-z][_A-Za-z0-9]*/y;
const OPERATORS: Operator[] = [':-', ':?', ':+', '-', '?', '+'];

function parse(s: string, start: number, insideBraces: boolean): [Part[], number] {
  const parts: Part[] = [];
  let text = '';
  let i = start;
  while (i < s.length) {
    const c = s[i]!;
    if (insideBraces && c === '}') {
      if (text) parts.push(text);
      return [parts, i];
    }
    if (c !== '$') {
      // the literal text up to the next "$" (or "}" inside braces), in one piece
      let j = i + 1;
      while (j < s.length && s[j] !== '$' && !(insideBraces && s[j] === '}')) j++;
      text += s.slice(i, j);
      i = j;
      continue;
    }
    const next = s[i + 1];
    if (next === '$') {
      text += '$';
      i += 2;
      continue;
    }
    if (next === '{') {
      NAME.lastIndex = i + 2;
      const m = NAME.exec(s);
      if (!m) throw new InterpolationError(`invalid interpolation format in "${s}": expected a variable name after "\${"`);
      let j = i + 2 + m[0].length;
      if (s[j] === '}') {
        if (text) {
          parts.push(text);
          text = '';
        }
        parts.push({ name: m[0], arg: [] });
        i = j + 1;
        continue;
      }
      const op = OPERATORS.find((o) => s.startsWith(o, j));
      if (!op)
        throw new InterpolationError(`invalid interpolation format in "${s}": unexpected "${s[j] ?? 'end of text'}" after "\${${m[0]}"`);
      j += op.length;
      const [arg, end] = parse(s, j, true);
      if (s[end] !== '}') throw new InterpolationError(`invalid interpolation format in "${s}": missing closing "}"`);
      if (text) {
        parts.push(text);
        text = '';
      }
      parts.push({ name: m[0], op, arg });
      i = end + 1;
      continue;
    }
    NAME.lastIndex = i + 1;
    const m = NAME.exec(s);
    if (m) {
      if (text) {
        parts.push(text);
        text = '';
      }
      parts.push({ name: m[0], arg: [] });
      i += 1 + m[0].length;
      continue;
    }
    text += '$';
    i++;
  }
  if (insideBraces) return [text ? [...parts, text] : parts, i];
  if (text) parts.push(text);
  return [parts, i];
}

function evaluate(parts: Part[], lookup: Lookup, hooks: InterpolateHooks): string {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'string') {
      out += p;
      continue;
    }
    const value = lookup(p.name);
    const set = value !== undefined;
    const nonEmpty = set && value !== '';
    const arg = () => evaluate(p.arg, lookup, hooks);
    switch (p.op) {
      case undefined:
        if (!set) hooks.onUnset?.(p.name);
        out += value ?? '';
        break;
      case ':-':
        out += nonEmpty ? value : arg();
        break;
      case '-':
        out += set ? value : arg();
        break;
      case ':+':
        out += nonEmpty ? arg() : '';
        break;
      case '+':
        out += set ? arg() : '';
        break;
      case ':?':
      case '?': {
        const ok = p.op === ':?' ? nonEmpty : set;
        if (!ok) {
          const msg = arg();
          throw new InterpolationError(`required variable ${p.name} is missing a value${msg ? `: ${msg}` : ''}`);
        }
        out += value;
        break;
      }
    }
  }
  return out;
}

export interface TemplateVariable {
  name: string;
  required: boolean;
  defaultValue?: string;
  alternateValue?: string;
}

/** The variables a template refers to (nested ones included), for `config --variables`. */
export function templateVariables(template: string): TemplateVariable[] {
  if (!template.includes('$')) return [];
  const [parts] = parse(template, 0, false);
  const out: TemplateVariable[] = [];
  const walk = (ps: Part[]) => {
    for (const p of ps) {
      if (typeof p === 'string') continue;
      const text = p.arg.map((a) => (typeof a === 'string' ? a : `\${${a.name}${a.op ?? ''}}`)).join('');
      const v: TemplateVariable = { name: p.name, required: p.op === ':?' || p.op === '?' };
      if (p.op === ':-' || p.op === '-') v.defaultValue = text;
      if (p.op === ':+' || p.op === '+') v.alternateValue = text;
      out.push(v);
      walk(p.arg);
    }
  };
  walk(parts);
  return out;
}
