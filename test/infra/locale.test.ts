import { afterEach, describe, expect, it } from 'vitest';
import { utf8LocaleEnv } from '../../src/infra/locale.js';
import { tempDir } from '../support/temp.js';
import { playOver } from './ansible-play.js';
import { ansibleWorld, clusterHosts } from './ansible-world.js';

describe('the locale ansible and packer run under', () => {
  it('is left alone when it is UTF-8 already, whichever variable says so', () => {
    expect(utf8LocaleEnv({ LANG: 'en_US.UTF-8' })).toEqual({});
    expect(utf8LocaleEnv({ LC_ALL: 'C.utf8', LANG: 'C' })).toEqual({});
    expect(utf8LocaleEnv({ LC_CTYPE: 'pl_PL.UTF-8' })).toEqual({});
  });

  it('becomes C.UTF-8 under C, POSIX, a non-UTF-8 LC_ALL that overrides LANG, or no locale at all', () => {
    expect(utf8LocaleEnv({ LC_ALL: 'C' })).toEqual({ LC_ALL: 'C.UTF-8' });
    expect(utf8LocaleEnv({ LC_ALL: 'POSIX', LANG: 'en_US.UTF-8' })).toEqual({ LC_ALL: 'C.UTF-8' });
    expect(utf8LocaleEnv({})).toEqual({ LC_ALL: 'C.UTF-8' });
  });

  describe('a runner that sets LC_ALL=C', () => {
    const saved = process.env.LC_ALL;
    afterEach(() => {
      if (saved === undefined) delete process.env.LC_ALL;
      else process.env.LC_ALL = saved;
    });

    it('still gets the join played: ansible-core refuses to start under a locale that is not UTF-8', async () => {
      const world = await ansibleWorld(await tempDir('lsa-locale-'), clusterHosts(1, 1));
      process.env.LC_ALL = 'C';
      const worker = 'demo-shop-kubernetes-node-vm-1';
      const outcome = await playOver(world, { limit: [worker], tags: ['node-join'] });
      expect(outcome.hosts.map((host) => [host.host, host.status])).toEqual([[worker, 'changed']]);
    }, 60_000);
  });
});
