export { clusterChangeText, componentChangeText, MAX_LISTED_NODES, nodeLines } from './describe.js';
export { countChangeNodes, vmName, vmNames } from './naming.js';
export {
  type ClusterChange,
  type ClusterPlan,
  type ComponentChange,
  componentChanges,
  type PlanCluster,
  type ScalePlan,
  scalePlan,
} from './scale-plan.js';
