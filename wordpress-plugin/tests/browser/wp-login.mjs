// Signing in to the test site on wp-login.php, shared by the Chromium tests.

import assert from 'node:assert/strict';

/**
 * Signs `page` in as `user`. Waits for the redirect away from the login page (not for the
 * first navigation event, which may be the form's own) and, when it does not come, fails with
 * what the page said.
 */
export async function signIn(page, wp, user, pass) {
  await page.goto(`${wp}/wp-login.php`);
  await page.fill('#user_login', user);
  await page.fill('#user_pass', pass);
  await page.click('#wp-submit');
  try {
    await page.waitForURL((u) => !u.pathname.endsWith('/wp-login.php'), { timeout: 20000 });
  } catch (e) {
    const said = await page.textContent('#login_error, .message, body').catch(() => '');
    assert.fail(`signed in as ${user}: still on ${page.url()}: ${String(said).trim().slice(0, 300)}`);
  }
}
