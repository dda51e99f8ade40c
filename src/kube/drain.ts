/**
 * Drains the nodes a saved terraform plan destroys, then deletes their Node objects, so the apply
 * that follows takes down VMs that run nothing (design.md, principle 2). As `kubectl drain
 * --ignore-daemonsets --delete-emptydir-data`, per node: cordon; evict each pod through the
 * Eviction API, which checks its PodDisruptionBudgets, retrying a refusal (429) every 5 s; skip
 * DaemonSet and mirror pods; refuse pods that no controller would recreate unless `force`; wait until
 * the evicted pods are gone. Unlike kubectl, which takes one node at a time, nodes drain in
 * parallel (at most `parallelism` at once) under one deadline, so k nodes cost about one node's time.
 *
 * Nothing is destroyed unless everything drained: when a node is refused or times out, every node
 * stays registered (and cordoned), the report names the pods and budgets in the way, and the
 * pipeline stops there. A rerun is idempotent: a cordoned node is cordoned again as a no-op, a node
 * whose pods are gone drains at once, and a node that is gone already is fine.
 *
 * ```ts
 * const report = await new Drainer(kubeConfig, { timeoutSeconds: 600 }).drain(['demo-shop-kubernetes-node-vm-2']);
 * if (!report.ok) …  // report.nodes[i].blocked: the pods left and the budgets that kept them
 * ```
 */
import type { KubeConfig, V1Node, V1Pod } from '@kubernetes/client-node';
import { delay, type Timer } from './backoff.js';
import { mapBounded } from './bounded.js';
import { DrainApi } from './drain-api.js';
import { isTerminating, type PodName, podDisposition, podName } from './drain-pods.js';
import { labelSelectorMatcher } from './label-selector.js';

export interface DrainLog {
  info(line: string): void;
  warning(line: string): void;
}

export interface DrainOptions {
  /** Seconds the whole drain may take, every node included; at the deadline what is left is reported. */
  timeoutSeconds: number;
  /** Evict pods that no controller recreates (they are lost). Default false: such a node is refused. */
  force?: boolean;
  /** Nodes drained at once (default 10). */
  parallelism?: number;
  /** Clock and timers (default the process's); tests pass the simulator's clock, so a timeout takes little real time. */
  timer?: Timer;
  log?: DrainLog;
  /** Milliseconds between the evictions of a pod a budget refuses (default 5 s, as kubectl drain). */
  evictionRetryMs?: number;
  /** The first wait before a node's pods are listed again (default 1 s); it doubles while nothing goes, up to `pollMaxMs`. */
  pollInitialMs?: number;
  /** The longest wait between two lists of a node's pods (default 5 s). */
  pollMaxMs?: number;
}

/**
 * - `deleted`: drained, and its Node object deleted;
 * - `gone`: not registered when the drain began (a rerun after it was deleted, or a VM already destroyed);
 * - `drained`: its evictable pods are gone, but it stays registered because another node did not drain;
 * - `refused`: nothing was evicted from it (pods without a controller and no `force`, or a control-plane node);
 * - `held`: nothing was evicted from it because another node was refused;
 * - `timed-out`: pods were still on it at the deadline.
 */
export type NodeOutcome = 'deleted' | 'gone' | 'drained' | 'refused' | 'held' | 'timed-out';

export interface EvictedPod {
  pod: PodName;
  /** It had an emptyDir volume, whose data went with it. */
  emptyDir: boolean;
}

export interface SkippedPod {
  pod: PodName;
  reason: 'DaemonSet' | 'mirror';
}

export interface BlockedPod {
  pod: PodName;
  /** Why it is still there, for a person: the budget's refusal, a grace period running, no controller. */
  reason: string;
  /** The budgets (`namespace/name`) that refused its eviction or select it. */
  budgets: string[];
}

export interface NodeReport {
  node: string;
  outcome: NodeOutcome;
  /** Whether the node is cordoned now (by this run or before it). */
  cordoned: boolean;
  /** For `refused` and `held`: what decided it. */
  note?: string;
  evicted: EvictedPod[];
  skipped: SkippedPod[];
  blocked: BlockedPod[];
  /** From the start of the node's drain to its pods gone (or to its failure), on the drain's clock. */
  ms: number;
}

export interface DrainReport {
  /** Every node drained and deleted, or gone already: the plan may be applied. */
  ok: boolean;
  nodes: NodeReport[];
  /** The whole drain, on the drain's clock. */
  ms: number;
}

/**
 * The process clock, with timers that keep the process running: a drain waiting for pods to go is
 * the work itself. (backoff.ts's `systemTimer` unrefs its timers, so that a watcher's pending retry
 * never holds a process up; a one-shot action waiting on one would simply exit mid-drain.)
 */
const processTimer: Timer = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Why a pod's eviction was refused last, and when to ask again. */
interface Refusal {
  retryAt: number;
  message: string;
  budgets: string[];
}

/** A node's drain in progress. */
interface Progress {
  started: number;
  /** Uids of the pods whose eviction was accepted. */
  evicted: Set<string>;
  refusals: Map<string, Refusal>;
  /** The wait before the next list, while nothing else is due; it doubles while nothing goes. */
  pollMs: number;
  /** Pods left at the last round: fewer now means progress. */
  left: number;
  /** When the node wants its next round. */
  wake: number;
  /** Pods already listed, for the first round. */
  pods?: V1Pod[];
}

/** A pod's identity across rounds: its uid, so a pod recreated under the same name (a StatefulSet's) is a new one. */
const uidOf = (pod: V1Pod): string => pod.metadata?.uid ?? podName(pod);

const CONTROL_PLANE_LABELS = ['node-role.kubernetes.io/control-plane', 'node-role.kubernetes.io/master'];

/** What the drain keeps of a node between its phases. */
interface NodeState {
  report: NodeReport;
  /** Whether the node was unschedulable when it was read. */
  cordonedBefore?: boolean;
  /** The pods found when it was cordoned; undefined for a node that is gone. */
  pods?: V1Pod[];
}

const newReport = (node: string): NodeReport => ({ node, outcome: 'held', cordoned: false, evicted: [], skipped: [], blocked: [], ms: 0 });

function isControlPlane(node: V1Node): boolean {
  const labels = node.metadata?.labels ?? {};
  return CONTROL_PLANE_LABELS.some((label) => Object.hasOwn(labels, label));
}

function graceOf(pod: V1Pod): string {
  const seconds = pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds;
  return seconds === undefined ? '' : ` (grace period ${seconds} s)`;
}

export class Drainer {
  private readonly api: DrainApi;
  private readonly timer: Timer;
  private readonly log: DrainLog;
  private readonly force: boolean;
  private readonly parallelism: number;
  private readonly timeoutMs: number;
  private readonly evictionRetryMs: number;
  private readonly pollInitialMs: number;
  private readonly pollMaxMs: number;

  constructor(kubeConfig: KubeConfig, options: DrainOptions) {
    this.timer = options.timer ?? processTimer;
    this.api = new DrainApi(kubeConfig, this.timer);
    this.log = options.log ?? { info: () => {}, warning: () => {} };
    this.force = options.force ?? false;
    this.parallelism = options.parallelism ?? 10;
    this.timeoutMs = options.timeoutSeconds * 1000;
    this.evictionRetryMs = options.evictionRetryMs ?? 5_000;
    this.pollInitialMs = options.pollInitialMs ?? 1_000;
    this.pollMaxMs = options.pollMaxMs ?? 5_000;
  }

  /**
   * Drains `nodes` and deletes them when all drained. Throws only what the caller cannot read from
   * a report: a UserError (credentials, RBAC) or a TransientError (the API server, the network);
   * then the nodes reached so far are cordoned, and nothing is deleted.
   */
  async drain(nodes: readonly string[]): Promise<DrainReport> {
    const started = this.timer.now();
    const deadline = started + this.timeoutMs;
    const all: NodeState[] = [...new Set(nodes)].map((node) => ({ report: newReport(node) }));
    const finish = (): DrainReport => {
      const reports = all.map((state) => state.report);
      return { ok: reports.every((r) => r.outcome === 'deleted' || r.outcome === 'gone'), nodes: reports, ms: this.timer.now() - started };
    };

    // Read every node before cordoning any: a control-plane node among them is refused with nothing changed.
    const found = await mapBounded(all, this.parallelism, (state) => this.api.readNode(state.report.node));
    all.forEach((state, i) => {
      const node = found[i];
      state.cordonedBefore = node?.spec?.unschedulable === true;
      if (node === undefined) state.report.outcome = 'gone';
      else if (isControlPlane(node)) this.refuse(state, 'a control-plane node: the autoscaler never drains or removes masters');
    });
    if (all.some((state) => state.report.outcome === 'refused')) return this.holdOthers(all, finish, 'not cordoned');

    const live = all.filter((state) => state.report.outcome !== 'gone');
    await mapBounded(live, this.parallelism, (state) => this.cordonAndInspect(state));
    if (live.some((state) => state.report.outcome === 'refused')) return this.holdOthers(live, finish, 'cordoned, nothing evicted');

    await this.evictAndWait(
      live.filter((state) => state.report.outcome !== 'gone'),
      deadline,
    );
    const drained = live.filter((state) => state.report.outcome === 'drained');
    if (drained.length === live.length) {
      // Only now, with every node empty, is anything removed: a Node object deleted is the start of destroying it.
      await mapBounded(drained, this.parallelism, async (state) => {
        state.report.outcome = (await this.api.deleteNode(state.report.node)) ? 'deleted' : 'gone';
        this.log.info(`${state.report.node}: ${state.report.outcome === 'deleted' ? 'Node object deleted' : 'gone already'}`);
      });
    }
    return finish();
  }

  private refuse(state: NodeState, note: string): void {
    state.report.outcome = 'refused';
    state.report.note = note;
    this.log.warning(`${state.report.node}: refused: ${note}`);
  }

  /** Marks every node that was not refused as held back, and ends the drain there. */
  private holdOthers(states: readonly NodeState[], finish: () => DrainReport, what: string): DrainReport {
    for (const state of states) {
      if (state.report.outcome === 'refused' || state.report.outcome === 'gone') continue;
      state.report.outcome = 'held';
      state.report.note = `${what}: another node was refused`;
    }
    return finish();
  }

  /**
   * Cordons the node and looks at its pods. A pod without a controller refuses the node (unless
   * `force`) before anything of it is evicted, naming every such pod: kubectl drain refuses likewise.
   */
  private async cordonAndInspect(state: NodeState): Promise<void> {
    const { report } = state;
    // A node cordoned already (by a run before this one, say) is left as it is: one write fewer.
    if (!state.cordonedBefore && !(await this.api.cordon(report.node))) {
      report.outcome = 'gone';
      return;
    }
    report.cordoned = true;
    const pods = await this.api.podsOn(report.node);
    state.pods = pods;
    const bare = pods.filter((pod) => podDisposition(pod).action === 'unreplicated');
    if (bare.length > 0 && !this.force) {
      report.blocked = bare.map((pod) => ({
        pod: podName(pod),
        reason: 'no controller would recreate it: evicting it loses it (set `force: true` to evict it anyway)',
        budgets: [],
      }));
      this.refuse(state, `pods without a controller (${bare.map(podName).join(', ')}): delete them or set force`);
      return;
    }
    const skipped = pods.filter((pod) => podDisposition(pod).action === 'skip').length;
    this.log.info(`${report.node}: cordoned; ${pods.length - skipped} pod(s) to evict, ${skipped} skipped (DaemonSet and mirror pods)`);
  }

  /**
   * The nodes' drains, at most `parallelism` at once, in rounds: each round steps every node in
   * progress (those whose list or retry is due look at their pods and evict what they may), then
   * the drain sleeps until the earliest node wants its next round. One sleep for all nodes, so the
   * drain is either making requests or waiting on its timer, never both: a test driving the timer
   * can move time on exactly when the drain waits. A failure (RBAC, the API server gone) ends
   * every node's drain: the run fails anyway, and its nodes stay cordoned for the rerun.
   */
  private async evictAndWait(states: readonly NodeState[], deadline: number): Promise<void> {
    const waiting = [...states];
    let active: Array<{ state: NodeState; progress: Progress }> = [];
    for (;;) {
      while (active.length < this.parallelism && waiting.length > 0) {
        const state = waiting.shift() as NodeState;
        active.push({ state, progress: this.startProgress(state) });
      }
      if (active.length === 0) return;
      const settled = await Promise.allSettled(active.map(({ state, progress }) => this.step(state, progress, deadline)));
      const failed = settled.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
      const wakes = settled.map((result) => (result.status === 'fulfilled' ? result.value : undefined));
      active = active.filter((_, i) => wakes[i] !== undefined);
      // A slot came free: the next node starts now rather than after the others' sleep.
      if (active.length === 0 || (active.length < this.parallelism && waiting.length > 0)) continue;
      const wake = Math.min(deadline, ...wakes.filter((at): at is number => at !== undefined));
      await delay(this.timer, Math.max(0, wake - this.timer.now()));
    }
  }

  private startProgress(state: NodeState): Progress {
    const now = this.timer.now();
    return {
      started: now,
      evicted: new Set(),
      refusals: new Map(),
      pollMs: this.pollInitialMs,
      left: Number.POSITIVE_INFINITY,
      wake: now,
      ...(state.pods ? { pods: state.pods } : {}),
    };
  }

  /**
   * One round of a node's drain, when it is due: list its pods (the cordon's list, the first time),
   * evict those that may go now, and say when it wants its next round. A pod a budget refused is
   * asked again `evictionRetryMs` later; a pod being deleted counts until it is gone. Returns
   * undefined when the node is done: `drained`, or `timed-out` at the deadline with what is left.
   */
  private async step(state: NodeState, progress: Progress, deadline: number): Promise<number | undefined> {
    const { report } = state;
    const now = this.timer.now();
    if (now < progress.wake && now < deadline) return progress.wake;
    const pods = progress.pods ?? (await this.api.podsOn(report.node));
    delete progress.pods;
    const remaining: V1Pod[] = [];
    const emptyDirs = new Set<V1Pod>();
    report.skipped = [];
    for (const pod of pods) {
      const disposition = podDisposition(pod);
      if (disposition.action === 'skip') {
        report.skipped.push({ pod: podName(pod), reason: disposition.reason });
        continue;
      }
      remaining.push(pod);
      if (disposition.emptyDir) emptyDirs.add(pod);
    }
    if (remaining.length === 0 || now >= deadline) {
      report.outcome = remaining.length === 0 ? 'drained' : 'timed-out';
      if (report.outcome === 'timed-out') report.blocked = await this.whatBlocks(remaining, progress.refusals);
      report.ms = this.timer.now() - progress.started;
      this.log.info(`${report.node}: ${report.outcome === 'drained' ? 'drained' : 'timed out'} after ${(report.ms / 1000).toFixed(1)} s`);
      return undefined;
    }
    const due = remaining.filter((pod) => {
      const uid = uidOf(pod);
      return !isTerminating(pod) && !progress.evicted.has(uid) && (progress.refusals.get(uid)?.retryAt ?? 0) <= now;
    });
    const answers = await Promise.all(due.map((pod) => this.api.evict(pod)));
    // Retries are timed from the round's start, so a pod is asked every `evictionRetryMs` however long the requests took.
    due.forEach((pod, i) => {
      const answer = answers[i];
      const uid = uidOf(pod);
      if (answer?.outcome === 'accepted') {
        progress.evicted.add(uid);
        report.evicted.push({ pod: podName(pod), emptyDir: emptyDirs.has(pod) });
        progress.refusals.delete(uid);
      } else if (answer?.outcome === 'refused') {
        if (!progress.refusals.has(uid)) {
          this.log.info(
            `${report.node}: eviction of ${podName(pod)} refused, asking again every ${this.evictionRetryMs / 1000} s: ${answer.message}`,
          );
        }
        progress.refusals.set(uid, { retryAt: now + this.evictionRetryMs, message: answer.message, budgets: answer.budgets });
      }
    });
    // Progress starts the waits short again: the rest of the pods tend to go soon after the first.
    if (remaining.length < progress.left) progress.pollMs = this.pollInitialMs;
    progress.left = remaining.length;
    const retries = remaining.map((pod) => progress.refusals.get(uidOf(pod))?.retryAt ?? Number.POSITIVE_INFINITY);
    progress.wake = Math.min(now + progress.pollMs, ...retries);
    progress.pollMs = Math.min(progress.pollMs * 2, this.pollMaxMs);
    return progress.wake;
  }

  /**
   * The pods left at the deadline, each with why: the refusal of its last eviction, or its grace
   * period, and the budgets that refused it or select it. The budgets are listed once per
   * namespace; a refusal to list them (RBAC) only leaves out the budgets the 429s did not name.
   */
  private async whatBlocks(remaining: readonly V1Pod[], refusals: ReadonlyMap<string, Refusal>): Promise<BlockedPod[]> {
    const budgetsByNamespace = new Map<string, Array<{ name: string; selects: (pod: V1Pod) => boolean }>>();
    for (const namespace of new Set(remaining.map((pod) => pod.metadata?.namespace ?? 'default'))) {
      try {
        const budgets = await this.api.budgets(namespace);
        budgetsByNamespace.set(
          namespace,
          budgets.map((budget) => {
            const matches = labelSelectorMatcher(budget.spec?.selector);
            return { name: `${namespace}/${budget.metadata?.name ?? ''}`, selects: (pod: V1Pod) => matches(pod.metadata?.labels) };
          }),
        );
      } catch (error) {
        this.log.warning(
          `cannot list the PodDisruptionBudgets of namespace ${namespace} to name them: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    return remaining.map((pod) => {
      const refusal = refusals.get(uidOf(pod));
      const selecting = (budgetsByNamespace.get(pod.metadata?.namespace ?? 'default') ?? [])
        .filter((b) => b.selects(pod))
        .map((b) => b.name);
      const budgets = [...new Set([...(refusal?.budgets ?? []), ...selecting])].sort();
      const reason = isTerminating(pod)
        ? `still terminating${graceOf(pod)}`
        : refusal
          ? `eviction refused (429): ${refusal.message}`
          : 'not evicted before the deadline';
      return { pod: podName(pod), reason, budgets };
    });
  }
}
