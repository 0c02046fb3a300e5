export { createFileConnector, DEFAULT_MAX_RECORD_BYTES, type FileConnectorOptions } from './connector.ts';
export { type FileSample, sampleFile } from './sample.ts';
