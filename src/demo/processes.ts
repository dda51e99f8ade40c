/**
 * Every child process the demo starts goes through here, so that none outlives it. Each runs in a
 * process group of its own (detached), because what it starts in turn (terraform under an action,
 * ansible's workers, kubectl under the kubeadm stub) must go with it: a stop signals the whole
 * group, and a group is killed once its leader has exited, so a step cannot leave a straggler.
 */
import { execa } from 'execa';
import { InterruptedError } from '../errors.js';

export interface RunOptions {
  cwd: string;
  /** The whole environment: nothing of the demo's own is passed on (as a runner gives a step only what it sets). */
  env: Readonly<Record<string, string>>;
  input?: string;
}

export interface ProcessResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** How long a stopped group gets to exit on SIGTERM before it is killed. */
const STOP_GRACE_MS = 3_000;

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group has no process left.
  }
}

export class Processes {
  private readonly groups = new Set<number>();

  /** `stop` is the demo's stop request (SIGINT, SIGTERM): it stops every running group. */
  constructor(private readonly stop: AbortSignal) {}

  /** Runs a command to its end (a failing exit code is returned, not thrown); throws InterruptedError when the demo is stopped. */
  async run(file: string, args: readonly string[], options: RunOptions): Promise<ProcessResult> {
    this.throwIfStopped();
    const child = execa(file, args, {
      cwd: options.cwd,
      env: { ...options.env },
      extendEnv: false,
      detached: true,
      reject: false,
      stripFinalNewline: false,
      ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
    });
    const pid = child.pid;
    if (pid !== undefined) {
      this.groups.add(pid);
      // When the leader exits, whatever it left in its group goes too: a straggler holding the
      // output pipes open would otherwise keep the step from ever ending.
      child.nodeChildProcess.once('exit', () => signalGroup(pid, 'SIGKILL'));
    }
    let killer: NodeJS.Timeout | undefined;
    const onStop = (): void => {
      if (pid === undefined) return;
      signalGroup(pid, 'SIGTERM');
      killer = setTimeout(() => signalGroup(pid, 'SIGKILL'), STOP_GRACE_MS);
    };
    this.stop.addEventListener('abort', onStop, { once: true });
    try {
      const result = await child;
      this.throwIfStopped();
      return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
    } finally {
      this.stop.removeEventListener('abort', onStop);
      clearTimeout(killer);
      if (pid !== undefined) this.groups.delete(pid);
    }
  }

  /** Kills every group still running, at once: for a process exit that cannot wait (`process.on('exit')`). */
  killAllNow(): void {
    for (const pid of this.groups) signalGroup(pid, 'SIGKILL');
    this.groups.clear();
  }

  /** How many groups are running (tests). */
  get running(): number {
    return this.groups.size;
  }

  private throwIfStopped(): void {
    if (this.stop.aborted) throw new InterruptedError(String(this.stop.reason ?? 'a stop request'));
  }
}
