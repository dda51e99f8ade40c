export {
  joinReasons,
  MAX_REASON_LENGTH,
  normalizeReason,
  type ParsedCommitMessage,
  parseCommitMessage,
  pullRequestNumber,
  REASON_TRAILER,
  type ScaleChange,
  scaleCommitMessage,
  scaleSubject,
} from './commit-message.js';
export { type HistoryEntry, historyEntries } from './entries.js';
export { historyToJson, historyToMarkdown, historyToMermaid, historyToText, MERMAID_MAX_TEXT } from './format.js';
export { type BlobRef, headsNeedingReasons, type LogCommit, logArgs, parseLog, parseReasons, type RawChange, reasonsArgs } from './log.js';
export { gitSince, parseSince, SINCE_FORMS } from './since.js';
export { ABSENT, isCluster, readSnapshot, type Snapshot, UNREADABLE } from './snapshot.js';
