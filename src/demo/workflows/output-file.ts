/**
 * A GITHUB_OUTPUT file as a step leaves it: `name<<DELIMITER`, the value's lines, `DELIMITER`
 * (what @actions/core writes), or `name=value` on one line (what a shell step writes).
 */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name = '', delimiter] = heredoc;
      const end = lines.indexOf(delimiter ?? '', i + 1);
      if (end < 0) throw new Error(`GITHUB_OUTPUT: ${name} has no closing ${delimiter}`);
      outputs[name] = lines.slice(i + 1, end).join('\n');
      i = end;
      continue;
    }
    const single = /^([^=]+)=(.*)$/.exec(line);
    if (single) outputs[single[1] ?? ''] = single[2] ?? '';
    else if (line !== '') throw new Error(`GITHUB_OUTPUT: cannot read line ${i + 1}: ${line}`);
  }
  return outputs;
}

const unescapeData = (text: string): string => text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');

/** The messages of one workflow command (`::error ...::message`, `::add-mask::value`) in a step's output, unescaped. */
export function commandMessages(stdout: string, command: 'error' | 'add-mask'): string[] {
  const pattern = new RegExp(`^::${command}(?: [^:]*)?::(.*)$`);
  return stdout.split(/\r?\n/).flatMap((line) => {
    const match = pattern.exec(line);
    return match ? [unescapeData(match[1] ?? '')] : [];
  });
}

/** The error annotations of a step. */
export const errorAnnotations = (stdout: string): string[] => commandMessages(stdout, 'error');
