// The local workflow runner: runs this repository's GitHub Actions workflow files on one machine,
// parsed by GitHub's parser and evaluated by GitHub's expression engine.
export { parseEventPayload } from './event.js';
export type { Json, JsonObject } from './json.js';
export type { Annotation, Conclusion, Concurrency, JobRun, Outcome, Permissions, StepRun, WorkflowRun } from './result.js';
export { jobRuns } from './result.js';
export { type RunWorkflowOptions, runWorkflow } from './runner.js';
