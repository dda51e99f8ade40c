export {
  type DeclaredWorkers,
  type DifferenceWhy,
  type DriftKind,
  type DriftNode,
  type NodeDifference,
  nodeDifferences,
} from './differences.js';
export {
  type DriftEntry,
  type DriftReport,
  type DriftState,
  describeWhy,
  emptyDriftState,
  hasDrift,
  type SeenDifference,
  seedDrift,
  trackDrift,
} from './track.js';
