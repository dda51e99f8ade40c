// hashFiles(): the workspace's files matching the patterns, each hashed, hashed together (as the
// runner's hashFiles script does), or '' when nothing matches. Synchronous, since expressions
// are evaluated synchronously.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { selectedBy } from './filters.js';

function files(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === '.git') continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) found.push(relative(root, path));
    }
  };
  walk(root);
  return found.sort();
}

export function hashFiles(workspace: string, patterns: readonly string[]): string {
  const relativePatterns = patterns.map((pattern) => {
    const negated = pattern.startsWith('!');
    const body = negated ? pattern.slice(1) : pattern;
    const inside = isAbsolute(body) ? relative(workspace, body) : body;
    return `${negated ? '!' : ''}${inside}`;
  });
  const matched = files(workspace).filter((file) => selectedBy(file, relativePatterns));
  if (matched.length === 0) return '';
  const all = createHash('sha256');
  for (const file of matched)
    all.update(
      createHash('sha256')
        .update(readFileSync(join(workspace, file)))
        .digest(),
    );
  return all.digest('hex');
}
