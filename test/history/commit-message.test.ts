import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_REASON_LENGTH,
  normalizeReason,
  parseCommitMessage,
  pullRequestNumber,
  REASON_TRAILER,
  scaleCommitMessage,
} from '../../src/history/index.js';
import { git } from '../support/git.js';
import { tempDir } from '../support/temp.js';

describe('the scale commit message', () => {
  it('is a subject naming the cluster, component and counts, and the reason as the Autoscale-Reason trailer', () => {
    expect(scaleCommitMessage({ cluster: 'shop', component: 'kubernetes_node', from: 3, to: 5, reason: '7 pods pending for 120s' })).toBe(
      'Scale shop kubernetes_node 3 → 5\n\nAutoscale-Reason: 7 pods pending for 120s\n',
    );
  });

  it('has no trailer without a reason, or with one that is only blanks', () => {
    for (const reason of [undefined, '', '  \n\t ']) {
      expect(scaleCommitMessage({ cluster: 'shop', component: 'kubernetes_node', from: 5, to: 4, reason })).toBe(
        'Scale shop kubernetes_node 5 → 4\n',
      );
    }
  });

  it('writes a reason on one line, without control characters, cut at MAX_REASON_LENGTH', () => {
    expect(normalizeReason(' black\nfriday\u001b[2J  sale\r\n')).toBe('black friday [2J sale');
    const long = normalizeReason('x'.repeat(MAX_REASON_LENGTH * 2));
    expect(long).toHaveLength(MAX_REASON_LENGTH);
    expect(long.endsWith('…')).toBe(true);
  });

  it('reads back what it wrote: subject, reason and no PR number', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), fc.nat(1000), fc.nat(1000), (reason, from, to) => {
        const message = scaleCommitMessage({ cluster: 'shop', component: 'kubernetes_node', from, to, reason });
        const parsed = parseCommitMessage(message);
        expect(parsed.subject).toBe(`Scale shop kubernetes_node ${from} → ${to}`);
        expect(parsed.reason).toBe(normalizeReason(reason) || null);
        expect(parsed.pr).toBeNull();
      }),
    );
  });
});

describe('reading a commit message', () => {
  it('takes trailers only from the last paragraph, and only when it is not the subject', () => {
    expect(parseCommitMessage('Autoscale-Reason: not a trailer, the subject').reason).toBeNull();
    expect(parseCommitMessage('Scale\n\nAutoscale-Reason: early\n\nmore prose').reason).toBeNull();
    expect(parseCommitMessage('Scale\n\nprose line\nAutoscale-Reason: mixed with prose').reason).toBeNull();
    expect(parseCommitMessage('Scale\n\nSigned-off-by: A <a@b>\nautoscale-reason: any case\n').reason).toBe('any case');
  });

  it('folds continuation lines and joins several reasons', () => {
    expect(
      parseCommitMessage('Fix\n\nAutoscale-Reason: restore workers after a\n  broken hand edit\nAutoscale-Reason: second').reason,
    ).toBe('restore workers after a broken hand edit; second');
  });

  it('agrees with git interpret-trailers on the messages it writes and on hand-written ones', async () => {
    const cwd = await tempDir();
    const samples = [
      scaleCommitMessage({ cluster: 'shop', component: 'kubernetes_node', from: 3, to: 5, reason: 'pods: 7 pending' }),
      'Scale workers to 5 (#14)\n\n* Scale shop kubernetes_node 4 → 5\n\nAutoscale-Reason: 3 pods pending for 120s\n',
      'Fix shop config\n\nAutoscale-Reason: restore workers after a\n  broken hand edit\n',
      'Only a subject: Autoscale-Reason: no\n',
      'Scale\n\nA paragraph of prose.\nAutoscale-Reason: not a trailer block\n',
      'Scale\r\n\r\nAutoscale-Reason: CRLF written\r\n',
    ];
    for (const message of samples) {
      const out = await git(cwd, ['interpret-trailers', '--parse', '--no-divider'], { input: message });
      const fromGit = out
        .split('\n')
        .filter((line) => line.toLowerCase().startsWith(`${REASON_TRAILER.toLowerCase()}:`))
        .map((line) => line.slice(REASON_TRAILER.length + 1).trim());
      expect(parseCommitMessage(message).reason, message).toBe(fromGit.length > 0 ? fromGit.join('; ') : null);
    }
  });
});

describe('pull request numbers', () => {
  it('come from GitHub merge commits and from squash subjects ending in (#N)', () => {
    expect(pullRequestNumber('Merge pull request #12 from org/autoscale')).toBe(12);
    expect(pullRequestNumber('Scale workers to 5 (#14)')).toBe(14);
    expect(pullRequestNumber('Scale workers (#14) by hand')).toBeNull();
    expect(pullRequestNumber('Fix #14')).toBeNull();
    expect(parseCommitMessage('Merge pull request #7 from org/autoscale/shop\n\nScale shop').pr).toBe(7);
  });
});
