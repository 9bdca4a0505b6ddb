import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isCfmError } from '@cfm/core';
import { s3SettingsFromEnv } from './config';
import { formatUri, joinUri, localPath, parseUri, toUri } from './uri';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return isCfmError(e) ? `${e.code}:${e.location.field}` : String(e);
  }
  return 'no error';
};

describe('URIs', () => {
  it('parses file URIs, plain paths and s3 URIs', () => {
    expect(parseUri('file:///data/run%201/x.json')).toEqual({ scheme: 'file', path: '/data/run 1/x.json' });
    expect(parseUri('rel/dir')).toEqual({ scheme: 'file', path: resolve('rel/dir') });
    expect(parseUri('s3://my-bucket/runs/a/')).toEqual({ scheme: 's3', bucket: 'my-bucket', key: 'runs/a/' });
    expect(parseUri('s3://my-bucket')).toEqual({ scheme: 's3', bucket: 'my-bucket', key: '' });
    expect(toUri('/data/run 1')).toBe('file:///data/run%201');
    expect(formatUri(parseUri('s3://b1x/k'))).toBe('s3://b1x/k');
  });

  it('joins relative parts and refuses escapes', () => {
    expect(joinUri('s3://bkt/runs/', 'a', 'b/c.json')).toBe('s3://bkt/runs/a/b/c.json');
    expect(joinUri('s3://bkt', 'x')).toBe('s3://bkt/x');
    expect(joinUri('/tmp/w', 'models', 'm1')).toBe('file:///tmp/w/models/m1');
    expect(code(() => joinUri('s3://bkt/runs', '../other'))).toBe('CFM_E_PATH_ESCAPE:uri');
    expect(code(() => joinUri('/tmp/w', '/etc'))).toBe('CFM_E_PATH_ESCAPE:uri');
  });

  it('refuses unknown schemes, bad buckets and dot segments', () => {
    expect(code(() => parseUri('gs://b/x'))).toBe('CFM_E_CONFIG:uri');
    expect(code(() => parseUri('s3://B_ad/x'))).toBe('CFM_E_CONFIG:uri');
    expect(code(() => parseUri('s3://bkt/a/../b'))).toBe('CFM_E_PATH_ESCAPE:uri');
    expect(code(() => parseUri(''))).toBe('CFM_E_CONFIG:uri');
    expect(code(() => localPath('s3://bkt/a'))).toBe('CFM_E_CONFIG:uri');
    expect(localPath('file:///a/b')).toBe('/a/b');
  });
});

describe('S3 settings from the environment', () => {
  it('reads the endpoint, region, keys and path style', () => {
    const s = s3SettingsFromEnv({
      CFM_S3_ENDPOINT: 'http://127.0.0.1:9000',
      AWS_ACCESS_KEY_ID: 'id',
      AWS_SECRET_ACCESS_KEY: 'sk',
      AWS_REGION: 'eu-west-1',
      CFM_S3_PART_MB: '8',
    });
    expect(s).toMatchObject({
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-west-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'id', secretAccessKey: 'sk' },
      partSize: 8 << 20,
      multipartThreshold: 16 << 20,
    });
    const aws = s3SettingsFromEnv({});
    expect(aws).toMatchObject({ endpoint: undefined, region: 'us-east-1', forcePathStyle: false, credentials: undefined });
    expect(s3SettingsFromEnv({ CFM_S3_ENDPOINT: 'https://s3.local:443', CFM_S3_PATH_STYLE: '0' }).forcePathStyle).toBe(false);
  });

  it('refuses half credentials and malformed values, naming the variable', () => {
    expect(code(() => s3SettingsFromEnv({ AWS_ACCESS_KEY_ID: 'id' }))).toBe('CFM_E_CONFIG:AWS_SECRET_ACCESS_KEY');
    expect(code(() => s3SettingsFromEnv({ CFM_S3_ENDPOINT: '127.0.0.1:9000' }))).toBe('CFM_E_CONFIG:CFM_S3_ENDPOINT');
    expect(code(() => s3SettingsFromEnv({ CFM_S3_PART_MB: '-1' }))).toBe('CFM_E_CONFIG:CFM_S3_PART_MB');
    expect(code(() => s3SettingsFromEnv({ CFM_S3_PATH_STYLE: 'yes' }))).toBe('CFM_E_CONFIG:CFM_S3_PATH_STYLE');
  });
});
