/** Stable error codes. Activities map the non-retryable ones to ApplicationFailure.nonRetryable. */
export const ERROR_CODES = {
  CFM_E_CONFIG: 'invalid configuration value',
  CFM_E_ROW_SCHEMA: 'row does not match the data contract',
  CFM_E_MISSING_COLUMN: 'a required column is missing',
  CFM_E_FILE: 'file missing, unreadable or truncated',
  CFM_E_PATH_ESCAPE: 'path escapes the data directory',
  CFM_E_DATASET: 'unknown or unavailable dataset',
  CFM_E_RECONCILE: 'input rows != accepted + quarantined',
  CFM_E_VOCAB_MISMATCH: 'vocabulary hash does not match the model',
  CFM_E_ARTIFACT: 'model artifact failed verification',
  CFM_E_BACKEND: 'tensor backend unavailable',
  CFM_E_STATE: 'operation not valid in the current state',
  CFM_E_INTERNAL: 'unexpected failure (a bug or an environment problem): CFM_DEBUG=1 prints the stack',
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

const BRAND = Symbol.for('cfm.error');

/** Where in the input a problem was found. */
export interface ErrorLocation {
  file?: string;
  row?: number;
  field?: string;
}

export class CfmError extends Error {
  readonly [BRAND] = true;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly location: ErrorLocation = {},
    readonly retryable = false,
  ) {
    super(`[${code}] ${formatLocation(location)}${message}`);
    this.name = 'CfmError';
  }
}

/** Cross-realm check (errors cross the Temporal workflow sandbox). */
export function isCfmError(e: unknown): e is CfmError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
}

export function formatLocation({ file, row, field }: ErrorLocation): string {
  const parts: string[] = [];
  if (file) parts.push(row !== undefined ? `${file}:${row}` : file);
  else if (row !== undefined) parts.push(`row ${row}`);
  if (field) parts.push(`field "${field}"`);
  return parts.length ? parts.join(' ') + ': ' : '';
}
