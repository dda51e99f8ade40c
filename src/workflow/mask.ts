/**
 * Secret values hidden as `***` in everything the runner prints or keeps: the secrets given, the
 * token, and every value a step masks with `::add-mask::`. A multi-line value is masked as a
 * whole and line by line, as GitHub does, since output is read a line at a time.
 */
const MIN_LINE_LENGTH = 4;

export class Masker {
  private readonly values = new Set<string>();
  private ordered: string[] = [];

  add(value: string): void {
    // Lines shorter than this are left out of the line-by-line masking: a `}` of a JSON secret would
    // otherwise hide every brace of the log. The value as a whole is always masked.
    const lines = value.includes('\n')
      ? value
          .split(/\r?\n/)
          .map((line) => line.trim())
          .filter((line) => line.length >= MIN_LINE_LENGTH)
      : [];
    const parts = [value.trim(), ...lines].filter((part) => part !== '');
    let changed = false;
    for (const part of parts) {
      if (this.values.has(part)) continue;
      this.values.add(part);
      changed = true;
    }
    // Longest first, so a secret that contains another is hidden whole.
    if (changed) this.ordered = [...this.values].sort((a, b) => b.length - a.length);
  }

  mask(text: string): string {
    let masked = text;
    for (const value of this.ordered) if (masked.includes(value)) masked = masked.split(value).join('***');
    return masked;
  }

  /** Whether `text` holds a masked value (job outputs that do are not passed on, as on GitHub). */
  reveals(text: string): boolean {
    return this.ordered.some((value) => text.includes(value));
  }
}
