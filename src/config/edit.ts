import { type Document, isAlias, isMap, isScalar, Scalar, visit } from 'yaml';
import { UserError } from '../errors.js';
import { analyzeConfigText, configErrorOf } from './load.js';
import type { ClusterConfig } from './model.js';
import { MASTER_COMPONENT, MAX_COUNT } from './schema.js';

export interface CountEditResult {
  text: string;
  /** The config as it reads after the edit (its `documents` hold only the ones an edit reads). */
  config: ClusterConfig;
  component: string;
  from: number;
  to: number;
  /** 1-based line of the edited scalar. */
  line: number;
}

/**
 * Sets `specification.components.<component>.count` in a cluster config's text, changing the
 * bytes of that one scalar and nothing else: comments, quoting, flow style, anchors elsewhere
 * and CRLF line endings are untouched, so the diff is one line. Refuses (UserError) counts
 * outside the autoscaling bounds, a lower master count, and counts written as aliases; refuses
 * (ConfigError) a file whose cluster or autoscaling document is invalid or that holds a committed
 * key. Other documents are not parsed (that is what keeps an edit fast on a large file): callers
 * that write the result validate the whole file first, as the CLI does.
 */
export function setComponentCount(file: string, text: string, component: string, count: number): CountEditResult {
  // Only the cluster and autoscaling documents matter here; on a large file, skipping the rest
  // is what keeps an edit within milliseconds. A file it cannot read that way gets a full read,
  // so the user sees every problem.
  const analysis = analyzeConfigText(file, text, { scalingOnly: true });
  const config = analysis.config;
  if (!config || !analysis.source) throw configErrorOf(analyzeConfigText(file, text));
  const where = `${file}: cluster ${config.name}`;

  if (!Number.isSafeInteger(count) || count < 0 || count > MAX_COUNT) {
    throw new UserError(`${where}: count ${count} refused: a count is a whole number from 0 to ${MAX_COUNT}`);
  }
  const from = Object.hasOwn(config.counts, component) ? config.counts[component] : undefined;
  if (from === undefined) {
    const known = Object.keys(config.counts).join(', ') || 'none';
    throw new UserError(`${where} has no component "${component}" (its components: ${known})`);
  }
  if (component === MASTER_COMPONENT && count < from) {
    throw new UserError(
      `${where}: ${MASTER_COMPONENT} count ${from} → ${count} refused: masters are never scaled down (LambdaStack cannot remove a control-plane node safely)`,
    );
  }
  const bounds = config.autoscaling[component];
  if (bounds && (count < bounds.min || count > bounds.max)) {
    throw new UserError(
      `${where}: ${component} count ${count} refused: outside the autoscaling bounds [${bounds.min}, ${bounds.max}] in the configuration/autoscaling document; change the bounds first if you mean it`,
    );
  }

  const clusterDoc = analysis.clusterSource;
  if (!clusterDoc) throw new Error(`${file}: a valid config without its cluster document`);
  const node = countNode(clusterDoc.doc, component, where);
  const [maskedStart, maskedEnd] = node.range ?? [0, 0];
  const line = analysis.source.locate(maskedStart).line;
  const start = analysis.source.originalOffset(maskedStart);
  const end = start + (maskedEnd - maskedStart);
  if (count === from) return { text, config, component, from, to: count, line };

  const edited = `${text.slice(0, start)}${count}${text.slice(end)}`;
  const after = analyzeConfigText(file, edited, { scalingOnly: true }).config;
  // A guard against a bug here ever reaching a commit: the edit must read back as intended.
  if (!after || after.counts[component] !== count) {
    throw new Error(`${where}: editing ${component}.count did not read back as ${count}; file left unchanged`);
  }
  return { text: edited, config: after, component, from, to: count, line };
}

/** The count scalar itself, refusing any shape where editing one scalar would not mean one change. */
function countNode(doc: Document.Parsed, component: string, where: string): Scalar {
  const path = ['specification', 'components', component, 'count'];
  let node: unknown = doc.contents;
  for (const [i, key] of path.entries()) {
    const shown = path.slice(0, i + 1).join('.');
    if (isAlias(node)) {
      throw new UserError(`${where}: ${path.slice(0, i).join('.')} is an alias (*${node.source}); edit the anchored value by hand`);
    }
    if (!isMap(node)) throw new UserError(`${where}: ${shown} is not in a mapping; edit it by hand`);
    const pair = node.items.find((item) => isScalar(item.key) && item.key.value === key);
    if (!pair) {
      throw new UserError(`${where}: ${shown} is not written in this file (merged from an alias?); edit it by hand`);
    }
    node = pair.value;
  }
  if (isAlias(node)) {
    throw new UserError(
      `${where}: ${component}.count is an alias (*${node.source}); refusing to edit an alias, change the anchored value or write the count out`,
    );
  }
  if (!isScalar(node) || node.type !== Scalar.PLAIN) {
    throw new UserError(`${where}: ${component}.count is not a plain number; write it as \`count: <number>\``);
  }
  if (node.anchor && hasAliasTo(doc, node.anchor)) {
    throw new UserError(
      `${where}: ${component}.count carries the anchor &${node.anchor} that other keys refer to; editing it would change them too, so write those out first`,
    );
  }
  return node;
}

function hasAliasTo(doc: Document.Parsed, anchor: string): boolean {
  let found = false;
  visit(doc, {
    Alias(_key, alias) {
      if (alias.source === anchor) {
        found = true;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}
