// Splits a shell-form command the way compose does (shlex): quotes and backslashes, no expansion.
import { NormalizeError } from './error.js';

export function splitShellWords(s: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      if (inWord) {
        words.push(word);
        word = '';
        inWord = false;
      }
      i++;
    } else if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) throw new NormalizeError(`unterminated single quote in "${s}"`);
      word += s.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      inWord = true;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < s.length && '"\\$`\n'.includes(s[i + 1]!)) i++;
        word += s[i];
        i++;
      }
      if (i >= s.length) throw new NormalizeError(`unterminated double quote in "${s}"`);
      i++;
    } else if (c === '\\' && i + 1 < s.length) {
      word += s[i + 1];
      inWord = true;
      i += 2;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}
