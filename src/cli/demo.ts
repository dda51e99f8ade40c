import { runDemo } from '../demo/index.js';
import type { Io } from './io.js';

/** `demo`: the whole loop on this machine (src/demo). */
export async function demoCommand(options: { workdir?: string | undefined; keep: boolean }, io: Io): Promise<void> {
  await runDemo(options, io);
}
