/**
 * The Kubernetes calls of a drain, through @kubernetes/client-node, with their failures in the
 * tool's taxonomy (src/errors.ts): a 404 of a node or pod means "already gone", which a rerun
 * expects; 401 and 403 are UserErrors naming the RBAC grant the kubeconfig's user lacks; 5xx, 429
 * outside an eviction and network failures are retried a few times, then are TransientErrors.
 */
import {
  CoreV1Api,
  type KubeConfig,
  PatchStrategy,
  PolicyV1Api,
  setHeaderOptions,
  type V1Node,
  type V1Pod,
  type V1PodDisruptionBudget,
} from '@kubernetes/client-node';
import { isTransientStatus, type TransientError, UserError } from '../errors.js';
import { type ApiResource, kubeFailure, statusOf } from './api-errors.js';
import { delay, type Timer } from './backoff.js';
import { budgetsInCauses, type PodName, type StatusCause } from './drain-pods.js';

/** Every grant a drain needs, named in each refusal so one failed run tells the whole fix. */
const DRAIN_GRANTS =
  'a drain needs "get", "patch" and "delete" on "nodes", "list" on "pods" and "create" on "pods/eviction" (apiGroup ""), and "list" on "poddisruptionbudgets" (apiGroup "policy")';

const NODES: ApiResource = { resource: 'nodes', group: '' };
const PODS: ApiResource = { resource: 'pods', group: '' };
const EVICTIONS: ApiResource = { resource: 'pods/eviction', group: '' };
const BUDGETS: ApiResource = { resource: 'poddisruptionbudgets', group: 'policy' };

/** Delays before the retries of a call that failed transiently: three tries in all, about 3 s. */
const TRANSIENT_RETRY_MS = [1_000, 2_000] as const;
/** Pods per list page: a node holds at most a few hundred (the kubelet's default limit is 110). */
const PAGE_SIZE = 500;

/**
 * A failed call in the taxonomy. 401/403 name the drain's grants (`kubeFailure` words them for the
 * watcher's read-only role); everything else is as `kubeFailure` has it.
 */
export function drainFailure(error: unknown, verb: string, target: ApiResource): TransientError | UserError {
  const status = statusOf(error);
  const grant = `the kubeconfig's user must be granted "${verb}" on "${target.resource}" in apiGroup "${target.group}" (${DRAIN_GRANTS})`;
  const name = target.group === '' ? target.resource : `${target.resource}.${target.group}`;
  if (status === 403) return new UserError(`cannot ${verb} ${name}: forbidden (403): ${grant}`, { cause: error });
  if (status === 401) {
    return new UserError(
      `cannot ${verb} ${name}: the API server refused the credentials (401): check the kubeconfig (its token or client certificate may have expired), and that ${grant}`,
      { cause: error },
    );
  }
  return kubeFailure(error, verb, target);
}

/** Whether a failure may pass on its own: a server error, a rate limit, a timeout, or the network (no status at all). */
function mayPass(error: unknown): boolean {
  const status = statusOf(error);
  return status === undefined || isTransientStatus(status);
}

/** The Status body of a failed call: client-node keeps it as text for statuses the API spec does not list. */
function statusBody(error: unknown): { message?: string; details?: { causes?: StatusCause[] } } {
  const body = (error as { body?: unknown } | null)?.body;
  if (typeof body === 'object' && body !== null) return body;
  if (typeof body !== 'string') return {};
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch {
    return {};
  }
}

/** The API server's 500 for a pod more than one budget selects (EvictionREST), which no retry changes. */
function isMultiBudget(error: unknown): boolean {
  return statusOf(error) === 500 && /more than one PodDisruptionBudget/.test(statusBody(error).message ?? '');
}

/** What an eviction came to. */
export type EvictionAnswer =
  | { outcome: 'accepted' }
  | { outcome: 'gone' }
  /** 429: a budget allows no disruption now; `budgets` as `namespace/name`, from the Status's causes. */
  | { outcome: 'refused'; message: string; budgets: PodName[] };

export class DrainApi {
  private readonly core: CoreV1Api;
  private readonly policy: PolicyV1Api;

  constructor(
    kubeConfig: KubeConfig,
    private readonly timer: Timer,
  ) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.policy = kubeConfig.makeApiClient(PolicyV1Api);
  }

  /** The node, or undefined when it is gone already. */
  async readNode(name: string): Promise<V1Node | undefined> {
    return this.orGone(() => this.core.readNode({ name }), 'get', NODES);
  }

  /** Marks the node unschedulable (a merge patch, so nothing else of the node is touched); false when it is gone. */
  async cordon(name: string): Promise<boolean> {
    const patched = await this.orGone(
      () =>
        this.core.patchNode({ name, body: { spec: { unschedulable: true } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)),
      'patch',
      NODES,
    );
    return patched !== undefined;
  }

  /** Deletes the Node object; false when it was gone already. */
  async deleteNode(name: string): Promise<boolean> {
    return (await this.orGone(() => this.core.deleteNode({ name }), 'delete', NODES)) !== undefined;
  }

  /** Every pod bound to the node, in every namespace, page by page. */
  async podsOn(node: string): Promise<V1Pod[]> {
    const pods: V1Pod[] = [];
    let next: string | undefined;
    do {
      const page = await this.call(
        () =>
          this.core.listPodForAllNamespaces({
            fieldSelector: `spec.nodeName=${node}`,
            limit: PAGE_SIZE,
            ...(next ? { _continue: next } : {}),
          }),
        'list',
        PODS,
      );
      pods.push(...page.items);
      next = page.metadata?._continue || undefined;
    } while (next);
    return pods;
  }

  /**
   * Asks the Eviction API (policy/v1) to evict the pod: the API server checks its budgets first. A
   * pod that more than one budget selects is never evictable (the API server answers 500 every
   * time), so that is a UserError naming the pod rather than a failure to retry.
   */
  async evict(pod: V1Pod): Promise<EvictionAnswer> {
    const name = pod.metadata?.name ?? '';
    const namespace = pod.metadata?.namespace ?? 'default';
    // A 429 is a budget's "not now", which the drain asks again on its own schedule.
    const refusal = (error: unknown): boolean => statusOf(error) === 429 || isMultiBudget(error);
    try {
      const done = await this.orGone(
        () =>
          this.core.createNamespacedPodEviction({
            name,
            namespace,
            body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } },
          }),
        'create',
        EVICTIONS,
        refusal,
      );
      return done === undefined ? { outcome: 'gone' } : { outcome: 'accepted' };
    } catch (error) {
      if (!refusal(error)) throw error;
      if (isMultiBudget(error)) {
        throw new UserError(
          `cannot evict pod ${namespace}/${name}: more than one PodDisruptionBudget selects it, and the Eviction API refuses such pods: change the budgets' selectors so that one budget selects it`,
          { cause: error },
        );
      }
      const body = statusBody(error);
      const causes = body.details?.causes ?? [];
      return {
        outcome: 'refused',
        message: causes.find((cause) => cause.reason === 'DisruptionBudget')?.message ?? body.message ?? 'TooManyRequests',
        budgets: budgetsInCauses(causes, namespace),
      };
    }
  }

  /** The budgets of a namespace. */
  async budgets(namespace: string): Promise<V1PodDisruptionBudget[]> {
    return (await this.call(() => this.policy.listNamespacedPodDisruptionBudget({ namespace }), 'list', BUDGETS)).items;
  }

  /** `call`, with a 404 as undefined: the object is gone, which is what a drain wants of it anyway. */
  private async orGone<T>(
    request: () => Promise<T>,
    verb: string,
    target: ApiResource,
    alsoHandled: (error: unknown) => boolean = () => false,
  ): Promise<T | undefined> {
    try {
      return await this.call(request, verb, target, (error) => statusOf(error) === 404 || alsoHandled(error));
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /**
   * One API call, retried after 1 s and 2 s (on the injected timer) when it fails in a way that may
   * pass, so one blip of the API server does not stop a long drain; then a failure in the taxonomy,
   * with the client's error as `cause`. A failure `handled` accepts is the caller's to read: that error
   * is thrown as client-node threw it.
   */
  private async call<T>(
    request: () => Promise<T>,
    verb: string,
    target: ApiResource,
    handled: (error: unknown) => boolean = () => false,
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await request();
      } catch (error) {
        if (handled(error)) throw error;
        const wait = TRANSIENT_RETRY_MS[attempt];
        if (wait === undefined || !mayPass(error)) throw drainFailure(error, verb, target);
        await delay(this.timer, wait);
      }
    }
  }
}
