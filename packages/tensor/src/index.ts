export { initBackend, backendInfo, loadNative, resolvePreference } from './backend';
export type { BackendName, BackendInfo, InitBackendOptions } from './backend';
