/**
 * How recorded cycles are written as lines and read back. A quiet cluster looks the same cycle
 * after cycle except for its measured use, so a line names the sections that are the same as the
 * line before (`"same":["nodes","pods",…]`) instead of writing them again. The first line of a
 * file, and the first a process writes, is always whole: each file (FILE, FILE.1) reads alone, and
 * a line never leans on one another process wrote.
 */
import { z } from 'zod';
import { headerSchema, type RecordLine, SECTION_NAMES, type SectionName, sectionSchemas } from './format.js';

const HEADER_KEYS = Object.keys(headerSchema.shape) as Array<keyof z.infer<typeof headerSchema>>;

/** Turns lines into text, each repeating no section of the one it follows. */
export class LineWriter {
  private previous: Map<SectionName, string> | undefined;

  /** The next line is written whole (after a rotation, or a line that could not be written). */
  reset(): void {
    this.previous = undefined;
  }

  /** The line's text, newline included. `v` and `at` come first: a reader finds a line's time without parsing it all. */
  text(line: RecordLine): string {
    const header: Record<string, unknown> = {};
    for (const key of HEADER_KEYS) header[key] = line[key];
    const sections = new Map<SectionName, string>();
    const same: SectionName[] = [];
    const parts: string[] = [];
    for (const name of SECTION_NAMES) {
      const value = line[name];
      if (value === undefined) continue;
      const json = JSON.stringify(value);
      sections.set(name, json);
      if (this.previous?.get(name) === json) same.push(name);
      else parts.push(`${JSON.stringify(name)}:${json}`);
    }
    this.previous = sections;
    const head = JSON.stringify(header).slice(0, -1);
    return `${head}${same.length > 0 ? `,"same":${JSON.stringify(same)}` : ''}${parts.map((part) => `,${part}`).join('')}}\n`;
  }
}

const sameSchema = z.array(z.enum(SECTION_NAMES as [SectionName, ...SectionName[]])).optional();

function issueText(error: z.ZodError, prefix: string): string {
  const issue = error.issues[0];
  const path = [prefix, ...(issue?.path ?? []).map(String)].filter((part) => part !== '').join('.');
  return `${path ? `${path}: ` : ''}${issue?.message ?? 'not a recorded cycle'}`;
}

/** Turns parsed lines of one file back into whole lines, checking each part against the format. */
export class LineReader {
  private previous: RecordLine | undefined;

  /** The next line begins a file. */
  reset(): void {
    this.previous = undefined;
  }

  /** The whole line, or what is wrong with it. Sections the line says are the same are the line before's very objects. */
  read(value: unknown): RecordLine | string {
    const header = headerSchema.safeParse(value);
    if (!header.success) return issueText(header.error, '');
    const raw = value as Record<string, unknown>;
    const same = sameSchema.safeParse(raw.same);
    if (!same.success) return issueText(same.error, 'same');
    const previous = this.previous;
    if ((same.data?.length ?? 0) > 0 && !previous)
      return 'it says parts are the same as the line before, but it is the first line of its file';
    const line: Record<string, unknown> = { ...header.data };
    for (const name of SECTION_NAMES) {
      if (same.data?.includes(name)) {
        if (previous?.[name] === undefined) return `${name}: the same as the line before, which has none`;
        line[name] = previous[name];
      } else if (raw[name] !== undefined) {
        const parsed = sectionSchemas[name].safeParse(raw[name]);
        if (!parsed.success) return issueText(parsed.error, name);
        line[name] = parsed.data;
      } else if (name !== 'names') {
        return `${name}: missing`;
      }
    }
    this.previous = line as RecordLine;
    return this.previous;
  }
}
