// Property tests run with one seed, so a run of `npm test` is the same on every machine and every
// try: a counterexample found by chance would otherwise fail one CI run in many and pass the next.
// To search further, give another seed: FC_SEED=123 npx vitest run test/policy (a failure prints
// its seed and path; add the counterexample as an example test when it shows a bug).
import fc from 'fast-check';

const seed = Number(process.env.FC_SEED ?? 20261202);
if (!Number.isSafeInteger(seed)) throw new Error(`FC_SEED must be a whole number, not ${JSON.stringify(process.env.FC_SEED)}`);
fc.configureGlobal({ seed });
