// Workflow commands a step prints (`::error file=a.yml,line=3::message`, `::add-mask::…`,
// `::group::…`), parsed as the runner parses them. Pure.

export interface WorkflowCommand {
  command: string;
  properties: Record<string, string>;
  message: string;
}

// The runner's escapes (actions/toolkit packages/core/src/command.ts): data escapes %, CR and LF;
// property values also escape ':' and ','. '%25' is undone last so "%253A" stays "%3A".
const unescapeData = (text: string): string => text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
const unescapeProperty = (text: string): string => unescapeData(text.replace(/%3A/g, ':').replace(/%2C/g, ','));

/** The command on one line of output, or undefined when the line is plain output. */
export function parseCommand(line: string): WorkflowCommand | undefined {
  // Property values cannot hold a raw ':' (it is escaped), so the first '::' after them ends them.
  const match = /^\s*::([A-Za-z][A-Za-z0-9-]*)(?: ([^:]*))?::(.*)$/.exec(line);
  if (!match) return undefined;
  const properties: Record<string, string> = {};
  for (const pair of match[2] ? match[2].split(',') : []) {
    const equals = pair.indexOf('=');
    if (equals <= 0) continue;
    properties[pair.slice(0, equals).trim()] = unescapeProperty(pair.slice(equals + 1));
  }
  return { command: (match[1] ?? '').toLowerCase(), properties, message: unescapeData(match[3] ?? '') };
}

export type AnnotationLevel = 'error' | 'warning' | 'notice';

/** An `::error`, `::warning` or `::notice` as the check run would show it. */
export interface Annotation {
  level: AnnotationLevel;
  message: string;
  file?: string;
  line?: number;
  endLine?: number;
  column?: number;
  endColumn?: number;
  title?: string;
  /** The job (and matrix) and step that printed it. */
  job: string;
  step?: string;
}

/** The annotation an `::error`/`::warning`/`::notice` command makes, or undefined for other commands. */
export function annotationOf(command: WorkflowCommand, where: { job: string; step?: string }): Annotation | undefined {
  if (command.command !== 'error' && command.command !== 'warning' && command.command !== 'notice') return undefined;
  const number = (key: string): number | undefined => {
    const value = command.properties[key];
    return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
  };
  const annotation: Annotation = { level: command.command, message: command.message, ...where };
  const file = command.properties.file;
  if (file !== undefined) annotation.file = file;
  const fields: Array<[keyof Annotation, string]> = [
    ['line', 'line'],
    ['endLine', 'endLine'],
    ['column', 'col'],
    ['endColumn', 'endColumn'],
  ];
  for (const [field, key] of fields) {
    const value = number(key);
    if (value !== undefined) (annotation as unknown as Record<string, number>)[field] = value;
  }
  if (command.properties.title !== undefined) annotation.title = command.properties.title;
  return annotation;
}

/** An annotation as one line: `error cluster-config/a.yml:12:3: message`. */
export function formatAnnotation(annotation: Annotation): string {
  const place =
    annotation.file === undefined
      ? ''
      : ` ${annotation.file}${annotation.line === undefined ? '' : `:${annotation.line}`}${annotation.column === undefined ? '' : `:${annotation.column}`}:`;
  const title = annotation.title === undefined ? '' : ` ${annotation.title}:`;
  return `${annotation.level}${place}${title} ${annotation.message}`;
}
