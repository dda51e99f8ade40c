/**
 * Resolves with the reason a server should stop: the first SIGINT or SIGTERM, or `until`
 * aborting (how tests stop it without a signal). Both handlers are removed then, so a second
 * Ctrl-C gets Node's default behaviour.
 */
export function stopRequested(until?: AbortSignal): Promise<string> {
  return new Promise((done) => {
    const finish = (reason: string): void => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      done(reason);
    };
    const onInt = (): void => finish('SIGINT');
    const onTerm = (): void => finish('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    if (until?.aborted) finish('abort');
    until?.addEventListener('abort', () => finish('abort'), { once: true });
  });
}
