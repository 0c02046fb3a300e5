export { type HistoryOptions, MAX_LINKS, mergePages, type RecordHistory, recordHistory } from './history.ts';
export { type SearchTerms, searchTerms } from './terms.ts';
