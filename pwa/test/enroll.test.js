// @vitest-environment jsdom
// Signing a phone in with a printed enrollment slip (#/enroll/<code>): the phone's client
// id goes with the code, a lost answer is retried with the same id, and a refused slip
// (used on another phone, expired, revoked) says what to do, above the password form.
import { describe, expect, it, vi } from 'vitest';
import { enrollIn } from '../src/auth.js';
import { META, getMeta } from '../src/db.js';
import { enrollCodeIn } from '../src/router.js';
import { render as renderLogin } from '../src/views/login.js';
import { createFakeServer } from './fake-server.js';
import { makePhone } from './helpers.js';

const CODE = 'Qm9vdHN0cmFwLWNvZGUtMTIz';

function enrollRequests(server) {
  return server.requests.filter((r) => r.path === '/auth/enroll').map((r) => r.body);
}

describe('enrollment slips', () => {
  it('finds the code in the address the QR code opens, and nothing else', () => {
    expect(enrollCodeIn(`#/enroll/${CODE}`)).toBe(CODE);
    expect(enrollCodeIn(`#/enroll/${CODE}/`)).toBe(CODE);
    expect(enrollCodeIn('#/')).toBeNull();
    expect(enrollCodeIn('#/enroll/')).toBeNull();
    expect(enrollCodeIn('#/enroll/a b')).toBeNull();
  });

  it('signs in with the code and the phone keeps the client id the slip is bound to', async () => {
    const server = createFakeServer();
    server.issueSlip(CODE);
    const phone = await makePhone(server, { login: false });
    const res = await enrollIn(phone.db, phone.api, phone.session, CODE);
    expect(res).toMatchObject({ ok: true, user: { username: 'liaison1' } });
    const [sent] = enrollRequests(server);
    expect(sent.code).toBe(CODE);
    const client = await getMeta(phone.db, META.client);
    expect(client).toMatchObject({ client_id: sent.client_id, user_id: 4 });
    expect(server.slips.get(CODE).client_id).toBe(sent.client_id);
    expect(await getMeta(phone.db, META.enrollClient)).toBeNull();
    // then exactly as after a password login: the first sync runs with that client id
    const result = await phone.engine.sync('manual');
    expect(result.ok).toBe(true);
    const pull = server.requests.find((r) => r.path === '/sync/pull');
    expect(pull.auth).toMatch(/^access-/);
  });

  it('retries a lost answer with the same client id, which the server accepts', async () => {
    const server = createFakeServer();
    server.issueSlip(CODE);
    const phone = await makePhone(server, { login: false });
    server.failNext = { path: '/auth/enroll', network: true };
    const lost = await enrollIn(phone.db, phone.api, phone.session, CODE);
    expect(lost).toMatchObject({ ok: false, status: 0 });
    server.slips.get(CODE).client_id = (await getMeta(phone.db, META.enrollClient)).client_id; // it did arrive
    const again = await enrollIn(phone.db, phone.api, phone.session, CODE);
    expect(again.ok).toBe(true);
    const [first, second] = enrollRequests(server);
    expect(second.client_id).toBe(first.client_id);
  });

  it('refuses the same slip on a second phone and says what to do', async () => {
    const server = createFakeServer();
    server.issueSlip(CODE);
    const first = await makePhone(server, { login: false });
    expect((await enrollIn(first.db, first.api, first.session, CODE)).ok).toBe(true);
    const second = await makePhone(server, { login: false });
    const afterLogin = vi.fn();
    const page = await renderLogin({ db: second.db, api: second.api, session: second.session, afterLogin },
      { enrollCode: CODE });
    document.body.append(page);
    await vi.waitFor(() => expect(page.querySelector('[data-testid=enroll-error]')).not.toBeNull());
    expect(page.querySelector('[data-testid=enroll-error]').textContent)
      .toBe('这张登录单已经在另一部手机上用过，不能再用。请找乡镇民政办重新打印登录单。');
    expect(page.querySelector('[data-testid=login-form]')).not.toBeNull(); // the password login stays
    expect(afterLogin).not.toHaveBeenCalled();
    expect(await second.session.user()).toBeFalsy();
    page.remove();
  });

  it.each([
    [{ expired: true }, '这张登录单已过期。请找乡镇民政办重新打印登录单。'],
    [{ revoked: true }, '这张登录单已作废。请找乡镇民政办重新打印登录单。'],
  ])('tells an expired or revoked slip apart (%o)', async (state, message) => {
    const server = createFakeServer();
    server.issueSlip(CODE, state);
    const phone = await makePhone(server, { login: false });
    const page = await renderLogin({ ...phone, afterLogin: vi.fn() }, { enrollCode: CODE });
    await vi.waitFor(() => expect(page.querySelector('[data-testid=enroll-error]')?.textContent).toBe(message));
  });

  it('goes on as after a password login when the slip is good', async () => {
    const server = createFakeServer();
    server.issueSlip(CODE);
    const phone = await makePhone(server, { login: false });
    const afterLogin = vi.fn();
    const page = await renderLogin({ ...phone, afterLogin }, { enrollCode: CODE });
    expect(page.querySelector('[data-testid=enroll-status]').textContent).toBe('正在用登录单登录…');
    await vi.waitFor(() => expect(afterLogin).toHaveBeenCalled());
    expect(afterLogin.mock.calls[0][0]).toMatchObject({ username: 'liaison1', role: 'liaison' });
    expect((await phone.session.load()).access_token).toMatch(/^access-/);
  });

  it('signs an expired login in again with the phone\'s own client id, its outbox kept', async () => {
    const server = createFakeServer();
    server.issueSlip(CODE);
    const phone = await makePhone(server); // signed in by password earlier
    const client = await getMeta(phone.db, META.client);
    await phone.db.outbox.add({ id: 1, entity: 'visit', op: 'upsert', record_id: 'x', data: {} });
    await phone.session.save({ ...(await phone.session.load()), needs_login: true });
    const res = await enrollIn(phone.db, phone.api, phone.session, CODE);
    expect(res.ok).toBe(true);
    expect(enrollRequests(server)[0].client_id).toBe(client.client_id);
    expect((await getMeta(phone.db, META.client)).client_id).toBe(client.client_id);
    expect(await phone.db.outbox.count()).toBe(1);
    expect(await phone.session.needsLogin()).toBe(false);
  });

  it('says so when the phone is offline', async () => {
    const server = createFakeServer();
    server.issueSlip(CODE);
    const phone = await makePhone(server, { login: false });
    server.failNext = { path: '/auth/enroll', network: true };
    const page = await renderLogin({ ...phone, afterLogin: vi.fn() }, { enrollCode: CODE });
    await vi.waitFor(() => expect(page.querySelector('[data-testid=enroll-error]')?.textContent)
      .toBe('现在没有网络。用登录单登录需要联网，请到有信号的地方再扫一次二维码。'));
  });
});
