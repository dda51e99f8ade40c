/**
 * The one change the demo makes to the example cluster before its first commit: its
 * `configuration/remote-state` document gains terraform's settings for an S3-compatible server,
 * so that the state and its lock live on the demo's s3rver and dynalite instead of AWS. The lines
 * are appended to that document, with a comment saying why; nothing else of the file changes.
 */
import { parseClusterConfig } from '../config/index.js';
import { UserError } from '../errors.js';

export interface LocalEndpoints {
  s3: string;
  dynamodb: string;
}

const KIND_LINE = /^kind:\s*["']?configuration\/remote-state["']?\s*$/m;

/** `text` (the cluster config `file`) with its S3 remote state pointed at `endpoints`. */
export function withLocalRemoteState(file: string, text: string, endpoints: LocalEndpoints): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  const starts = [0, ...lines.flatMap((line, i) => (line.trim() === '---' ? [i + 1] : []))];
  const start = starts.find((first, n) => {
    const end = starts[n + 1] ?? lines.length;
    return KIND_LINE.test(lines.slice(first, end).join('\n'));
  });
  if (start === undefined)
    throw new UserError(`${file}: no configuration/remote-state document for the demo to point at its local S3 server`);
  const next = starts[starts.indexOf(start) + 1];
  // The document ends at the next `---` (or the end of the file), less the blank lines before it.
  let end = next === undefined ? lines.length : next - 1;
  while (end > start && (lines[end - 1]?.trim() ?? '') === '') end--;
  const added = [
    '  # lambdastack-autoscaler demo: the state is on the demo s3rver, its lock in the demo dynalite (this machine only)',
    '  endpoints:',
    `    s3: ${endpoints.s3}`,
    `    dynamodb: ${endpoints.dynamodb}`,
    '  use_path_style: true',
    '  skip_credentials_validation: true',
    '  skip_requesting_account_id: true',
    '  skip_metadata_api_check: true',
    '  skip_region_validation: true',
  ];
  const edited = [...lines.slice(0, end), ...added, ...lines.slice(end)].join(eol);
  const state = parseClusterConfig(file, edited).remoteState as Record<string, unknown> | undefined;
  const set = state?.endpoints as Record<string, unknown> | undefined;
  if (state?.backend !== 's3' || set?.s3 !== endpoints.s3 || set?.dynamodb !== endpoints.dynamodb) {
    throw new UserError(`${file}: its configuration/remote-state document is not an S3 state the demo can point at its local server`);
  }
  return edited;
}
