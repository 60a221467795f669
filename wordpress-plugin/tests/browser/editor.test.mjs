// The plugin's blocks in WordPress's real block editor (wp-admin/post-new.php) in Debian's
// Chromium: the editor script loads with its dependencies and no error, the blocks carry their
// block.json metadata, the portal and sign-up blocks are inserted through the editor's data API
// and shown (inert) as the server renders them, the post saves, and the published page renders
// both; a visitor applies with the sign-up block once the program takes applications. Then the
// same editor for a user whose language is Vietnamese: block titles translated on the server, the
// editor script's strings from its JSON translations, the preview in Vietnamese.
// Needs WP_URL, WP_DOCROOT, WP_ADMIN_USER and WP_ADMIN_PASS (test-wordpress.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';
import { signIn as signInAt } from './wp-login.mjs';

const WP = process.env.WP_URL;

/** Runs PHP inside the test site (for what the REST API cannot set, such as a user's locale). */
const wpPhp = (code) =>
  execFileSync(
    'php',
    ['-r', `$u = parse_url( getenv( 'WP_URL' ) ); $_SERVER['HTTP_HOST'] = $u['host'] . ':' . $u['port']; require getenv( 'WP_DOCROOT' ) . '/wp-load.php'; ${code}`],
    { encoding: 'utf8' },
  );

const launch = () =>
  chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });

const signIn = (page, user, pass) => signInAt(page, WP, user, pass);

/** Opens a new post of a type in the block editor and waits until it is ready. */
async function openEditor(page, type) {
  await page.goto(`${WP}/wp-admin/post-new.php?post_type=${type}`);
  await page.waitForFunction(() => window.wp?.data?.select('core/editor')?.getCurrentPostId() && window.wp.blocks.getBlockType('core/paragraph'), null, { timeout: 60000 });
}

/** Collects the page's script errors and failed requests to this site. */
function watch(page) {
  const problems = [];
  page.on('pageerror', (e) => problems.push(`script error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/ERR_NAME_NOT_RESOLVED|ERR_INTERNET_DISCONNECTED/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.url().startsWith(WP) && r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
  });
  return problems;
}

test('the portal and sign-up blocks in the block editor: inserted, saved and rendered on the page', async () => {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const problems = watch(page);
    await signIn(page, process.env.WP_ADMIN_USER, process.env.WP_ADMIN_PASS);
    await openEditor(page, 'page');

    // The editor script and the block.json metadata.
    const types = await page.evaluate(() =>
      ['reftrail/portal', 'reftrail/register'].map((name) => {
        const t = window.wp.blocks.getBlockType(name);
        return t && { name, title: t.title, category: t.category, apiVersion: t.apiVersion, multiple: t.supports.multiple, html: t.supports.html, hasEdit: typeof t.edit === 'function' };
      }),
    );
    assert.deepEqual(types, [
      { name: 'reftrail/portal', title: 'Affiliate portal', category: 'widgets', apiVersion: 2, multiple: false, html: false, hasEdit: true },
      { name: 'reftrail/register', title: 'Affiliate sign-up', category: 'widgets', apiVersion: 2, multiple: false, html: false, hasEdit: true },
    ]);
    const inserter = await page.evaluate(() => window.wp.data.select('core/block-editor').getInserterItems().filter((i) => i.name.startsWith('reftrail/')).map((i) => i.title).sort());
    assert.deepEqual(inserter, ['Affiliate portal', 'Affiliate sign-up']);

    // Insert both blocks the way the inserter does, then title and publish the page.
    const title = `Affiliates ${Date.now().toString(36)}`;
    await page.evaluate((t) => {
      const { createBlock } = window.wp.blocks;
      window.wp.data.dispatch('core/block-editor').insertBlocks([createBlock('reftrail/portal'), createBlock('reftrail/register')]);
      window.wp.data.dispatch('core/editor').editPost({ title: t, status: 'publish' });
    }, title);

    // The editor shows each block's server rendering, inert, under the editor's note.
    const portal = page.locator('.wp-block[data-type="reftrail/portal"]');
    const register = page.locator('.wp-block[data-type="reftrail/register"]');
    await portal.locator('.reftrail-portal').waitFor({ timeout: 30000 });
    await register.locator('form.reftrail-register').waitFor({ timeout: 30000 });
    assert.match(await portal.locator('.reftrail-block-note').innerText(), /Signed-in affiliates see their own links/);
    assert.equal(await register.locator('.components-disabled form.reftrail-register').count(), 1, 'the sign-up form is inert in the editor');

    await page.evaluate(() => window.wp.data.dispatch('core/editor').savePost());
    await page.waitForFunction(() => {
      const s = window.wp.data.select('core/editor');
      return !s.isSavingPost() && !s.isEditedPostDirty() && s.getCurrentPost().status === 'publish';
    }, null, { timeout: 30000 });
    const saved = await page.evaluate(() => {
      const s = window.wp.data.select('core/editor');
      return { content: s.getEditedPostContent(), link: s.getCurrentPost().link, failed: s.didPostSaveRequestFail() };
    });
    assert.equal(saved.failed, false);
    assert.match(saved.content, /<!-- wp:reftrail\/portal \/-->/);
    assert.match(saved.content, /<!-- wp:reftrail\/register \/-->/);
    assert.deepEqual(problems, [], 'the editor loaded and saved without errors');

    // The published page, for the signed-in owner (not an affiliate) and for a visitor.
    await page.goto(saved.link);
    assert.match(await page.locator('.reftrail-portal').innerText(), /Sign in with your affiliate account/);
    assert.equal(await page.locator('form.reftrail-register input[name="_reftrail_nonce"]').count(), 1, 'the sign-up form carries its nonce');
    assert.equal(await page.locator('form.reftrail-register input[name="reftrail_id"]').count(), 1);
    // A visitor: no applications while the program takes none, then it does and they apply with the
    // same block, the one form on the page.
    const setApplications = (mode) =>
      wpPhp(`$p = Reftrail_Program::get(); unset( $p['webhook_secret'] ); $p['applications'] = '${mode}'; Reftrail_Program::put( $p, 'secret_key' );`);
    const was = wpPhp(`echo Reftrail_Program::get()['applications'];`);
    setApplications('closed');
    try {
      const visitor = await browser.newPage();
      await visitor.goto(saved.link);
      assert.match(await visitor.locator('p.reftrail-portal').innerText(), /Sign in with your affiliate account/);
      assert.match(await visitor.locator('p.reftrail-register').innerText(), /not taking applications/);
      assert.equal(await visitor.locator('form.reftrail-register').count(), 0);
      setApplications('review');
      await visitor.goto(saved.link);
      const form = visitor.locator('form.reftrail-apply');
      assert.equal(await form.count(), 1, 'the portal leaves the form to the sign-up block on its page');
      const tag = Date.now().toString(36);
      const email = `visitor-${tag}@example.test`;
      await form.locator('input[name="reftrail_apply_name"]').fill(`Vi Sitor ${tag}`);
      await form.locator('input[name="reftrail_apply_email"]').fill(email);
      await form.locator('textarea[name="reftrail_apply_message"]').fill('A blog about shoes.\nAnd a channel.');
      await form.locator('select[name="reftrail_apply_category"]').selectOption('content');
      await Promise.all([visitor.waitForNavigation(), form.locator('button[type="submit"]').click()]);
      assert.match(await visitor.locator('p.reftrail-applied').innerText(), /We have your application/);
      const made = JSON.parse(wpPhp(`echo wp_json_encode( Reftrail_Affiliates::index( '', '', 10, 0, '${email}' )['affiliates'] );`));
      assert.deepEqual(
        made.map((a) => [a.id, a.name, a.status, a.category, a.application.message]),
        [[`vi-sitor-${tag}`, `Vi Sitor ${tag}`, 'pending', 'content', 'A blog about shoes.\r\nAnd a channel.']],
      );
    } finally {
      setApplications(was.trim() || 'closed');
    }
  } finally {
    await browser.close();
  }
});

test('in Vietnamese: block titles from block.json, the editor script strings and the preview translated', async () => {
  const login = `vi_admin_${Date.now().toString(36)}`;
  const pass = `pw-${Math.random().toString(36).slice(2)}-A1`;
  wpPhp(`$id = wp_insert_user( array( 'user_login' => '${login}', 'user_pass' => '${pass}', 'user_email' => '${login}@example.test', 'role' => 'administrator', 'locale' => 'vi' ) ); if ( is_wp_error( $id ) ) { fwrite( STDERR, $id->get_error_message() ); exit( 1 ); }`);
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const problems = watch(page);
    await signIn(page, login, pass);
    await openEditor(page, 'post');
    const titles = await page.evaluate(() => ['reftrail/portal', 'reftrail/register'].map((n) => window.wp.blocks.getBlockType(n)?.title));
    assert.deepEqual(titles, ['Cổng cộng tác viên', 'Đăng ký cộng tác viên']);
    await page.evaluate(() => window.wp.data.dispatch('core/block-editor').insertBlocks([window.wp.blocks.createBlock('reftrail/portal')]));
    const portal = page.locator('.wp-block[data-type="reftrail/portal"]');
    await portal.locator('.reftrail-portal').waitFor({ timeout: 30000 });
    assert.match(await portal.locator('.reftrail-block-note').innerText(), /Cộng tác viên đã đăng nhập sẽ thấy liên kết/);
    assert.match(await portal.locator('.reftrail-portal').innerText(), /Đăng nhập bằng tài khoản cộng tác viên/);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    wpPhp(`require_once ABSPATH . 'wp-admin/includes/user.php'; $u = get_user_by( 'login', '${login}' ); if ( $u ) { wp_delete_user( $u->ID ); }`);
  }
});
