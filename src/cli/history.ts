import { scaleHistory } from '../git/history.js';
import { historyToJson, historyToMarkdown, historyToMermaid, historyToText } from '../history/format.js';
import type { Io } from './io.js';

export interface HistoryOptions {
  file?: string;
  since?: string;
  format: 'text' | 'json' | 'markdown' | 'mermaid';
  configDir: string;
}

/** `history`: who or what scaled which cluster, when, why, and from how many nodes to how many. */
export async function historyCommand(options: HistoryOptions, io: Io, cwd = process.cwd()): Promise<void> {
  const entries = await scaleHistory({
    cwd,
    paths: [options.configDir],
    ...(options.file === undefined ? {} : { file: options.file }),
    // An empty --since is refused like any other non-date, not taken as "no limit".
    ...(options.since === undefined ? {} : { since: options.since }),
  });
  const render = { text: historyToText, json: historyToJson, markdown: historyToMarkdown, mermaid: historyToMermaid }[options.format];
  io.out(render(entries));
}
