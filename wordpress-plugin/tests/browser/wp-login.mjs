// Signing in to the test site on wp-login.php, shared by the Chromium tests.

import assert from 'node:assert/strict';

/**
 * Signs `page` in as `user`. Waits for the redirect away from the login page (not for the
 * first navigation event, which may be the form's own) and, when it does not come, fails with
 * what the page said. wp-login.php focuses a field 200 ms after load and may empty the password
 * field then, undoing a quick fill: a form sent with an empty field ("The password field is
 * empty") is filled and sent again, at most three times.
 */
export async function signIn(page, wp, user, pass) {
  let said = '';
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    await page.goto(`${wp}/wp-login.php`);
    await page.fill('#user_login', user);
    await page.fill('#user_pass', pass);
    await page.click('#wp-submit');
    try {
      await page.waitForURL((u) => !u.pathname.endsWith('/wp-login.php'), { timeout: 20000 });
      return;
    } catch (e) {
      said = String(await page.textContent('#login_error, .message, body').catch(() => '')).trim();
      if (!/field is empty/.test(said)) break;
    }
  }
  assert.fail(`signed in as ${user}: still on ${page.url()}: ${said.slice(0, 300)}`);
}
