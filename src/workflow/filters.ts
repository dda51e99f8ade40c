// GitHub's filter patterns (branches:, tags:, paths: and their -ignore forms), pure. From GitHub's
// "filter pattern cheat sheet": `*` is any run of characters but `/`, `**` any run including `/`,
// `?` makes the character before it optional, `+` repeats it, `[…]` is a class, `\` escapes, and a
// leading `!` makes a pattern exclude what earlier ones included.

/** A filter pattern as a regular expression over the whole value. */
export function patternToRegExp(pattern: string): RegExp {
  let source = '';
  // Where the last atom begins in `source`, so `?` and `+` can apply to it.
  let lastAtom = -1;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string;
    if (char === '\\' && i + 1 < pattern.length) {
      lastAtom = source.length;
      source += escapeChar(pattern[++i] as string);
    } else if (char === '*' && pattern[i + 1] === '*') {
      i++;
      lastAtom = -1;
      if (pattern[i + 1] === '/') {
        i++;
        source += '(?:.*/)?'; // `**/x` matches `x` at the top too
      } else {
        source += '.*';
      }
    } else if (char === '*') {
      lastAtom = -1;
      source += '[^/]*';
    } else if ((char === '?' || char === '+') && lastAtom >= 0) {
      source = `${source.slice(0, lastAtom)}(?:${source.slice(lastAtom)})${char}`;
      lastAtom = -1;
    } else if (char === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) {
        lastAtom = source.length;
        source += escapeChar(char);
        continue;
      }
      const body = pattern.slice(i + 1, close).replace(/\\/g, '\\\\');
      lastAtom = source.length;
      source += `[${body}]`;
      i = close;
    } else {
      lastAtom = source.length;
      source += escapeChar(char);
    }
  }
  return new RegExp(`^${source}$`);
}

function escapeChar(char: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(char) ? `\\${char}` : char;
}

/**
 * Whether `value` is selected by an ordered pattern list: the last pattern that matches decides,
 * a `!pattern` deselecting.
 */
export function selectedBy(value: string, patterns: readonly string[]): boolean {
  let selected = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    if (patternToRegExp(negated ? pattern.slice(1) : pattern).test(value)) selected = !negated;
  }
  return selected;
}
