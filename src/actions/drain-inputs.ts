/**
 * The inputs of the `drain` action, read and checked before anything touches the cluster. Each
 * refusal names the input, what was given and what to write instead. The kubeconfig input is
 * ./kubeconfig-input.ts: it is a secret and is handled as one.
 */
import * as core from '@actions/core';
import { UserError } from '../errors.js';

export interface DrainInputs {
  /** Distinct node names, in the order given. */
  nodes: string[];
  timeoutSeconds: number;
  force: boolean;
  parallelism: number;
}

export const DEFAULT_TIMEOUT_SECONDS = 600;
export const DEFAULT_PARALLELISM = 10;
/** A day: more is a unit mistake (milliseconds given as seconds) rather than a drain anyone waits for. */
const MAX_TIMEOUT_SECONDS = 86_400;
const MAX_PARALLELISM = 100;

/** A DNS-1123 subdomain, which every Node name is (at most 253 characters, checked apart). */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Node names separated by commas and/or newlines (spaces around them are ignored); empty: none. */
export function parseNodeNames(text: string): string[] {
  const names = text
    .split(/[,\r\n]+/)
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const wrong = names.filter((name) => name.length > 253 || !DNS_SUBDOMAIN.test(name));
  if (wrong.length > 0) {
    throw new UserError(
      `input \`nodes\`: ${wrong.map((name) => JSON.stringify(name)).join(', ')} ${wrong.length === 1 ? 'is not a node name' : 'are not node names'}: ` +
        "Kubernetes node names are DNS-1123 subdomains (lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters); " +
        'separate names with commas or newlines, for example `nodes: demo-shop-kubernetes-node-vm-3,demo-shop-kubernetes-node-vm-4`',
    );
  }
  return [...new Set(names)];
}

/** A whole number input within [min, max], or `fallback` when empty. */
export function parseWholeNumber(input: string, text: string, fallback: number, min: number, max: number, unit: string): number {
  const given = text.trim();
  if (given === '') return fallback;
  const value = /^\d+$/.test(given) ? Number(given) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UserError(
      `input \`${input}\`: ${JSON.stringify(text)} is not a whole number of ${unit} from ${min} to ${max}: write one such as \`${input}: ${fallback}\` (the default when left out)`,
    );
  }
  return value;
}

/** `true` or `false` in the spellings @actions/core's getBooleanInput accepts (YAML 1.2 core schema); empty is false. */
export function parseFlag(input: string, text: string): boolean {
  const given = text.trim();
  if (given === '' || ['false', 'False', 'FALSE'].includes(given)) return false;
  if (['true', 'True', 'TRUE'].includes(given)) return true;
  throw new UserError(
    `input \`${input}\`: ${JSON.stringify(text)} is neither true nor false: write \`${input}: true\` or \`${input}: false\``,
  );
}

export function readDrainInputs(): DrainInputs {
  return {
    nodes: parseNodeNames(core.getInput('nodes')),
    timeoutSeconds: parseWholeNumber('timeout', core.getInput('timeout'), DEFAULT_TIMEOUT_SECONDS, 1, MAX_TIMEOUT_SECONDS, 'seconds'),
    force: parseFlag('force', core.getInput('force')),
    parallelism: parseWholeNumber('parallelism', core.getInput('parallelism'), DEFAULT_PARALLELISM, 1, MAX_PARALLELISM, 'nodes'),
  };
}
