// What stockade reads of nf_tables: the generation id (a cheap 'nothing changed') and the netns id.
export { legacyTablesPresent, netnsId, nftablesGeneration } from './generation.ts';
