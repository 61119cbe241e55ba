import { loadStageConfig } from '../../shared/adapters/config/stage-config.ts';

/** The repository's sample configuration (config/sample.yaml): the seller and catalogue the demo and the tests run with. */
export const SAMPLE_CONFIG = loadStageConfig();
export const DEFAULT_SELLER = SAMPLE_CONFIG.seller;
export const DEFAULT_CATALOGUE = SAMPLE_CONFIG.catalogue.all();
