import { readdir, readFile } from 'node:fs/promises';
import { connect } from 'node:net';

// What the demo tests look at from outside: the processes of this machine and the ports it listens on.

/** The processes whose command line mentions `text` (a workdir), as `pid: command`. */
export async function processesMentioning(text: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      // A zombie has exited; only its parent's reaping is left.
      if (/^\d+ \(.*\) Z /.test(stat)) continue;
      const command = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).replaceAll('\0', ' ').trim();
      if (command.includes(text)) found.push(`${entry}: ${command}`);
    } catch {
      // Gone while being read.
    }
  }
  return found;
}

/** Whether something accepts connections at an http://127.0.0.1:<port> address. */
export function listening(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The http://127.0.0.1:<port> addresses in a text. */
export function localUrls(text: string): string[] {
  return [...new Set(text.match(/http:\/\/127\.0\.0\.1:\d+/g) ?? [])];
}
