// Public surface of the Coffer API client.
export { ApiError, ConnectionError, createClient, type ApiResponse, type CallOptions, type Client, type ClientOptions, type Method, type RequestOptions, type Secret, type SecretAuth, type WrapInfo } from './client.js';
export { createSysApi, type InitRequest, type InitResponse, type KeyStatus, type LeaderStatus, type SealStatus, type SysApi } from './sys.js';
export { detectKvMount, joinMountFlag, kvV2Path, type KvApiPrefix, type KvMount, type KvVersion } from './kv.js';
export { cleanLeaseId, createLeaseApi, revokeRequest, type LeaseApi, type LeaseInfo, type LeaseRevokeOptions } from './leases.js';
