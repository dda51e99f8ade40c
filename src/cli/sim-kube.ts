import type { Io } from './io.js';

/** `sim kube`: placeholder until the simulator lands (src/cli/sim.ts imports this module). */
export async function simKubeCommand(
  _options: { config?: string; scenario?: string; port: number; kubeconfig?: string; timeScale: number },
  io: Io,
): Promise<void> {
  io.err('sim kube is not implemented yet');
}
