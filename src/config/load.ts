import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { scheduleProblems } from '../policy/schedule-settings.js';
import { policySettingProblems } from '../policy/settings.js';
import { BACKEND_SECRET_KEY, CLOUD_SECRET_KEY, findCommittedSecrets, findLeakedKeys, findLeaksInText, leakMessage } from './credentials.js';
import type { Bounds, ClusterConfig, ConfigDocument } from './model.js';
import {
  AUTOSCALING_KIND,
  autoscalingDocumentSchema,
  CLUSTER_KINDS,
  clusterDocumentSchema,
  MASTER_COMPONENT,
  REMOTE_STATE_KIND,
  remoteStateDocumentSchema,
} from './schema.js';
import { lineColumn, offsetOf, type ParsedSource, parseSource, type SourceDocument } from './source.js';

/** What reading one file found: a cluster, or the problems that stop it being one. */
export interface FileAnalysis {
  file: string;
  config: ClusterConfig | undefined;
  problems: ConfigProblem[];
  /** True when the file has no cluster document at all (only infrastructure/configuration documents). */
  noCluster: boolean;
  /** The parsed text, for edits that must touch only the bytes of one scalar. */
  source?: ParsedSource;
  /** The cluster document within `source`, when there is one. */
  clusterSource?: SourceDocument;
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** A document that may be the cluster or its autoscaling bounds (a cheap, deliberately broad test). */
const MAY_MATTER_FOR_SCALING = /cluster|autoscal/i;

export interface AnalyzeOptions {
  /**
   * Read only the documents that can hold the cluster or its autoscaling bounds: what a count
   * edit needs. Problems in other documents go unreported; `validate` reads everything.
   */
  scalingOnly?: boolean;
}

/** Reads and validates one file's text. Never throws: everything wrong is in `problems`. */
export function analyzeConfigText(file: string, text: string, options: AnalyzeOptions = {}): FileAnalysis {
  const unreadable = textProblem(file, text);
  if (unreadable) return { file, config: undefined, problems: [unreadable], noCluster: false };
  const source = parseSource(file, text, options.scalingOnly ? { onlyDocuments: (raw) => MAY_MATTER_FOR_SCALING.test(raw) } : {});
  const problems = [...source.problems];
  const at = (doc: SourceDocument, path: readonly PropertyKey[], message: string, options: { key?: boolean } = {}): void => {
    problems.push({ file, ...source.locate(offsetOf(doc, path, options)), message });
  };
  const checkSchema = <T extends z.ZodType>(doc: SourceDocument, schema: T): z.infer<T> | undefined => {
    const result = schema.safeParse(doc.value);
    if (result.success) return result.data;
    for (const issue of result.error.issues) {
      const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
      const where = path.length > 0 ? `${path.join('.')}: ` : '';
      at(doc, path, `${where}${issue.message}`);
    }
    return undefined;
  };

  const documents: ConfigDocument[] = [];
  const clusterDocs: SourceDocument[] = [];
  const autoscalingDocs: SourceDocument[] = [];
  const stateDocs: SourceDocument[] = [];
  for (const doc of source.documents) {
    if (!isRecord(doc.value) || typeof doc.value.kind !== 'string') {
      at(doc, [], 'every document needs a `kind` (for example `kind: lambdastack-cluster`)');
      continue;
    }
    const kind = doc.value.kind;
    documents.push({ kind, name: typeof doc.value.name === 'string' ? doc.value.name : undefined, value: doc.value });
    if ((CLUSTER_KINDS as readonly string[]).includes(kind)) clusterDocs.push(doc);
    else if (kind === AUTOSCALING_KIND) autoscalingDocs.push(doc);
    else if (kind === REMOTE_STATE_KIND) stateDocs.push(doc);
    for (const finding of findLeakedKeys(doc.value)) at(doc, finding.path, finding.message);
  }

  // Known key formats in comments, keys, and documents a focused read skipped; a line that
  // already has a finding from the values above is not reported twice.
  const linesWithLeaks = new Set(problems.map((p) => p.line));
  for (const leak of findLeaksInText(text)) {
    const position = lineColumn(text, leak.offset);
    if (linesWithLeaks.has(position.line)) continue;
    linesWithLeaks.add(position.line);
    problems.push({ file, ...position, message: leakMessage(leak.what) });
  }

  for (const extra of clusterDocs.slice(1)) {
    at(extra, ['kind'], 'a second cluster document: keep one cluster per file');
  }
  for (const extra of autoscalingDocs.slice(1)) {
    at(extra, ['kind'], `a second ${AUTOSCALING_KIND} document: merge it into the first`);
  }
  for (const extra of stateDocs.slice(1)) {
    at(extra, ['kind'], `a second ${REMOTE_STATE_KIND} document: keep one per cluster`);
  }

  const noCluster = clusterDocs.length === 0 && problems.length === 0;
  const clusterDoc = clusterDocs[0];
  if (!clusterDoc) {
    return { file, config: undefined, problems: inSourceOrder(problems), noCluster, source };
  }
  const cluster = checkSchema(clusterDoc, clusterDocumentSchema);
  // Read from the raw document so an autoscaling entry is checked even when a count is invalid.
  const spec = isRecord(clusterDoc.value) && isRecord(clusterDoc.value.specification) ? clusterDoc.value.specification : undefined;
  const clusterComponents = spec && isRecord(spec.components) ? spec.components : undefined;
  for (const finding of findCommittedSecrets(spec?.cloud, ['specification', 'cloud'], CLOUD_SECRET_KEY))
    at(clusterDoc, finding.path, finding.message);

  const autoscalingDoc = autoscalingDocs[0];
  const autoscaling: Record<string, Bounds> = Object.create(null); // user-named keys: `__proto__` is a component like any other
  if (autoscalingDoc) {
    for (const { component, path, atKey, message } of autoscalingPolicyProblems(autoscalingDoc.value)) {
      at(autoscalingDoc, ['specification', 'components', component, ...path], `${component}.${message}`, { key: atKey });
    }
    const parsed = checkSchema(autoscalingDoc, autoscalingDocumentSchema);
    for (const [component, bounds] of Object.entries(parsed?.specification.components ?? {})) {
      const path = ['specification', 'components', component];
      if (bounds.min > bounds.max) {
        at(autoscalingDoc, [...path, 'min'], `${component}: min ${bounds.min} is greater than max ${bounds.max}`);
        continue;
      }
      if (component === MASTER_COMPONENT) {
        at(autoscalingDoc, path, `${component}: masters are never autoscaled; remove this entry`, { key: true });
        continue;
      }
      if (clusterComponents && !Object.hasOwn(clusterComponents, component)) {
        at(
          autoscalingDoc,
          path,
          `${component}: the cluster has no such component (it has ${Object.keys(clusterComponents).join(', ') || 'none'})`,
          { key: true },
        );
        continue;
      }
      const current = cluster?.specification.components[component]?.count;
      if (current !== undefined && (current < bounds.min || current > bounds.max)) {
        at(
          clusterDoc,
          ['specification', 'components', component, 'count'],
          `${component}.count ${current} is outside its autoscaling bounds [${bounds.min}, ${bounds.max}]`,
        );
      }
      autoscaling[component] = bounds as Bounds;
    }
  }

  const stateDoc = stateDocs[0];
  const state = stateDoc ? checkSchema(stateDoc, remoteStateDocumentSchema) : undefined;
  if (stateDoc && isRecord(stateDoc.value)) {
    for (const finding of findCommittedSecrets(stateDoc.value.specification, ['specification'], BACKEND_SECRET_KEY))
      at(stateDoc, finding.path, finding.message);
  }

  if (problems.length > 0 || !cluster) return { file, config: undefined, problems: inSourceOrder(problems), noCluster: false, source };
  const counts: Record<string, number> = Object.create(null);
  for (const [component, settings] of Object.entries(cluster.specification.components)) counts[component] = settings.count;
  const config: ClusterConfig = {
    file,
    kind: cluster.kind,
    provider: cluster.provider,
    name: cluster.specification.name,
    prefix: cluster.specification.prefix ?? undefined,
    counts,
    autoscaling,
    remoteState: state?.specification,
    documents,
  };
  return { file, config, problems, noCluster: false, source, clusterSource: clusterDoc };
}

interface EntryProblem {
  component: string;
  /** Below the component's entry. */
  path: ReadonlyArray<string | number>;
  atKey: boolean;
  message: string;
}

/**
 * The problems of the policy settings and schedules of every component entry, read from the raw
 * document so that they are reported together with any problem of `min` or `max`.
 */
function autoscalingPolicyProblems(document: unknown): EntryProblem[] {
  const spec = isRecord(document) ? document.specification : undefined;
  const components = isRecord(spec) ? spec.components : undefined;
  if (!isRecord(components)) return [];
  const found: EntryProblem[] = [];
  for (const [component, entry] of Object.entries(components)) {
    if (!isRecord(entry)) continue;
    for (const { key, path, atKey, message } of policySettingProblems(entry)) {
      found.push({ component, path: path ?? [key], atKey, message });
    }
    for (const problem of scheduleProblems(entry)) found.push({ component, ...problem });
  }
  return found;
}

function noClusterProblem(file: string): ConfigProblem {
  return { file, line: 1, column: 1, message: 'no lambdastack-cluster or epiphany-cluster document' };
}

/** Why an analysis has no config, as an error to throw; a file without any cluster says so. */
export function configErrorOf(analysis: FileAnalysis): ConfigError {
  return new ConfigError(analysis.problems.length > 0 ? analysis.problems : [noClusterProblem(analysis.file)]);
}

/** Problems sorted by position, each said once. */
function inSourceOrder(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems
    .map((problem, order) => ({ problem, order }))
    .sort((a, b) => a.problem.line - b.problem.line || a.problem.column - b.problem.column || a.order - b.order)
    .map(({ problem }) => problem)
    .filter((problem) => {
      const at = `${problem.line}:${problem.column}:${problem.message}`;
      if (seen.has(at)) return false;
      seen.add(at);
      return true;
    });
}

/** Reads one file's text as a cluster config, or throws a ConfigError listing every problem. */
export function parseClusterConfig(file: string, text: string): ClusterConfig {
  const analysis = analyzeConfigText(file, text);
  if (!analysis.config) throw configErrorOf(analysis);
  return analysis.config;
}

/** Decodes file bytes strictly: a config that is not UTF-8 is refused rather than guessed at. */
export function decodeConfigBytes(file: string, bytes: Uint8Array): string | ConfigProblem {
  if (bytes.length > MAX_CONFIG_BYTES) {
    return {
      file,
      line: 1,
      column: 1,
      message: `larger than ${MAX_CONFIG_BYTES / 1024 / 1024} MiB, the most a cluster config may be (LambdaStack's own are tens of KiB): refused unread`,
    };
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { file, line: 1, column: 1, message: 'not UTF-8 text' };
  }
  return text;
}

/**
 * The largest cluster config read. LambdaStack's configs are tens of KiB; a file of many MiB is
 * a mistake or an attack on the CI that validates pull requests, and is refused before parsing.
 */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * Text a YAML parser would misread rather than refuse: a NUL byte (a binary file), or carriage
 * returns without line feeds (old Mac line endings, which YAML reads as one long line, so a whole
 * file can pass as one comment).
 */
function textProblem(file: string, text: string): ConfigProblem | undefined {
  const nul = text.indexOf('\0');
  if (nul >= 0) return { file, ...lineColumn(text, nul), message: 'a NUL byte: this is not a text file' };
  const lone = /\r(?!\n)/.exec(text);
  if (lone) {
    return {
      file,
      ...lineColumn(text, lone.index),
      message: 'a carriage return without a line feed (old Mac line endings): convert the file to LF (or CRLF) line endings',
    };
  }
  return undefined;
}

/** Reads and validates one file from disk. */
export async function analyzeConfigFile(path: string, displayName = path): Promise<FileAnalysis> {
  const text = decodeConfigBytes(displayName, await readFile(path));
  if (typeof text !== 'string') return { file: displayName, config: undefined, problems: [text], noCluster: false };
  return analyzeConfigText(displayName, text);
}

/**
 * A cluster's identity: what its VM names are built from, lower-cased as LambdaStack does, so
 * two configs with the same identity would fight over the same VMs.
 */
export function clusterId(config: Pick<ClusterConfig, 'provider' | 'prefix' | 'name'>): string {
  const prefix = config.prefix && config.prefix !== 'default' ? `${config.prefix}-` : '';
  return `${config.provider}/${prefix}${config.name}`.toLowerCase();
}
