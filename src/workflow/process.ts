// Runs a step's process (a shell script, a node action) as the runner does: its own process group
// (so a timeout or a cancel stops what it started too), no stdin, only the environment given, and
// its output handed over a line at a time as it comes.
import { setTimeout as delay } from 'node:timers/promises';
import { execa } from 'execa';

export interface StepProcess {
  command: string;
  args: readonly string[];
  cwd: string;
  env: Readonly<Record<string, string>>;
  onLine(line: string): void;
  /** Milliseconds the process may run; then its group is stopped. */
  timeoutMs?: number;
  /** Aborting stops the process group (a cancelled run). */
  signal?: AbortSignal;
}

export interface StepProcessResult {
  /** Undefined when the process did not exit by itself (killed, or never started). */
  exitCode: number | undefined;
  timedOut: boolean;
  cancelled: boolean;
  /** Why it could not start (a missing shell, a missing directory). */
  startError?: string;
  /** The process group, which may outlive the step (background processes); the job stops it at its end. */
  processGroup?: number;
  /** A background process still holds the step's output after it exited (it keeps running until the job ends). */
  outputHeldOpen: boolean;
}

/** Stops a process group, ignoring one that is already gone. */
export function stopProcessGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-group, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** How long a step's process group has, after SIGTERM, to stop before it is killed. */
const KILL_GRACE_MS = 5_000;
/** How long the output of a step that exited may stay open (a background process holding it) before the step ends anyway. */
const OUTPUT_GRACE_MS = 2_000;

export async function runStepProcess(options: StepProcess): Promise<StepProcessResult> {
  const child = execa(options.command, [...options.args], {
    cwd: options.cwd,
    env: { ...options.env },
    extendEnv: false,
    stdin: 'ignore',
    buffer: false,
    reject: false,
    detached: true,
    // The process group is stopped here, on timeout and cancel; execa's own clean-up does not
    // apply to a detached process.
    cleanup: false,
  });
  const group = child.pid;
  const partial = { stdout: '', stderr: '' };
  const feed = (stream: 'stdout' | 'stderr', chunk: string): void => {
    const lines = (partial[stream] + chunk).split('\n');
    partial[stream] = lines.pop() ?? '';
    for (const line of lines) options.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  };
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => feed('stdout', chunk));
  child.stderr?.on('data', (chunk: string) => feed('stderr', chunk));

  let timedOut = false;
  let cancelled = false;
  let killer: NodeJS.Timeout | undefined;
  const stop = (): void => {
    if (group === undefined || killer !== undefined) return;
    stopProcessGroup(group, 'SIGTERM');
    killer = setTimeout(() => stopProcessGroup(group, 'SIGKILL'), KILL_GRACE_MS);
  };
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(
          () => {
            timedOut = true;
            stop();
          },
          Math.max(0, options.timeoutMs),
        );
  const onAbort = (): void => {
    cancelled = true;
    stop();
  };
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const exited = new Promise<number | null>((resolve) => child.nodeChildProcess.once('exit', (code) => resolve(code)));
  const finished = child.then((result) => result);
  try {
    const first = await Promise.race([exited.then((code) => ({ code })), finished.then((result) => ({ result }))]);
    let outputHeldOpen = false;
    if ('code' in first) {
      const done = new AbortController();
      const closed = await Promise.race([
        finished.then(() => true),
        delay(OUTPUT_GRACE_MS, false, { signal: done.signal }).catch(() => false),
      ]);
      done.abort();
      outputHeldOpen = !closed;
    }
    const result = 'result' in first ? first.result : undefined;
    const code = 'code' in first ? first.code : result?.exitCode;
    for (const stream of ['stdout', 'stderr'] as const) if (partial[stream] !== '') options.onLine(partial[stream]);
    const startError =
      group === undefined || (result?.failed && result.exitCode === undefined && !timedOut && !cancelled)
        ? (result?.code ?? result?.shortMessage ?? 'the process could not be started')
        : undefined;
    return {
      exitCode: code ?? undefined,
      timedOut,
      cancelled,
      ...(startError === undefined ? {} : { startError }),
      ...(group === undefined ? {} : { processGroup: group }),
      outputHeldOpen,
    };
  } finally {
    if (timer) clearTimeout(timer);
    if (killer) clearTimeout(killer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}
