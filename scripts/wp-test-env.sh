#!/usr/bin/env bash
# wp-test-env.sh - a real WordPress on loopback for the Reftrail plugin's tests, fully scripted and
# idempotent: Debian's packages, a private MariaDB, a private copy of WordPress, the plugin activated.
#
#   scripts/wp-test-env.sh         # install (if needed), start MariaDB + web server, install WP
#   source "$WP_ENV_DIR/env.sh"    # WP_URL, WP_ADMIN_USER, WP_ADMIN_PASS, WP_APP_PASS, WP_DOCROOT, ...
#   scripts/wp-test-env-stop.sh    # stop both servers (by the PIDs this script recorded)
#
# Everything lives under $WP_ENV_DIR (private MariaDB datadir, private copy of Debian's WordPress,
# logs, PID files). Nothing listens on anything but 127.0.0.1. No systemd, no wp-cli, no network
# beyond Debian's apt repositories. Re-running it is cheap (~1 s) and changes nothing that is up.
#
# Settings (environment variables, all optional):
#   WP_ENV_DIR=${TMPDIR:-/tmp}/reftrail-wp   WP_HOST=127.0.0.1   WP_PORT=8081   DB_PORT=23061
#   WP_SERVER=php|apache          php = `php -S` + router.php (default); apache = apache2+mod_php in
#                                 the foreground as our own process (runs PHP as www-data)
#   WP_ADMIN_USER=admin WP_ADMIN_PASS=admin-password WP_ADMIN_EMAIL=admin@example.test
#   WP_PLUGIN_SRC="/path/to/plugin-dir ..."  symlinked into wp-content/plugins and activated
#                                 (default: wordpress-plugin/reftrail of this repository; "none": no plugin)
#   WP_SRC=/usr/share/wordpress   where the WordPress files are copied from (Debian package)
#   WP_SKIP_APT=1                 never call apt-get (fail if something is missing)
set -euo pipefail

WP_ENV_DIR=${WP_ENV_DIR:-${TMPDIR:-/tmp}/reftrail-wp}
WP_HOST=${WP_HOST:-127.0.0.1}
WP_PORT=${WP_PORT:-8081}
DB_PORT=${DB_PORT:-23061}
WP_SERVER=${WP_SERVER:-php}
WP_ADMIN_USER=${WP_ADMIN_USER:-admin}
WP_ADMIN_PASS=${WP_ADMIN_PASS:-admin-password}
WP_ADMIN_EMAIL=${WP_ADMIN_EMAIL:-admin@example.test}
WP_TITLE=${WP_TITLE:-WP Test Site}
WP_SRC=${WP_SRC:-/usr/share/wordpress}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WP_PLUGIN_SRC=${WP_PLUGIN_SRC:-$REPO/wordpress-plugin/reftrail}
[ "$WP_PLUGIN_SRC" = none ] && WP_PLUGIN_SRC=
DB_NAME=${DB_NAME:-wordpress}
DB_USER=${DB_USER:-wp}
DB_PASS=${DB_PASS:-wp}

WP_URL="http://$WP_HOST:$WP_PORT"
DB_DIR="$WP_ENV_DIR/db"
DB_SOCK="$DB_DIR/mysqld.sock"
DB_PIDFILE="$DB_DIR/mariadbd.pid"     # written by us (= PID of mariadbd)
SITE="$WP_ENV_DIR/site"
WEB_PIDFILE="$WP_ENV_DIR/web.pid"     # php -S master / apache2 parent; also its process group id
BIN="$WP_ENV_DIR/bin"

SECONDS=0
log() { printf '[wp-test-env %4ds] %s\n' "$SECONDS" "$*"; }
die() { echo "wp-test-env: ERROR: $*" >&2; exit 1; }
# alive PIDFILE: the recorded process exists and is ours ($WP_ENV_DIR on its command line).
alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null &&
          tr '\0' ' ' <"/proc/$(cat "$1")/cmdline" 2>/dev/null | grep -qF "$WP_ENV_DIR/"; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
db() { mariadb --no-defaults --socket="$DB_SOCK" -uroot; }   # SQL on stdin
# How the servers start (bash -c "$DAEMON" PIDFILE CMD...): record the PID, close every descriptor
# above stderr (a lock the caller holds, as with `flock LOCK scripts/wp-test-env.sh`, would
# otherwise stay held for as long as the servers run), then become the server.
DAEMON='echo $$ > "$0"; for fd in /proc/$$/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done; exec "$@"'

# ---------------------------------------------------------------------------------------------
# 1. Debian packages (only when something is missing)
# ---------------------------------------------------------------------------------------------
PKGS=(wordpress wordpress-theme-twentytwentythree php-cli php-mysql php-curl php-xml php-mbstring
      php-gd php-intl php-zip php-gmp php-bcmath mariadb-server mariadb-client phpunit gettext zip unzip
      curl ca-certificates bc)
[ "$WP_SERVER" = apache ] && PKGS+=(apache2 libapache2-mod-php)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "${WP_SKIP_APT:-}" = 1 ] && die "missing packages: ${missing[*]}"
  log "apt-get install ${missing[*]}"
  # Never let a package's postinst start system services (no systemd here; we run our own).
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Lock timeouts: another apt/dpkg run on the machine (e.g. a parallel install) is waited for.
  apt_opts=(-o DPkg::Lock::Timeout=600 -y -q --no-install-recommends)
  apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null 2>&1 ||
    { sleep 15; apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null; }
  # A second attempt covers a concurrent apt run whose docker-clean hook deleted our .debs mid-install.
  apt-get install "${apt_opts[@]}" "${missing[@]}" >"${TMPDIR:-/tmp}/reftrail-wp-apt.log" 2>&1 ||
    { log "apt-get install failed once (see ${TMPDIR:-/tmp}/reftrail-wp-apt.log), retrying";
      apt-get "${apt_opts[@]}" -f install >>"${TMPDIR:-/tmp}/reftrail-wp-apt.log" 2>&1 || true;
      apt-get install "${apt_opts[@]}" "${missing[@]}" >>"${TMPDIR:-/tmp}/reftrail-wp-apt.log" 2>&1 ||
      die "apt-get install failed, see ${TMPDIR:-/tmp}/reftrail-wp-apt.log"; }
  log "packages installed"
fi
command -v mariadbd >/dev/null || die "mariadbd not found"
[ -f "$WP_SRC/wp-includes/version.php" ] || die "no WordPress in $WP_SRC"

mkdir -p "$WP_ENV_DIR" "$BIN"

# ---------------------------------------------------------------------------------------------
# 2. Private MariaDB (own datadir/socket/port, started as our background process)
# ---------------------------------------------------------------------------------------------
if alive "$DB_PIDFILE" && mariadb-admin --no-defaults --socket="$DB_SOCK" -uroot ping >/dev/null 2>&1; then
  log "MariaDB already running (pid $(cat "$DB_PIDFILE"), 127.0.0.1:$DB_PORT)"
else
  port_busy "$DB_PORT" && die "port $DB_PORT is taken by a process we did not start"
  mkdir -p "$DB_DIR"; chown mysql:mysql "$DB_DIR"
  if [ ! -d "$DB_DIR/data/mysql" ]; then
    log "initialising datadir $DB_DIR/data"
    rm -rf "$DB_DIR/data"
    mariadb-install-db --no-defaults --user=mysql --datadir="$DB_DIR/data" \
      --auth-root-authentication-method=socket --skip-test-db >"$DB_DIR/install-db.log" 2>&1 ||
      die "mariadb-install-db failed, see $DB_DIR/install-db.log"
  fi
  rm -f "$DB_SOCK" "$DB_PIDFILE"
  # setsid: own session/process group, so the stop script can end it (and only it) by PID.
  # bash -c 'echo $$ > pidfile; exec ...' records the real server PID even if setsid forks.
  setsid bash -c "$DAEMON" "$DB_PIDFILE" \
    /usr/sbin/mariadbd --no-defaults --user=mysql --datadir="$DB_DIR/data" \
      --socket="$DB_SOCK" --port="$DB_PORT" --bind-address=127.0.0.1 \
      --pid-file="$DB_DIR/mariadbd.own.pid" --log-error="$DB_DIR/error.log" --skip-name-resolve \
      --innodb-flush-log-at-trx-commit=2 --innodb-buffer-pool-size=128M --max-connections=200 \
      --innodb-buffer-pool-dump-at-shutdown=0 --innodb-buffer-pool-load-at-startup=0 \
      </dev/null >"$DB_DIR/stdout.log" 2>&1 &
  for _ in $(seq 1 300); do
    mariadb-admin --no-defaults --socket="$DB_SOCK" -uroot ping >/dev/null 2>&1 && break
    [ -s "$DB_PIDFILE" ] && ! alive "$DB_PIDFILE" &&
      die "mariadbd exited; the end of $DB_DIR/error.log:$(echo; tail -n 8 "$DB_DIR/error.log" 2>/dev/null)"
    sleep 0.1
  done
  mariadb-admin --no-defaults --socket="$DB_SOCK" -uroot ping >/dev/null 2>&1 || die "MariaDB not ready after 30 s"
  log "MariaDB ready (pid $(cat "$DB_PIDFILE"), 127.0.0.1:$DB_PORT, socket $DB_SOCK)"
fi
db <<SQL
CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS';
GRANT ALL PRIVILEGES ON \`$DB_NAME\`.* TO '$DB_USER'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`$DB_NAME\`.* TO '$DB_USER'@'localhost';
SQL

# ---------------------------------------------------------------------------------------------
# 3a. Private copy of WordPress + config (never touches /etc/wordpress or /usr/share/wordpress)
# ---------------------------------------------------------------------------------------------
if [ ! -f "$SITE/wp-includes/version.php" ]; then
  log "copying $WP_SRC -> $SITE"
  rm -rf "$SITE"; cp -a "$WP_SRC" "$SITE"
  rm -f "$SITE/wp-config.php"          # Debian's one looks up /etc/wordpress/config-<HTTP_HOST>.php
fi
# Debian links some bundled libraries relatively (wp-includes/js/underscore.min.js ->
# ../../../javascript/underscore/…, getID3, cropper): in the copy those links dangle and the block
# editor and the media library fail. Point each at the file it names in $WP_SRC.
find "$SITE" -xtype l | while IFS= read -r link; do
  target=$(readlink -f "$WP_SRC/${link#"$SITE"/}") && [ -e "$target" ] && ln -sfn "$target" "$link"
done
mkdir -p "$SITE/wp-content/mu-plugins" "$SITE/wp-content/uploads"
if [ ! -s "$WP_ENV_DIR/salts.php" ]; then   # generated once, so logins survive re-runs
  php -r 'echo "<?php\n"; foreach (["AUTH_KEY","SECURE_AUTH_KEY","LOGGED_IN_KEY","NONCE_KEY","AUTH_SALT","SECURE_AUTH_SALT","LOGGED_IN_SALT","NONCE_SALT"] as $k) printf("define( %s, %s );\n", var_export($k, true), var_export(bin2hex(random_bytes(32)), true));' >"$WP_ENV_DIR/salts.php"
fi
# Rewritten on every run (cheap) so that changed ports/URL take effect.
cat >"$SITE/wp-config.php" <<EOF
<?php
// Generated by wp-test-env.sh
define( 'DB_NAME', '$DB_NAME' );
define( 'DB_USER', '$DB_USER' );
define( 'DB_PASSWORD', '$DB_PASS' );
define( 'DB_HOST', '127.0.0.1:$DB_PORT' );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );
require '$WP_ENV_DIR/salts.php';
\$table_prefix = getenv( 'WP_TABLE_PREFIX' ) ?: 'wp_';
define( 'WP_HOME', '$WP_URL' );
define( 'WP_SITEURL', '$WP_URL' );
define( 'WP_ENVIRONMENT_TYPE', 'local' );     // Application Passwords over plain http
define( 'WP_DEBUG', true );
define( 'WP_DEBUG_LOG', true );               // -> wp-content/debug.log
define( 'WP_DEBUG_DISPLAY', false );          // WP 6.1 + PHP 8.2 emits deprecations; keep them out of HTML/JSON
define( 'SCRIPT_DEBUG', false );
define( 'AUTOMATIC_UPDATER_DISABLED', true );
define( 'WP_AUTO_UPDATE_CORE', false );
define( 'WP_HTTP_BLOCK_EXTERNAL', true );     // no internet anyway: fail fast, loopback still allowed
define( 'FS_METHOD', 'direct' );
if ( ! defined( 'ABSPATH' ) ) {
	define( 'ABSPATH', __DIR__ . '/' );
}
require_once ABSPATH . 'wp-settings.php';
EOF
cat >"$SITE/wp-content/mu-plugins/00-wp-test-env.php" <<'EOF'
<?php
/**
 * Plugin Name: wp-test-env helpers
 * Description: Loopback test-site tweaks written by wp-test-env.sh.
 */
// php -S is not Apache: tell WordPress pretty permalinks work (router.php does the rewriting).
add_filter( 'got_url_rewrite', '__return_true' );
// No internet: skip the wordpress.org update checks (each failed one logs a PHP warning) and
// their cron events. Other outgoing HTTP fails fast via WP_HTTP_BLOCK_EXTERNAL; loopback is allowed.
foreach ( array(
	'admin_init'           => array( '_maybe_update_core', '_maybe_update_plugins', '_maybe_update_themes' ),
	'wp_version_check'     => array( 'wp_version_check' ),
	'wp_update_plugins'    => array( 'wp_update_plugins' ),
	'wp_update_themes'     => array( 'wp_update_themes' ),
	'load-plugins.php'     => array( 'wp_update_plugins' ),
	'load-themes.php'      => array( 'wp_update_themes' ),
	'load-update.php'      => array( 'wp_update_plugins', 'wp_update_themes' ),
	'load-update-core.php' => array( 'wp_update_plugins', 'wp_update_themes' ),
	'wp_maybe_auto_update' => array( 'wp_maybe_auto_update' ),
	'init'                 => array( 'wp_schedule_update_checks' ),
) as $hook => $callbacks ) {
	foreach ( $callbacks as $cb ) {
		remove_action( $hook, $cb );
	}
}
// Dashboard > Updates calls wp_version_check() directly: make it see a fresh "no updates" answer.
add_filter( 'pre_site_transient_update_core', function () {
	return (object) array( 'updates' => array(), 'version_checked' => $GLOBALS['wp_version'], 'last_checked' => time(), 'translations' => array() );
} );
// No MTA on this machine: capture mail into wp-content/mails.log instead of calling sendmail.
add_filter( 'pre_wp_mail', function ( $short_circuit, $atts ) {
	file_put_contents( WP_CONTENT_DIR . '/mails.log', gmdate( 'c' ) . ' ' . wp_json_encode( $atts ) . "\n", FILE_APPEND | LOCK_EX );
	return true;
}, 10, 2 );
EOF
cat >"$WP_ENV_DIR/router.php" <<'EOF'
<?php
// Router for `php -S`: does what WordPress' .htaccess rewrite rules do under Apache.
$root = rtrim( $_SERVER['DOCUMENT_ROOT'], '/' );
$path = rawurldecode( parse_url( $_SERVER['REQUEST_URI'], PHP_URL_PATH ) ?? '/' );
$file = $root . $path;
if ( $path !== '/' && strpos( $path, '..' ) === false && file_exists( $file ) ) {
	if ( is_file( $file ) ) {
		return false;                              // static file or a real .php entry point
	}
	if ( is_dir( $file ) && is_file( rtrim( $file, '/' ) . '/index.php' ) ) {
		if ( substr( $path, -1 ) !== '/' ) {       // /wp-admin -> /wp-admin/
			$qs = ( $_SERVER['QUERY_STRING'] ?? '' ) !== '' ? '?' . $_SERVER['QUERY_STRING'] : '';
			header( 'Location: ' . $path . '/' . $qs, true, 301 );
			return true;
		}
		return false;                              // built-in server runs dir/index.php
	}
}
// Pretty permalinks, /wp-json/..., 404s: WordPress' front controller.
$_SERVER['SCRIPT_NAME']     = '/index.php';
$_SERVER['PHP_SELF']        = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = $root . '/index.php';
chdir( $root );
require $root . '/index.php';
EOF
cat >"$BIN/wp-install.php" <<'EOF'
<?php
// php wp-install.php <docroot> <url> <user> <pass> <email> <title>  -- wp_install() without wp-cli
[ , $docroot, $url, $user, $pass, $email, $title ] = $argv;
$u = parse_url( $url );
$_SERVER['HTTP_HOST']   = $u['host'] . ( isset( $u['port'] ) ? ':' . $u['port'] : '' );
$_SERVER['SERVER_NAME'] = $u['host'];
$_SERVER['SERVER_PORT'] = (string) ( $u['port'] ?? 80 );
$_SERVER['REQUEST_URI'] = '/';
define( 'WP_INSTALLING', true );
require $docroot . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
if ( is_blog_installed() ) {
	echo "already installed\n";
	exit( 0 );
}
$r = wp_install( $title, $user, $email, true, '', wp_slash( $pass ), 'en_US' );
// set_permalink_structure() also re-inits $wp_rewrite; a bare update_option() + flush here would
// store rules built for the old (plain) structure and every pretty permalink would 404.
$GLOBALS['wp_rewrite']->set_permalink_structure( '/%postname%/' );
delete_option( 'rewrite_rules' ); // rebuilt lazily by the next web request, with all plugins loaded
echo "installed, admin user id {$r['user_id']}\n";
EOF
cat >"$BIN/wp-post-install.php" <<'EOF'
<?php
// php wp-post-install.php <docroot> <admin-user> <app-pass-file> [plugin-folder ...]
// Ensures an Application Password for the admin and activates the given plugin folders.
[ , $docroot, $admin, $app_file ] = $argv;
$_SERVER['HTTP_HOST'] = parse_url( getenv( 'WP_URL' ) ?: 'http://127.0.0.1', PHP_URL_HOST );
require $docroot . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';
$user = get_user_by( 'login', $admin ) or die( "no user $admin\n" );
$have = is_file( $app_file ) ? trim( file_get_contents( $app_file ) ) : '';
if ( $have === '' || ! WP_Application_Passwords::get_user_application_password( $user->ID, get_user_meta( $user->ID, 'wp_test_env_app_uuid', true ) ?: '-' ) ) {
	[ $pw, $item ] = WP_Application_Passwords::create_new_application_password( $user->ID, array( 'name' => 'wp-test-env' ) );
	update_user_meta( $user->ID, 'wp_test_env_app_uuid', $item['uuid'] );
	file_put_contents( $app_file, $pw . "\n" );
	echo "application password created\n";
}
foreach ( array_slice( $argv, 4 ) as $folder ) {
	$found = array_keys( get_plugins( '/' . $folder ) );
	if ( ! $found ) { fwrite( STDERR, "no plugin header found in $folder\n" ); exit( 1 ); }
	$file = $folder . '/' . $found[0];
	if ( ! is_plugin_active( $file ) ) {
		$r = activate_plugin( $file );
		if ( is_wp_error( $r ) ) { fwrite( STDERR, "$file: " . $r->get_error_message() . "\n" ); exit( 1 ); }
		echo "activated $file\n";
	}
}
// Let the next web request rebuild rewrite rules with every active plugin's CPTs/endpoints
// registered (a CLI activate_plugin() runs after 'init', so flushing here would miss them).
delete_option( 'rewrite_rules' );
EOF

# ---------------------------------------------------------------------------------------------
# 3b. Web server on $WP_HOST:$WP_PORT (our own background process group)
# ---------------------------------------------------------------------------------------------
web_ok() { curl -fs -o /dev/null --max-time 5 "$WP_URL/wp-includes/css/dashicons.min.css"; }
if alive "$WEB_PIDFILE" && web_ok; then
  log "web server already running (pid $(cat "$WEB_PIDFILE"), $WP_URL)"
else
  port_busy "$WP_PORT" && die "port $WP_PORT is taken by a process we did not start"
  rm -f "$WEB_PIDFILE"
  touch "$SITE/wp-content/debug.log" "$SITE/wp-content/mails.log"
  if [ "$WP_SERVER" = apache ]; then
    A="$WP_ENV_DIR/apache"; M=/usr/lib/apache2/modules; mkdir -p "$A"
    PHPMOD=$(ls $M/libphp*.so | head -1)
    cat >"$A/httpd.conf" <<EOF
ServerRoot "$A"
ServerName $WP_HOST
Listen $WP_HOST:$WP_PORT
PidFile $A/httpd.pid
DefaultRuntimeDir $A
Mutex file:$A default
ErrorLog $A/error.log
LogLevel warn
User www-data
Group www-data
LoadModule mpm_prefork_module $M/mod_mpm_prefork.so
LoadModule authz_core_module $M/mod_authz_core.so
LoadModule dir_module $M/mod_dir.so
LoadModule mime_module $M/mod_mime.so
LoadModule rewrite_module $M/mod_rewrite.so
LoadModule env_module $M/mod_env.so
LoadModule setenvif_module $M/mod_setenvif.so
LoadModule php_module $PHPMOD
StartServers 2
MinSpareServers 2
MaxSpareServers 4
MaxRequestWorkers 8
TypesConfig /etc/mime.types
LogFormat "%h %t \"%r\" %>s %b %D" timed
CustomLog $A/access.log timed
DocumentRoot $SITE
DirectoryIndex index.php index.html
<FilesMatch "\.php$">
    SetHandler application/x-httpd-php
</FilesMatch>
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory $SITE>
    Options FollowSymLinks
    AllowOverride All
    Require all granted
    RewriteEngine On
    RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]
    RewriteBase /
    RewriteRule ^index\.php$ - [L]
    RewriteCond %{REQUEST_FILENAME} !-f
    RewriteCond %{REQUEST_FILENAME} !-d
    RewriteRule . /index.php [L]
</Directory>
EOF
    apache2 -t -f "$A/httpd.conf" >/dev/null 2>&1 || { apache2 -t -f "$A/httpd.conf"; die "bad apache config"; }
    chown -R www-data:www-data "$SITE/wp-content"   # PHP runs as www-data under Apache
    setsid bash -c "$DAEMON" "$WEB_PIDFILE" \
      apache2 -f "$A/httpd.conf" -DFOREGROUND </dev/null >"$WP_ENV_DIR/web.log" 2>&1 &
  else
    # PHP_CLI_SERVER_WORKERS: several requests at once (WP's loopback/cron requests, parallel tests).
    # Its workers are children of the master: stop the whole process group, not just the master PID.
    setsid bash -c "$DAEMON" "$WEB_PIDFILE" \
      env PHP_CLI_SERVER_WORKERS="${PHP_CLI_SERVER_WORKERS:-4}" \
      php -d memory_limit=512M -S "$WP_HOST:$WP_PORT" -t "$SITE" "$WP_ENV_DIR/router.php" \
      </dev/null >"$WP_ENV_DIR/web.log" 2>&1 &
  fi
  for _ in $(seq 1 100); do
    web_ok && break
    [ -s "$WEB_PIDFILE" ] && ! alive "$WEB_PIDFILE" && die "web server exited, see $WP_ENV_DIR/web.log"
    sleep 0.1
  done
  web_ok || die "web server did not come up, see $WP_ENV_DIR/web.log"
  log "web server ($WP_SERVER) ready (pid $(cat "$WEB_PIDFILE"), $WP_URL)"
fi

# ---------------------------------------------------------------------------------------------
# 3c. Install WordPress (no wp-cli), application password, plugins under test
# ---------------------------------------------------------------------------------------------
out=$(php "$BIN/wp-install.php" "$SITE" "$WP_URL" "$WP_ADMIN_USER" "$WP_ADMIN_PASS" "$WP_ADMIN_EMAIL" "$WP_TITLE" 2>&1) ||
  die "WordPress install failed: $out"
log "WordPress: ${out##*$'\n'}"
folders=()
for src in $WP_PLUGIN_SRC; do
  src=$(readlink -f "$src"); name=$(basename "$src")
  [ -d "$src" ] || die "WP_PLUGIN_SRC: $src is not a directory"
  [ -e "$SITE/wp-content/plugins/$name" ] && [ ! -L "$SITE/wp-content/plugins/$name" ] &&
    die "$SITE/wp-content/plugins/$name exists and is not our symlink"
  ln -sfn "$src" "$SITE/wp-content/plugins/$name"
  folders+=("$name")
done
out=$(WP_URL="$WP_URL" php "$BIN/wp-post-install.php" "$SITE" "$WP_ADMIN_USER" "$WP_ENV_DIR/app-password" ${folders[@]+"${folders[@]}"} 2>&1) ||
  die "post-install failed: $out"
[ -n "$out" ] && while IFS= read -r line; do log "$line"; done <<<"$out"
# CLI PHP ran as root; under Apache, PHP runs as www-data and must be able to write wp-content.
[ "$WP_SERVER" = apache ] && chown -R www-data:www-data "$SITE/wp-content"
WP_APP_PASS=$(cat "$WP_ENV_DIR/app-password")

# Smoke test: REST index answers JSON, and the application password authenticates.
curl -fsS "$WP_URL/wp-json/" | php -r 'exit(isset(json_decode(stream_get_contents(STDIN), true)["namespaces"]) ? 0 : 1);' ||
  die "GET $WP_URL/wp-json/ did not return the REST index"
curl -fsS -u "$WP_ADMIN_USER:$WP_APP_PASS" "$WP_URL/wp-json/wp/v2/users/me?context=edit" |
  php -r 'exit(isset(json_decode(stream_get_contents(STDIN), true)["roles"]) ? 0 : 1);' ||
  die "application password was not accepted"

cat >"$WP_ENV_DIR/env.sh" <<EOF
# source this file in tests
export WP_ENV_DIR='$WP_ENV_DIR'
export WP_URL='$WP_URL'
export WP_DOCROOT='$SITE'
export WP_ADMIN_USER='$WP_ADMIN_USER'
export WP_ADMIN_PASS='$WP_ADMIN_PASS'
export WP_APP_PASS='$WP_APP_PASS'
export WP_DB_HOST='127.0.0.1' WP_DB_PORT='$DB_PORT' WP_DB_NAME='$DB_NAME' WP_DB_USER='$DB_USER' WP_DB_PASS='$DB_PASS' WP_DB_SOCKET='$DB_SOCK'
EOF
log "ready"
cat <<EOF
WordPress $(php -r "include '$SITE/wp-includes/version.php'; echo \$wp_version;") is up:
  URL:          $WP_URL/            admin: $WP_URL/wp-admin/   REST: $WP_URL/wp-json/
  admin login:  $WP_ADMIN_USER / $WP_ADMIN_PASS
  app password: $WP_APP_PASS     (curl -u '$WP_ADMIN_USER:$WP_APP_PASS' $WP_URL/wp-json/wp/v2/users/me)
  docroot:      $SITE   (plugins: $SITE/wp-content/plugins, log: $SITE/wp-content/debug.log)
  MariaDB:      127.0.0.1:$DB_PORT db=$DB_NAME user=$DB_USER pass=$DB_PASS socket=$DB_SOCK
  PIDs:         web $(cat "$WEB_PIDFILE") ($WEB_PIDFILE), db $(cat "$DB_PIDFILE") ($DB_PIDFILE)
  env:          source $WP_ENV_DIR/env.sh      stop: bash $(dirname "$(readlink -f "$0")")/wp-test-env-stop.sh
EOF
