/**
 * The watcher's drift check, once a cycle: the differences between the snapshot's workers and the
 * config's count (src/drift), tracked over time; the drift exported as a metric and kept in one
 * GitHub issue per cluster.
 *
 * GitHub calls: one listing when the watcher starts (is an issue open? its marker gives back the
 * clocks), then only writes, and only when the drifting node names change. A failure never fails
 * the cycle (the autoscale PR matters more, and a token without `issues: write` should not stop
 * it): it is logged, and the next cycle tries again. A lost answer to an issue's creation is
 * followed by a fresh listing, so it never makes a second issue.
 */
import { type DriftReport, emptyDriftState, nodeDifferences, seedDrift, trackDrift } from '../drift/index.js';
import type { GithubClient } from '../github/client.js';
import { applyDriftIssuePlan, findDriftIssue } from '../github/drift-issue.js';
import {
  type DriftContext,
  type DriftIssuePlan,
  markerSightings,
  type OpenDriftIssue,
  planDriftIssue,
} from '../github/drift-issue-body.js';
import { formatDuration } from '../policy/index.js';
import type { ClusterSnapshot } from '../policy/snapshot.js';
import type { WatchedCluster } from './cluster.js';
import { errorFields, type Logger } from './log.js';
import type { WatcherMetrics } from './metrics.js';

export interface DriftWatchDeps {
  github: GithubClient;
  owner: string;
  repo: string;
  log: Logger;
  metrics: WatcherMetrics;
  /** Say what would be done with the issue; write nothing. */
  dryRun: boolean;
}

/** What the cycle found and did, for its log line. */
export interface DriftCycle {
  missing: string[];
  extra: string[];
  /** Differences younger than the provisioning timeout. */
  settling: number;
  issue: 'none' | 'unchanged' | 'opened' | 'updated' | 'closed' | 'dry-run' | 'failed';
  number?: number;
}

const OUTCOME: Record<DriftIssuePlan['kind'], DriftCycle['issue']> = {
  none: 'unchanged',
  open: 'opened',
  update: 'updated',
  close: 'closed',
};

export class DriftWatch {
  private state = emptyDriftState();
  /** The cluster's open issue, once looked for. */
  private issue: OpenDriftIssue | undefined;
  private looked = false;
  private lastFailure: string | undefined;

  constructor(private readonly deps: DriftWatchDeps) {}

  /** One check; nothing for a stale snapshot (its caches may miss nodes: no clock moves on it). */
  async cycle(input: {
    cluster: WatchedCluster;
    snapshot: ClusterSnapshot;
    selector: boolean;
    now: number;
  }): Promise<DriftCycle | undefined> {
    const { cluster, snapshot, now } = input;
    if (snapshot.stale) return undefined;
    await this.lookOnce(cluster.name);
    const differences = nodeDifferences(snapshot.nodes, {
      name: cluster.name,
      prefix: cluster.prefix,
      count: cluster.count,
      selector: input.selector,
    });
    const tracked = trackDrift(this.state, differences, now, cluster.policy.provisioningTimeout);
    this.state = tracked.state;
    const { report } = tracked;
    this.deps.metrics.driftNodes.set({ cluster: cluster.name, kind: 'missing' }, report.missing.length);
    this.deps.metrics.driftNodes.set({ cluster: cluster.name, kind: 'extra' }, report.extra.length);
    const summary = {
      missing: report.missing.map((e) => e.name),
      extra: report.extra.map((e) => e.name),
      settling: report.settling.length,
    };
    // Without knowing whether an issue is open, writing could make a second one.
    if (!this.looked) return { ...summary, issue: 'failed' };
    const context: DriftContext = {
      cluster: cluster.name,
      file: cluster.file,
      count: cluster.count,
      timeout: formatDuration(cluster.policy.provisioningTimeout),
    };
    const plan = planDriftIssue(this.issue, context, report);
    if (plan.kind === 'none') {
      return { ...summary, issue: this.issue ? 'unchanged' : 'none', ...this.number() };
    }
    if (this.deps.dryRun) {
      this.deps.log.info(`dry run: the drift issue would be ${OUTCOME[plan.kind]}`, { cluster: cluster.name, ...planFields(plan) });
      return { ...summary, issue: 'dry-run', ...this.number() };
    }
    return { ...summary, ...(await this.apply(plan, cluster.name, report)) };
  }

  private number(): { number?: number } {
    return this.issue ? { number: this.issue.number } : {};
  }

  private async lookOnce(cluster: string): Promise<void> {
    if (this.looked) return;
    try {
      this.issue = await findDriftIssue(this.deps.github, this.deps, cluster);
      this.looked = true;
      this.lastFailure = undefined;
      if (this.issue) {
        this.state = seedDrift(this.state, markerSightings(this.issue.marker));
        this.deps.log.info('an open drift issue', { cluster, number: this.issue.number, url: this.issue.url });
      }
    } catch (error) {
      this.failed(error, 'cannot look for the drift issue; trying again next cycle', cluster);
    }
  }

  private async apply(
    plan: Exclude<DriftIssuePlan, { kind: 'none' }>,
    cluster: string,
    report: DriftReport,
  ): Promise<Pick<DriftCycle, 'issue' | 'number'>> {
    const { log } = this.deps;
    try {
      const before = this.issue;
      this.issue = await applyDriftIssuePlan(this.deps.github, this.deps, this.issue, plan);
      this.lastFailure = undefined;
      const number = this.issue?.number ?? before?.number;
      if (plan.kind === 'close') log.info('drift resolved: issue closed', { cluster, number });
      else log.warn(`drift: issue ${OUTCOME[plan.kind]}`, { cluster, number, missing: report.missing.length, extra: report.extra.length });
      return { issue: OUTCOME[plan.kind], ...(number === undefined ? {} : { number }) };
    } catch (error) {
      // A creation whose answer was lost may have made the issue: look again before writing.
      if (plan.kind === 'open') this.looked = false;
      this.failed(error, `cannot write the drift issue (${plan.kind}); trying again next cycle`, cluster);
      return { issue: 'failed', ...this.number() };
    }
  }

  /** Logs a failure, once while it stays the same (a missing grant would otherwise say so every cycle). */
  private failed(error: unknown, message: string, cluster: string): void {
    const fields = errorFields(error);
    const key = `${message} ${String(fields.error)}`;
    if (key !== this.lastFailure) this.deps.log.warn(message, { cluster, ...fields });
    this.lastFailure = key;
  }
}

function planFields(plan: Exclude<DriftIssuePlan, { kind: 'none' }>): Record<string, unknown> {
  if (plan.kind === 'close') return { number: plan.number, comment: plan.comment };
  return { ...(plan.kind === 'update' ? { number: plan.number } : {}), title: plan.title, body: plan.body };
}
