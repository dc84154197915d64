// Pulling real CLIP exports from the Hugging Face hub (`vsearch models pull`); it respects the in-use markers of @vsearch/model.
export * from './errors';
export {
  DEFAULT_HF_ENDPOINT,
  downloadFile,
  headRemoteFile,
  resolveUrl,
  sha256OfFile,
  type DownloadOptions,
  type DownloadProgress,
  type DownloadResult,
  type HubLocation,
  type RemoteFileInfo,
} from './hub-download';
export { DEFAULT_DTYPE, DTYPE_FILE_SUFFIX, availableVariants, missingVariantMessage, parseModelDtype, towerFilesFor, type TowerFiles } from './model-variants';
export { CLIP_MEAN, CLIP_STD, buildClipManifest, type ClipManifestInput, type GraphNames } from './clip-manifest';
export {
  DEFAULT_REMOTE_FILES,
  KNOWN_MODELS,
  MODELS_DIR,
  inspectOnnxGraph,
  listModels,
  pullModel,
  type InstalledModel,
  type PullModelOptions,
  type PullModelResult,
} from './pull-model';
