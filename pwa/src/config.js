// Build-time constants. __APP_VERSION__ is replaced by Vite (see vite.config.js).
/* global __APP_VERSION__ */
export const APP_VERSION = typeof __APP_VERSION__ === 'string' ? __APP_VERSION__ : '0.0.0-dev';
// The push envelope's schema_version; bump only with a server that understands both.
export const SCHEMA_VERSION = 1;
export const API_BASE = '/api/v1';
export const COUNTY_TZ = 'Asia/Shanghai';
export const VISIT_DAY = 18;
export const GRACE_DAYS = 3;
export const PUSH_BATCH = 100;
export const PUSH_MAX_BYTES = 4 * 1024 * 1024;
export const PULL_LIMIT = 500;
export const SYNC_INTERVAL_MS = 5 * 60 * 1000;
export const PHOTO_MAX_SIDE = 1280;
export const PHOTO_MAX_BYTES = 2 * 1024 * 1024;
export const MAX_PHOTOS = 9;
export const DRAFT_DELAY_MS = 600;
export const LOW_STORAGE_BYTES = 50 * 1024 * 1024;
