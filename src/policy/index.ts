export {
  type ClusterInput,
  type Decision,
  type DecisionInput,
  type DecisionOutput,
  decide,
  type Evidence,
  type Limit,
  type Rule,
  type RuleKind,
} from './decide.js';
export {
  budgetBlocks,
  DRAINABILITY_RULES,
  type DrainabilityRule,
  type PodBlockRule,
  type PodDrainability,
  podDrainability,
} from './drainability.js';
export { describeMetricProblem, describeMetricReadout } from './metric-reason.js';
export {
  MAX_QUERY_LENGTH,
  PROMETHEUS_KEY,
  type PrometheusSignal,
  prometheusSettingProblems,
  resolvePrometheusSignal,
} from './metric-settings.js';
export type {
  MetricEvidence,
  MetricGate,
  MetricInput,
  MetricProblem,
  MetricReading,
  MetricRule,
  MetricState,
  QueryFailure,
} from './metric-signal.js';
export { describeBlocker, describeDecision, describeExceeded, describeGate, describeNeverFits, describePendingOutcome } from './reason.js';
export type { Candidate, Move, NodeBlocker, ScaleDownGate, ScaleDownPlan } from './scale-down.js';
export type { NeverFits, NewNode, PendingOutcome, PendingPlan, PendingPod, WorkerTemplate } from './scale-up.js';
export {
  applySchedules,
  type Bounds as ScheduleBounds,
  CLOCK_STEP_BACK_MS,
  type Edge,
  nextEdge,
  type ScheduledMin,
  scheduledMin,
  scheduleInstant,
  type WindowSpan,
} from './schedule.js';
export { describeSpan, describeWindow, scheduleEvidence } from './schedule-reason.js';
export { resolveSchedules, SCHEDULES_KEY, type Schedule, type ScheduleProblem, scheduleProblems } from './schedule-settings.js';
export {
  DEFAULT_POLICY,
  formatDuration,
  POLICY_SETTINGS,
  type Policy,
  type PolicySettingKey,
  type PolicySettingProblem,
  parseDuration,
  policySettingProblems,
  resolvePolicy,
} from './settings.js';
export type * from './snapshot.js';
export { type ChangeInFlight, initialState, type PolicyState, recordSample, SAMPLE_LIMIT, type Sample, sampleWindow } from './state.js';
export { workerTemplate } from './template.js';
export type { Exceeded, Measure, PoolUtilisation, Ratios, Resource } from './utilisation.js';
