import { CfmError } from '@cfm/core';

/** How this process reaches S3 (or an S3-compatible server). Each process reads its own environment. */
export interface S3Settings {
  /** http(s)://host:port of an S3-compatible server (CFM_S3_ENDPOINT); undefined: AWS's regional endpoint */
  endpoint?: string;
  /** AWS_REGION (default us-east-1; S3-compatible servers ignore it but the signature needs one) */
  region: string;
  /** path-style addressing (`endpoint/bucket/key`): on by default with an endpoint (CFM_S3_PATH_STYLE=0|1 overrides) */
  forcePathStyle: boolean;
  /** AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN); undefined: the SDK's default chain (profile, web identity, instance role) */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** multipart part size in bytes (CFM_S3_PART_MB, default 16; at least 5 MiB on AWS) */
  partSize: number;
  /** files larger than this go up in parts (default: 2 parts' worth) */
  multipartThreshold: number;
  /** parallel part / object transfers (CFM_S3_CONCURRENCY, default 4) */
  concurrency: number;
}

const MiB = 1024 * 1024;

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0) throw new CfmError('CFM_E_CONFIG', `${name}=${raw} is not a positive number`, { field: name });
  return v;
}

/** S3 settings from an environment (default: this process's). */
export function s3SettingsFromEnv(env: NodeJS.ProcessEnv = process.env): S3Settings {
  const endpoint = env.CFM_S3_ENDPOINT || undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^/]+/.test(endpoint)) {
    throw new CfmError('CFM_E_CONFIG', `CFM_S3_ENDPOINT=${endpoint} is not an http(s):// URL`, { field: 'CFM_S3_ENDPOINT' });
  }
  const pathStyle = env.CFM_S3_PATH_STYLE;
  if (pathStyle !== undefined && pathStyle !== '' && pathStyle !== '0' && pathStyle !== '1') {
    throw new CfmError('CFM_E_CONFIG', `CFM_S3_PATH_STYLE=${pathStyle} (0 or 1)`, { field: 'CFM_S3_PATH_STYLE' });
  }
  const id = env.AWS_ACCESS_KEY_ID;
  const secret = env.AWS_SECRET_ACCESS_KEY;
  if (!!id !== !!secret) {
    throw new CfmError('CFM_E_CONFIG', 'set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither', {
      field: id ? 'AWS_SECRET_ACCESS_KEY' : 'AWS_ACCESS_KEY_ID',
    });
  }
  const partSize = Math.round(positive(env, 'CFM_S3_PART_MB', 16) * MiB);
  return {
    endpoint,
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    forcePathStyle: pathStyle ? pathStyle === '1' : endpoint !== undefined,
    credentials:
      id && secret
        ? { accessKeyId: id, secretAccessKey: secret, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) }
        : undefined,
    partSize,
    multipartThreshold: 2 * partSize,
    concurrency: Math.max(1, Math.floor(positive(env, 'CFM_S3_CONCURRENCY', 4))),
  };
}
