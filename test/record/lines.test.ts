// Lines that repeat nothing of the line before: written and read back, they are the cycles that
// were recorded; decoded with the line before, they are what they are decoded alone.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeLine, encodeCycle, type RecordedCycle, type RecordLine } from '../../src/record/format.js';
import { LineReader, LineWriter } from '../../src/record/lines.js';
import { master, snapshot, T0, workers } from '../policy/builders.js';
import { runTrace } from '../policy/world.js';
import { recordStep, traceArb } from './traces.js';

describe('recording lines', () => {
  it('property: read back in order, the lines are the recorded ones; decoding with the line before is decoding alone', () => {
    fc.assert(
      fc.property(traceArb, fc.boolean(), (trace, podNames) => {
        const writer = new LineWriter();
        const reader = new LineReader();
        let previous: { line: RecordLine; cycle: RecordedCycle } | undefined;
        for (const step of runTrace(trace)) {
          const line = recordStep(step, podNames);
          const back = reader.read(JSON.parse(writer.text(line)));
          expect(back).toEqual(JSON.parse(JSON.stringify(line)));
          if (typeof back === 'string') return;
          const cycle = decodeLine(back, previous);
          expect(cycle).toEqual(decodeLine(back));
          if (typeof cycle !== 'string') previous = { line: back, cycle };
        }
      }),
      { numRuns: 60 },
    );
  });

  it('refuses a line that leans on a line before it when it begins its file, or on a part that line lacks', () => {
    const line = encodeCycle({
      at: T0,
      config: { cluster: 'shop', prefix: 'demo', count: 2, min: 1, max: 3, vmSize: undefined },
      snapshot: snapshot({ nodes: [master(), ...workers(2)] }),
      podNames: false,
    });
    const whole = JSON.parse(new LineWriter().text(line));
    const { nodes: _nodes, ...withoutNodes } = whole;
    expect(new LineReader().read({ ...withoutNodes, same: ['nodes'] })).toBe(
      'it says parts are the same as the line before, but it is the first line of its file',
    );
    const reader = new LineReader();
    reader.read(whole);
    expect(reader.read({ ...whole, same: ['names'] })).toBe('names: the same as the line before, which has none');
    expect(reader.read(withoutNodes)).toBe('nodes: missing');
    expect(reader.read({ ...whole, same: ['nodez'] })).toMatch(/^same\.0: Invalid option/);
  });
});
