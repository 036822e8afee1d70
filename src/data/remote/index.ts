// The public face of src/data/remote: known data sets downloaded on demand, verified and cached.
export { loadDataset, fetchDatasetFiles, remoteDataset, type LoadDatasetOptions, type LoadedDataset, type DatasetFiles, type DownloadProgress } from './load.js';
export { DATASETS, DATASET_NAMES, type DatasetName, type RemoteDataset, type RemoteFile } from './registry.js';
export { DownloadError, type FetchLike } from './download.js';
export { CACHE_API_NAME } from './cache.js';
