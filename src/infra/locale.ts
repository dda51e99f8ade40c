/**
 * ansible-core refuses to start unless the locale's encoding is UTF-8 ("Ansible requires the locale
 * encoding to be UTF-8"), and a runner or a container may run steps under `LC_ALL=C` or with no
 * locale at all. C.UTF-8 is built into glibc and Python, so it exists wherever ansible runs.
 */
export function utf8LocaleEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  // The first of these that is set decides the encoding, as in setlocale(3).
  const effective = env.LC_ALL || env.LC_CTYPE || env.LANG || '';
  return /utf-?8/i.test(effective) ? {} : { LC_ALL: 'C.UTF-8' };
}
