export { findCommittedSecrets, findLeakedKeys, isPlaceholder, looksLikeCredential } from './credentials.js';
export { type CountEditResult, setComponentCount } from './edit.js';
export { DEFAULT_CONFIG_DIR, isYamlFile } from './layout.js';
export {
  analyzeConfigFile,
  analyzeConfigText,
  clusterId,
  type FileAnalysis,
  type LoadResult,
  listConfigFiles,
  loadConfigs,
  loadConfigsOrThrow,
  parseClusterConfig,
} from './load.js';
export type { Bounds, ClusterConfig, ClusterKind, ConfigDocument, Provider } from './model.js';
export * from './schema.js';
export { writeFileAtomic } from './write.js';
