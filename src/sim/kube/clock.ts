/**
 * Simulated time. Grace periods, pod start-up and scenario load changes are measured in simulated
 * seconds, so a test can run a 30-second termination grace period in 30 ms (a fast `timeScale`)
 * or step through a scenario exactly (`advance()`), while kubectl and the clients keep using real
 * time for their own polling and timeouts.
 *
 * Simulated now = start + (real time elapsed × timeScale) + everything `advance()`d.
 */

export interface ClockOptions {
  /** Simulated epoch milliseconds at start (default: the real time now). */
  start?: number;
  /** Simulated seconds per real second; 0 stops the clock so only `advance()` moves it. */
  timeScale?: number;
}

/** 9999-12-31T23:59:59Z, the last second RFC 3339 (and Go's time marshalling) can write. */
const LAST_TIMESTAMP = Date.UTC(9999, 11, 31, 23, 59, 59);

interface Timer {
  due: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

export class SimClock {
  readonly timeScale: number;
  private base: number;
  private readonly realAnchor: number;
  private readonly heap: Timer[] = [];
  private seq = 0;
  private realTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private firing = false;
  private stamped = { second: Number.NaN, text: '' };

  constructor(options: ClockOptions = {}) {
    const timeScale = options.timeScale ?? 1;
    if (!Number.isFinite(timeScale) || timeScale < 0) {
      throw new Error(`timeScale ${timeScale} is not usable: give simulated seconds per real second, a number >= 0 (0 stops the clock)`);
    }
    this.timeScale = timeScale;
    this.base = options.start ?? Date.now();
    this.realAnchor = performance.now();
  }

  /** Simulated epoch milliseconds. */
  now(): number {
    return this.base + (performance.now() - this.realAnchor) * this.timeScale;
  }

  /**
   * Simulated now (or `at`) as the RFC 3339 timestamp the API uses (second precision, as
   * metav1.Time). Times past year 9999, which RFC 3339 cannot write (a grace period of 10^15 s),
   * are written as its last second.
   */
  timestamp(at = this.now()): string {
    const second = Math.min(Math.floor(at / 1000) * 1000, LAST_TIMESTAMP);
    // Every write stamps something, mostly within the same second: the text is made once per second.
    if (second !== this.stamped.second) this.stamped = { second, text: new Date(second).toISOString().replace('.000Z', 'Z') };
    return this.stamped.text;
  }

  /** Moves simulated time forward and runs every timer that falls due, in order. */
  advance(seconds: number): void {
    if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`advance(${seconds}): give a number of simulated seconds >= 0`);
    const target = this.now() + seconds * 1000;
    // Step to each timer's due time in turn, so a timer's callback sees the time it was due at
    // (and timers it sets are measured from there), as if the time had passed by itself.
    for (;;) {
      while (this.heap[0]?.cancelled) this.pop();
      const top = this.heap[0];
      if (!top || top.due > target) break;
      if (top.due > this.now()) this.base += top.due - this.now();
      this.fireDue();
    }
    this.base += Math.max(0, target - this.now());
    this.fireDue();
  }

  /** Runs `fn` once simulated time reaches `due` (epoch ms); returns a function that cancels it. */
  at(due: number, fn: () => void): () => void {
    const timer: Timer = { due, seq: this.seq++, fn, cancelled: false };
    this.push(timer);
    this.armRealTimer();
    return () => {
      timer.cancelled = true;
    };
  }

  /** Runs `fn` after `seconds` of simulated time. */
  after(seconds: number, fn: () => void): () => void {
    return this.at(this.now() + seconds * 1000, fn);
  }

  /** Stops the real timer; pending simulated timers never run. */
  close(): void {
    this.closed = true;
    if (this.realTimer) clearTimeout(this.realTimer);
    this.realTimer = undefined;
    this.heap.length = 0;
  }

  private fireDue(): void {
    // A timer may schedule another one already due (a pod that terminates as it starts): keep
    // draining until nothing is due, but never re-enter from inside a timer callback.
    if (this.firing) return;
    this.firing = true;
    try {
      for (;;) {
        const top = this.heap[0];
        if (!top || top.due > this.now()) break;
        this.pop();
        if (!top.cancelled) top.fn();
      }
    } finally {
      this.firing = false;
    }
    this.armRealTimer();
  }

  private armRealTimer(): void {
    if (this.closed) return;
    if (this.realTimer) clearTimeout(this.realTimer);
    this.realTimer = undefined;
    while (this.heap[0]?.cancelled) this.pop();
    const top = this.heap[0];
    if (!top || this.timeScale === 0) return;
    // Real milliseconds until the simulated due time; at least 1 so a due timer runs on the next turn.
    const delay = Math.max(1, Math.ceil((top.due - this.now()) / this.timeScale));
    this.realTimer = setTimeout(() => this.fireDue(), Math.min(delay, 2 ** 31 - 1));
    this.realTimer.unref();
  }

  private less(a: Timer, b: Timer): boolean {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }

  private push(timer: Timer): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as Timer;
      if (!this.less(timer, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = timer;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (!last || heap.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = last;
      let at = -1;
      const left = heap[l];
      const right = heap[r];
      if (left && this.less(left, smallest)) {
        smallest = left;
        at = l;
      }
      if (right && this.less(right, smallest)) {
        smallest = right;
        at = r;
      }
      if (at < 0) break;
      heap[i] = smallest;
      i = at;
    }
    heap[i] = last;
  }
}
