import { describe, expect, it } from 'vitest';
import { parseKeyValueFile, parsePathFile } from '../../src/workflow/file-commands.js';
import { Masker } from '../../src/workflow/mask.js';
import { shellCommand } from '../../src/workflow/shell.js';
import { annotationOf, parseCommand } from '../../src/workflow/workflow-commands.js';

describe('file commands', () => {
  it('reads name=value lines and name<<DELIMITER blocks, whichever of = and << comes first deciding', () => {
    const text = 'a=1\n\nb<<EOF\nline one\nline=two\nEOF\nc=x<<y\nd<<x=y\nvalue\nx=y\ne=\r\n';
    expect(parseKeyValueFile(text, 'GITHUB_OUTPUT')).toEqual({
      values: [
        ['a', '1'],
        ['b', 'line one\nline=two'],
        ['c', 'x<<y'],
        ['d', 'value'],
        ['e', ''],
      ],
      problems: [],
    });
  });

  it('names the lines the runner would refuse', () => {
    expect(parseKeyValueFile('just text\n=x\nopen<<END\nno end\n', 'GITHUB_ENV').problems).toEqual([
      'GITHUB_ENV: line 1 is neither name=value nor name<<DELIMITER: just text',
      'GITHUB_ENV: line 2 has no name: =x',
      'GITHUB_ENV: open<<END has no closing line END',
    ]);
    expect(parsePathFile('/opt/a\n\n  /opt/b  \n')).toEqual(['/opt/a', '/opt/b']);
  });
});

describe('workflow commands', () => {
  it('parses properties and unescapes them as @actions/core escapes them', () => {
    const command = parseCommand(
      '::error file=cluster-config/a.yml,line=12,col=3,title=Count%3A bad%2C really::min 5 is%0Agreater than max 2%25',
    );
    expect(command).toEqual({
      command: 'error',
      properties: { file: 'cluster-config/a.yml', line: '12', col: '3', title: 'Count: bad, really' },
      message: 'min 5 is\ngreater than max 2%',
    });
    expect(annotationOf(command as never, { job: 'validate', step: '2' })).toEqual({
      level: 'error',
      message: 'min 5 is\ngreater than max 2%',
      file: 'cluster-config/a.yml',
      line: 12,
      column: 3,
      title: 'Count: bad, really',
      job: 'validate',
      step: '2',
    });
    expect(parseCommand('::add-mask::s3cret')).toEqual({ command: 'add-mask', properties: {}, message: 's3cret' });
    expect(parseCommand('plain :: text')).toBeUndefined();
  });
});

describe('masking', () => {
  it('hides a value, each line of a multi-line one (but a line of a few characters), and the longer of two overlapping ones whole', () => {
    const masker = new Masker();
    masker.add('abc');
    masker.add('abcdef');
    masker.add('-----BEGIN-----\nkey-body\n-----END-----');
    masker.add('{\n  "a": "json-secret"\n}');
    masker.add('   ');
    expect(masker.mask('x abcdef y abc z')).toBe('x *** y *** z');
    expect(masker.mask('key-body')).toBe('***');
    // A line too short to be a secret is not hidden everywhere; the value as a whole is.
    expect(masker.mask('{ "a": "json-secret" }')).toBe('{ *** }');
    expect(masker.mask('nothing secret   here')).toBe('nothing secret   here');
    expect(masker.reveals('an abc')).toBe(true);
  });
});

describe('shells', () => {
  it("starts scripts as GitHub's Linux runners do, with no shell parsing the command line", () => {
    expect(shellCommand(undefined, '/t/s.sh')).toEqual({ command: 'bash', args: ['-e', '/t/s.sh'], extension: '.sh' });
    expect(shellCommand('bash', '/t/s.sh')).toEqual({
      command: 'bash',
      args: ['--noprofile', '--norc', '-eo', 'pipefail', '/t/s.sh'],
      extension: '.sh',
    });
    expect(shellCommand('sh', '/t/s.sh').args).toEqual(['-e', '/t/s.sh']);
    expect(shellCommand('bash -x {0}', '/t/s.sh')).toEqual({ command: 'bash', args: ['-x', '/t/s.sh'], extension: '.sh' });
    expect(() => shellCommand('pwsh', '/t/s.sh')).toThrow('shell: pwsh is not supported by the local runner');
  });
});
