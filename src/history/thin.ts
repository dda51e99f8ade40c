// Which points of a chart line to draw when all of them would make the chart too long to render
// (Mermaid refuses a diagram over its maxTextSize). Pure, over the indices of a series of values.

/**
 * The indices of `values` to keep so that `size(kept)` (the length of what they render to) is at
 * most `budget`: every point when they fit; else the first, the last and every change of direction,
 * dropping the points inside a rise or a fall (the line still passes through every peak and valley);
 * else fewer still, keeping the global minimum and maximum. When even those four do not fit, they
 * are returned anyway: a chart without its extremes would be wrong, not just coarse.
 */
export function fitPoints(values: readonly number[], budget: number, size: (kept: readonly number[]) => number): number[] {
  const all = values.map((_, i) => i);
  if (size(all) <= budget) return all;
  const turns = turningPoints(values);
  let kept = turns;
  let length = size(kept);
  const floor = extremes(values).length;
  // Each try aims at the share of points the budget allows and only ever asks for fewer, so this ends.
  let target = turns.length;
  while (length > budget && target > floor) {
    target = Math.max(floor, Math.min(target - 1, Math.floor((target * budget) / length)));
    kept = thinOut(values, turns, target);
    length = size(kept);
  }
  return kept;
}

/** First, last, the first global minimum and maximum, and every point where the line turns. */
export function turningPoints(values: readonly number[]): number[] {
  const at = (i: number): number => values[i] as number;
  const kept = new Set(extremes(values));
  for (let i = 1; i < values.length - 1; i += 1) {
    const into = Math.sign(at(i) - at(i - 1));
    if (into === 0) continue;
    // The next move that is not flat decides: a plateau at a peak or valley keeps its first point.
    let j = i + 1;
    while (j < values.length && at(j) === at(i)) j += 1;
    const out = j < values.length ? Math.sign(at(j) - at(i)) : 0;
    if (out !== 0 && out !== into) kept.add(i);
  }
  return [...kept].sort((a, b) => a - b);
}

/** The points no reduction drops: first, last, and the first occurrences of the minimum and maximum. */
function extremes(values: readonly number[]): number[] {
  if (values.length === 0) return [];
  const at = (i: number): number => values[i] as number;
  let min = 0;
  let max = 0;
  for (let i = 1; i < values.length; i += 1) {
    if (at(i) < at(min)) min = i;
    if (at(i) > at(max)) max = i;
  }
  return [...new Set([0, values.length - 1, min, max])].sort((a, b) => a - b);
}

/**
 * About `target` of `candidates`: the extremes, and the lowest and highest point of each of equal
 * runs of candidates (taking every n-th would catch only the peaks of a line that alternates).
 */
function thinOut(values: readonly number[], candidates: readonly number[], target: number): number[] {
  const at = (i: number): number => values[i] as number;
  const kept = new Set(extremes(values));
  const buckets = Math.floor((target - kept.size) / 2);
  for (let b = 0; b < buckets; b += 1) {
    const run = candidates.slice(Math.floor((b * candidates.length) / buckets), Math.floor(((b + 1) * candidates.length) / buckets));
    if (run.length === 0) continue;
    let low = run[0] as number;
    let high = low;
    for (const i of run) {
      if (at(i) < at(low)) low = i;
      if (at(i) > at(high)) high = i;
    }
    kept.add(low).add(high);
  }
  return [...kept].sort((a, b) => a - b);
}
