// The TLS / API key options reach the wire: a local gRPC-over-TLS endpoint (Node http2, certificates made with
// openssl for this test) that demands a client certificate records what each connection presents. Both the
// worker's NativeConnection (Rust core) and the scheduler's Connection (grpc-js) are checked.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createSecureServer } from 'node:http2';
import type { Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { connectionSecurity } from '@cfm/scheduler';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'cfm-tls-e2e-'));
const seen: Array<{ path: string; authorization?: string; clientCN?: string }> = [];
let server: Http2SecureServer;
let address = '';

function makeCerts(): void {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  writeFileSync(join(dir, 'ca.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n');
  writeFileSync(
    join(dir, 'server.ext'),
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:temporal.test\n',
  );
  writeFileSync(
    join(dir, 'client.ext'),
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n',
  );
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=cfm-test-ca',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  for (const who of ['server', 'client']) {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=cfm-${who}`);
    ssl(
      'x509',
      '-req',
      '-in',
      `${who}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${who}.crt`,
      '-days',
      '2',
      '-extfile',
      `${who}.ext`,
    );
  }
}

beforeAll(async () => {
  if (!hasOpenssl) return;
  makeCerts();
  const f = (n: string) => readFileSync(join(dir, n));
  server = createSecureServer({
    key: f('server.key'),
    cert: f('server.crt'),
    ca: f('ca.crt'),
    requestCert: true,
    rejectUnauthorized: true,
  });
  server.on('stream', (stream, headers) => {
    const cert = (stream.session?.socket as TLSSocket | undefined)?.getPeerCertificate();
    seen.push({
      path: String(headers[':path']),
      authorization: headers.authorization as string | undefined,
      clientCN: cert?.subject?.CN as string | undefined,
    });
    // trailers-only gRPC answer: UNIMPLEMENTED (what an old server says to GetSystemInfo)
    stream.respond(
      { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12', 'grpc-message': 'test endpoint' },
      { endStream: true },
    );
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  if (server) await new Promise<void>((ok) => server.close(() => ok()));
});

const env = () => ({
  TEMPORAL_TLS_CERT: join(dir, 'client.crt'),
  TEMPORAL_TLS_KEY: join(dir, 'client.key'),
  TEMPORAL_TLS_CA: join(dir, 'ca.crt'),
  TEMPORAL_API_KEY: 'cfm-test-key',
  TEMPORAL_TLS_SERVER_NAME: 'temporal.test',
});

async function attempt(fn: () => Promise<{ close(): Promise<void> }>): Promise<void> {
  try {
    await (await fn()).close();
  } catch {
    // the endpoint answers every call with UNIMPLEMENTED; what matters is what it saw
  }
}

describe.skipIf(!hasOpenssl)('Temporal connections over mTLS with an API key', () => {
  it('the worker (NativeConnection) presents the client certificate and the API key', async () => {
    const before = seen.length;
    await attempt(() => NativeConnection.connect({ address, ...connectionSecurity({}, env()) }));
    const calls = seen.slice(before);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls[0].path).toMatch(/^\/temporal\.api\.workflowservice\.v1\.WorkflowService\//);
    expect(calls.every((c) => c.clientCN === 'cfm-client' && c.authorization === 'Bearer cfm-test-key')).toBe(true);
  }, 60_000);

  it('the scheduler (Connection) presents the client certificate and the API key', async () => {
    const before = seen.length;
    await attempt(() => Connection.connect({ address, connectTimeout: 5_000, ...connectionSecurity({}, env()) }));
    const calls = seen.slice(before);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((c) => c.clientCN === 'cfm-client' && c.authorization === 'Bearer cfm-test-key')).toBe(true);
  }, 60_000);

  it('without the CA the server is not trusted and nothing reaches it', async () => {
    const before = seen.length;
    const noCa = { ...env(), TEMPORAL_TLS_CA: '' }; // empty = unset
    await expect(NativeConnection.connect({ address, ...connectionSecurity({}, noCa) })).rejects.toThrow();
    expect(seen.length).toBe(before);
  }, 60_000);
});
