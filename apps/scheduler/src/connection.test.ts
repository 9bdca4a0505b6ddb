import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isCfmError } from '@cfm/core';
import { connectionSecurity } from './client';

const dir = mkdtempSync(join(tmpdir(), 'cfm-tls-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const crt = file('tls.crt', 'CERT');
const key = file('tls.key', 'KEY');
const ca = file('ca.crt', 'CA');

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (isCfmError(e)) return e.location.field;
    throw e;
  }
  return undefined;
}

describe('connectionSecurity (TLS / API key of worker and scheduler connections)', () => {
  it('is plain text when nothing is set', () => {
    expect(connectionSecurity({}, {})).toEqual({});
  });

  it('reads mTLS files and the CA from the TEMPORAL_TLS_* variables', () => {
    const s = connectionSecurity(
      {},
      { TEMPORAL_TLS_CERT: crt, TEMPORAL_TLS_KEY: key, TEMPORAL_TLS_CA: ca, TEMPORAL_TLS_SERVER_NAME: 'temporal.internal' },
    );
    expect(s.apiKey).toBeUndefined();
    const tls = s.tls as { clientCertPair: { crt: Buffer; key: Buffer }; serverRootCACertificate: Buffer; serverNameOverride: string };
    expect(tls.clientCertPair.crt.toString()).toBe('CERT');
    expect(tls.clientCertPair.key.toString()).toBe('KEY');
    expect(tls.serverRootCACertificate.toString()).toBe('CA');
    expect(tls.serverNameOverride).toBe('temporal.internal');
  });

  it('a flag wins over its variable; an empty variable is unset', () => {
    const other = file('other-ca.crt', 'OTHER');
    const s = connectionSecurity({ tlsCa: other }, { TEMPORAL_TLS_CA: ca, TEMPORAL_API_KEY: '' });
    expect((s.tls as { serverRootCACertificate: Buffer }).serverRootCACertificate.toString()).toBe('OTHER');
    expect(s.apiKey).toBeUndefined();
  });

  it('an API key turns TLS on (system roots) unless TEMPORAL_TLS=false', () => {
    expect(connectionSecurity({}, { TEMPORAL_API_KEY: 'k1' })).toEqual({ tls: true, apiKey: 'k1' });
    expect(connectionSecurity({}, { TEMPORAL_API_KEY: 'k1', TEMPORAL_TLS: 'false' })).toEqual({ tls: false, apiKey: 'k1' });
    expect(connectionSecurity({ apiKey: 'k2' }, { TEMPORAL_API_KEY: 'k1', TEMPORAL_TLS_CA: ca }).apiKey).toBe('k2');
    expect(connectionSecurity({}, { TEMPORAL_TLS: 'true' })).toEqual({ tls: true });
  });

  it('refuses half a certificate pair, a missing file, a bad switch and TLS off with certificates, naming the setting', () => {
    expect(fieldOf(() => connectionSecurity({}, { TEMPORAL_TLS_CERT: crt }))).toBe('TEMPORAL_TLS_KEY');
    expect(fieldOf(() => connectionSecurity({}, { TEMPORAL_TLS_KEY: key }))).toBe('TEMPORAL_TLS_CERT');
    expect(fieldOf(() => connectionSecurity({}, { TEMPORAL_TLS_CA: join(dir, 'missing.crt') }))).toBe('TEMPORAL_TLS_CA');
    expect(fieldOf(() => connectionSecurity({ tlsCert: join(dir, 'missing.crt'), tlsKey: key }, {}))).toBe('--tls-cert');
    expect(fieldOf(() => connectionSecurity({}, { TEMPORAL_TLS: 'yes' }))).toBe('TEMPORAL_TLS');
    expect(fieldOf(() => connectionSecurity({ tls: 'false' }, { TEMPORAL_TLS_CA: ca }))).toBe('--tls');
  });
});
