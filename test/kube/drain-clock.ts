// The drain's timer in simulated time, for the tests and bench/drain.js (only type imports, so
// Node runs this file as it is, by stripping the types).
import type { Timer } from '../../src/kube/backoff.js';
import type { SimCluster } from '../../src/sim/kube/index.js';

/**
 * The simulator's clock as the drain's clock and timers, with time moved on by the drain itself:
 * the drain sets a timer only when it has nothing else to do (every node's requests answered, see
 * `Drainer`'s rounds), so the moment it does, the cluster advances to the timer's due time, running
 * every grace period, pod start-up and controller that falls due on the way. With a stopped clock
 * (`timeScale: 0`), a drain's simulated time is then exact and the same on any machine: a 5 s
 * retry is 5 s, a 600 s timeout is 600 s, and neither takes real time beyond the requests.
 */
export function drivenTimer(cluster: SimCluster): Timer {
  return {
    now: () => cluster.clock.now(),
    setTimeout(callback, ms) {
      const due = cluster.clock.now() + ms;
      const cancel = cluster.clock.at(due, callback);
      // On the next turn, so the drain's await is in place before the callback resolves it.
      setImmediate(() => cluster.advance(Math.max(0, due - cluster.clock.now()) / 1000));
      return cancel;
    },
    clearTimeout: (handle) => (handle as () => void)(),
  };
}
