/** Per input file: input = accepted + quarantined (the reconciliation every prepare checks). */
export interface FileCount {
  file: string;
  kind: 'events' | 'items' | 'users';
  input: number;
  accepted: number;
  quarantined: number;
}
