/**
 * What every controller works with. Controllers read and write through the store (so every change
 * they make reaches watches with a new resourceVersion), create objects through the registry (so
 * they get the same defaults as objects clients create), and run in one reconcile pass after any
 * change or timer, until nothing changes. A controller does a bounded amount of work per pass (as
 * the real ones do per sync) and says when it left some for the next (`more`).
 */
import type { SimClock } from '../clock.js';
import type { Registry } from '../registry.js';
import type { Store } from '../store.js';
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
}

export type Controller = (ctx: ControllerContext) => void;
