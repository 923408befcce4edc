// @vitest-environment jsdom
import { describe, expect, it, vi } from 'vitest';
import { passwordForm } from '../src/views/password-form.js';

function setUp(answer) {
  const calls = [];
  const app = {
    session: { call: async (name, body) => { calls.push([name, body]); return answer(body); } },
    toast: vi.fn(),
  };
  const done = vi.fn();
  const form = passwordForm(app, { done });
  document.body.append(form);
  const fill = (current, next, again) => {
    form.querySelector('[data-testid=pw-current]').value = current;
    form.querySelector('[data-testid=pw-new]').value = next;
    form.querySelector('[data-testid=pw-again]').value = again;
    form.dispatchEvent(new Event('submit', { cancelable: true }));
  };
  const error = (name) => form.querySelector(`[data-testid=pw-${name}-error]`);
  return { app, calls, done, form, fill, error };
}

describe('change password', () => {
  it('checks the two new passwords match before asking the server', async () => {
    const { calls, fill, error } = setUp(() => ({ ok: true, status: 204 }));
    fill('old', 'Qingshan-ridge-7731', 'Qingshan-ridge-7732');
    await vi.waitFor(() => expect(error('again').hidden).toBe(false));
    expect(error('again').textContent).toBe('两次输入的新密码不一致');
    expect(calls).toEqual([]);
  });

  it("shows the server's field errors under their fields", async () => {
    const { fill, error, done } = setUp(() => ({
      ok: false, status: 422, error: { errors: { current_password: ['密码不正确'] } },
    }));
    fill('wrong', 'Qingshan-ridge-7731', 'Qingshan-ridge-7731');
    await vi.waitFor(() => expect(error('current').textContent).toBe('密码不正确'));
    expect(error('new').hidden).toBe(true);
    expect(done).not.toHaveBeenCalled();
  });

  it('says the phone is offline when it is', async () => {
    const { fill, form } = setUp(() => ({ ok: false, status: 0 }));
    fill('old', 'Qingshan-ridge-7731', 'Qingshan-ridge-7731');
    await vi.waitFor(() => expect(form.querySelector('[data-testid=pw-error]').textContent).toBe('需要联网才能修改密码'));
  });

  it('sends both passwords, clears the fields and goes back when the server agrees', async () => {
    const { calls, fill, form, done, app } = setUp(() => ({ ok: true, status: 204 }));
    fill('old-one', 'Qingshan-ridge-7731', 'Qingshan-ridge-7731');
    await vi.waitFor(() => expect(done).toHaveBeenCalled());
    expect(calls).toEqual([['changePassword', { current_password: 'old-one', new_password: 'Qingshan-ridge-7731' }]]);
    expect(app.toast).toHaveBeenCalledWith('密码已修改');
    expect(form.querySelector('[data-testid=pw-new]').value).toBe('');
  });
});
