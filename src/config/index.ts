export { findCommittedSecrets, findLeakedKeys, isPlaceholder, looksLikeCredential } from './credentials.js';
export { type CountEditResult, setComponentCount } from './edit.js';
export { DEFAULT_CONFIG_DIR, isYamlFile } from './layout.js';
export {
  analyzeConfigFile,
  analyzeConfigText,
  clusterId,
  decodeConfigBytes,
  type FileAnalysis,
  parseClusterConfig,
} from './load.js';
export type { Bounds, ClusterConfig, ClusterKind, ConfigDocument, Provider } from './model.js';
export { type ConfigFile, type ConfigSource, type LoadResult, readConfigFiles, readConfigs, readValidConfigs } from './reader.js';
export * from './schema.js';
export {
  findRepositoryRoot,
  loadConfigs,
  relativeInside,
  resolveUserPath,
  WorkingTreeSource,
  type Workspace,
  workspaceOf,
} from './working-tree.js';
export { writeFileAtomic } from './write.js';
