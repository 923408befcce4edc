// When the phone may say it is ready to work offline (src/offline.js).
import { describe, expect, it } from 'vitest';
import { RETRY_MS, offlineReadiness, watchOfflineCode } from '../src/offline.js';
import { MESSAGE } from '../src/sw/offline-bundle.js';

const code = (done, total, { controlled = true, failed = 0 } = {}) => ({ controlled, done, total, failed });

describe('offline readiness', () => {
  it('is ready only with all the code and the first sync on the phone', () => {
    expect(offlineReadiness({ code: code(24, 24), synced: true })).toEqual({ ready: true, stage: 'ready', text: '' });
    expect(offlineReadiness({ code: code(23, 24), synced: true }).ready).toBe(false);
    expect(offlineReadiness({ code: code(24, 24), synced: false }).ready).toBe(false);
    expect(offlineReadiness({ code: code(24, 24, { controlled: false }), synced: true }).ready).toBe(false);
    // the worker has not answered yet: not ready
    expect(offlineReadiness({ code: code(0, 0), synced: true })).toMatchObject({ ready: false, stage: 'code', text: '正在准备离线使用…' });
  });

  it('says how far the download is, in words', () => {
    expect(offlineReadiness({ code: code(5, 12), synced: true }).text).toBe('正在准备离线使用…（已下载 5/12）');
    expect(offlineReadiness({ code: code(5, 12), synced: false, online: false }).text).toBe('还不能离线使用（已下载 5/12），连上网后会接着下载');
    expect(offlineReadiness({ code: code(5, 12, { failed: 2 }), synced: true }).text).toContain('连上网后会接着下载');
    expect(offlineReadiness({ code: code(12, 12), synced: false })).toMatchObject({ stage: 'data', text: '正在准备离线使用…（正在下载名单）' });
    expect(offlineReadiness({ code: code(12, 12), synced: false, online: false }).text).toContain('名单还没下载');
  });

  it('without a service worker there is no code to wait for, only the data', () => {
    expect(offlineReadiness({ code: null, synced: true }).ready).toBe(true);
    expect(offlineReadiness({ code: null, synced: false }).stage).toBe('data');
  });
});

function fakeContainer({ controlled = true } = {}) {
  const listeners = {};
  const sent = [];
  return {
    sent,
    controller: controlled ? { postMessage: (message) => sent.push(message) } : null,
    addEventListener(type, fn) { (listeners[type] ??= []).push(fn); },
    emit(type, event = {}) { for (const fn of listeners[type] || []) fn(event); },
  };
}

describe('following the worker’s download', () => {
  it('asks the controlling worker at once, hears its progress, asks again when it takes over or the phone is online', () => {
    const container = fakeContainer();
    const target = fakeContainer();
    const changes = [];
    const watch = watchOfflineCode(container, { onChange: (state) => changes.push(state), target });
    expect(container.sent).toEqual([{ type: MESSAGE.prepare }]);
    container.emit('message', { data: { type: MESSAGE.progress, done: 3, total: 9, failed: 0 } });
    container.emit('message', { data: { type: 'SOMETHING_ELSE' } });
    expect(watch.state()).toEqual({ controlled: true, done: 3, total: 9, failed: 0 });
    expect(changes).toHaveLength(1);
    target.emit('online');
    container.emit('controllerchange');
    expect(container.sent).toHaveLength(3);
    container.emit('message', { data: { type: MESSAGE.progress, done: 9, total: 9, failed: 0 } });
    target.emit('online'); // complete: nothing more to ask
    expect(container.sent).toHaveLength(3);
  });

  it('tries again a little later when a download ends with files missing while online', () => {
    const container = fakeContainer();
    const timers = [];
    const target = { ...fakeContainer(), navigator: { onLine: true }, setTimeout: (fn, ms) => timers.push({ fn, ms }) };
    watchOfflineCode(container, { target });
    container.emit('message', { data: { type: MESSAGE.progress, done: 5, total: 9, failed: 1 } }); // still going
    expect(timers).toEqual([]);
    container.emit('message', { data: { type: MESSAGE.progress, done: 8, total: 9, failed: 1 } }); // ended short
    expect(timers).toHaveLength(1);
    expect(timers[0].ms).toBe(RETRY_MS);
    timers[0].fn();
    expect(container.sent).toHaveLength(2);
    target.navigator.onLine = false;
    container.emit('message', { data: { type: MESSAGE.progress, done: 8, total: 9, failed: 1 } });
    expect(timers).toHaveLength(1); // offline: the 'online' event asks instead
  });

  it('before a worker controls the page it waits for one', () => {
    const container = fakeContainer({ controlled: false });
    const watch = watchOfflineCode(container, { target: fakeContainer() });
    expect(watch.state().controlled).toBe(false);
    expect(container.sent).toEqual([]);
    expect(watchOfflineCode(null).state()).toBeNull();
  });
});
