/**
 * What every controller works with. Controllers read and write through the store (so every change
 * they make reaches watches with a new resourceVersion), create objects through the registry (so
 * they get the same defaults as objects clients create), and run in one reconcile pass after any
 * change or timer, until nothing changes. A controller does a bounded amount of work per pass (as
 * the real ones do per sync) and says when it left some for the next (`more`).
 *
 * Controllers are event-driven, as the real ones are with their informers and work queues: every
 * change in the store is shown to each controller (`observe`), which notes the objects it concerns
 * (the ReplicaSet whose pod changed, the node whose pods changed, the pod to schedule) in a dirty
 * set; a run works through that set only. `resync` notes everything, so the next run does what a
 * full rescan would: that a resync finds nothing left to do is how tests check the dirty sets.
 */
import type { SimClock } from '../clock.js';
import type { Registry } from '../registry.js';
import type { Store, StoreEvent } from '../store.js';
import type { KubeObject } from '../types.js';

export interface EventInput {
  involved: KubeObject;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  component: string;
  host?: string;
}

export interface SimTiming {
  /** Simulated seconds from a pod's binding to Running and Ready. */
  podStartSeconds: number;
  /** Simulated seconds after a node disappears before its pods are deleted (the pod GC's quarantine). */
  orphanPodSeconds: number;
  /** Simulated seconds a node that joins stays NotReady (its CNI starting) before pods can land on it. */
  nodeReadySeconds: number;
}

export interface ControllerContext {
  readonly store: Store;
  readonly registry: Registry;
  readonly clock: SimClock;
  readonly timing: SimTiming;
  /** True while the cluster is being built: pods start at once, so a scenario begins in a steady state. */
  readonly bootstrapping: boolean;
  recordEvent(event: EventInput): void;
  /** Runs a reconcile pass soon (after a timer changes something time-dependent). */
  wake(): void;
  /**
   * Says that a controller stopped at its batch limit with work left (pods to create or delete
   * beyond the 500 a sync creates): another pass is needed. Running in the background, the
   * cluster yields to the event loop before it, so the API keeps answering during a big scale.
   */
  more(): void;
  /** Counts objects a controller read (pods, nodes…): the work a change cost, which tests bound. */
  visit(count?: number): void;
}

export interface Controller {
  /** Notes what a change concerns: cheap, reading no more than the event and the indexes. */
  observe(event: StoreEvent): void;
  /** Works through what was noted since the last run. */
  run(ctx: ControllerContext): void;
  /** Notes every object, so the next run does what a full rescan would. */
  resync(store: Store): void;
  /** Cancels the controller's timers (the cluster is closing). */
  stop?(): void;
}
