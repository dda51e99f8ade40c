// The environment files a step writes (GITHUB_OUTPUT, GITHUB_ENV, GITHUB_STATE, GITHUB_PATH), read as
// the runner reads them. Pure.

export interface ParsedPairs {
  values: Array<[string, string]>;
  /** Lines the runner would refuse (the step fails naming them). */
  problems: string[];
}

/**
 * `name=value` lines and `name<<DELIMITER` … `DELIMITER` blocks, the format of GITHUB_OUTPUT, GITHUB_ENV
 * and GITHUB_STATE. As in the runner, whichever of `=` and `<<` comes first decides; empty lines
 * are skipped; a block without its delimiter is an error.
 */
export function parseKeyValueFile(text: string, file: string): ParsedPairs {
  const values: Array<[string, string]> = [];
  const problems: string[] = [];
  const lines = text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  if (lines.at(-1) === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === '') continue;
    const equals = line.indexOf('=');
    const heredoc = line.indexOf('<<');
    if (equals >= 0 && (heredoc < 0 || equals < heredoc)) {
      const name = line.slice(0, equals);
      if (name === '') problems.push(`${file}: line ${i + 1} has no name: ${line}`);
      else values.push([name, line.slice(equals + 1)]);
      continue;
    }
    if (heredoc >= 0) {
      const name = line.slice(0, heredoc);
      const delimiter = line.slice(heredoc + 2);
      if (name === '' || delimiter === '') {
        problems.push(`${file}: line ${i + 1} needs a name and a delimiter (name<<DELIMITER): ${line}`);
        continue;
      }
      const end = lines.indexOf(delimiter, i + 1);
      if (end < 0) {
        problems.push(`${file}: ${name}<<${delimiter} has no closing line ${delimiter}`);
        break;
      }
      values.push([name, lines.slice(i + 1, end).join('\n')]);
      i = end;
      continue;
    }
    problems.push(`${file}: line ${i + 1} is neither name=value nor name<<DELIMITER: ${line}`);
  }
  return { values, problems };
}

/** GITHUB_PATH: one directory a line, each put before PATH for the steps after. */
export function parsePathFile(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}
