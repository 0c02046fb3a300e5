export { kindOfKey, maskPii } from './deep.ts';
export { looksLikeEmail, looksLikePhone, maskEmail, maskName, maskPhone } from './mask.ts';
export { maskText, type PiiKind } from './text.ts';
