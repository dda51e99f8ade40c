import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createdInventory, type RunOutcome, runWithRetries } from '../../src/infra/ansible.js';
import { REPO_ROOT } from '../actions/runner.js';
import type { AnsibleWorld } from './ansible-world.js';

const PLAYBOOK = join(REPO_ROOT, 'infra', 'ansible', 'site.yml');

export interface PlayOptions {
  /** The hosts of --limit. */
  limit: string[];
  tags: string[];
  /** The hosts added to kubernetes_node as the action adds the created workers; default `limit`. */
  created?: string[];
  /** Runs in all over unreachable hosts; default 1. */
  attempts?: number;
  /** Called before each retry. */
  onRetry?: () => void;
}

/** infra/ansible/site.yml over hosts of `world`, as the ansible action runs it (its log left out). */
export async function playOver(world: AnsibleWorld, options: PlayOptions): Promise<RunOutcome> {
  const createdFile = join(world.dir, 'created.yml');
  const created = (options.created ?? options.limit).map((name) => ({ name, index: undefined, address: world.address(name) }));
  await writeFile(createdFile, createdInventory(created, 'kubernetes_node'));
  return runWithRetries(
    {
      playbook: PLAYBOOK,
      inventories: [world.inventory, createdFile],
      tags: options.tags,
      knownHosts: join(world.dir, 'known_hosts'),
      log: 'ignore',
    },
    options.limit,
    { attempts: options.attempts ?? 1, delayMs: 0, tempDir: world.dir, ...(options.onRetry ? { onRetry: options.onRetry } : {}) },
  );
}
