#!/usr/bin/env bash
# i18n-wordpress.sh - the WordPress plugin's translation files, from its code, with GNU gettext:
#   languages/reftrail.pot            every translatable string of the PHP, the editor scripts, the
#                                     blocks' block.json and the plugin header (xgettext with
#                                     WordPress's keywords; translators comments kept)
#   languages/reftrail-<locale>.po    merged with the new .pot (msgmerge, no fuzzy guesses)
#   languages/reftrail-<locale>.mo    compiled with msgfmt
#   languages/reftrail-<locale>-<md5 of the script's path>.json
#                                     the strings of each script in assets/, for
#                                     wp_set_script_translations() (Jed format, as wp i18n make-json)
#
#   scripts/i18n-wordpress.sh           regenerate all of the above (then translate what is new in
#                                       the .po files and run it again to compile)
#   scripts/i18n-wordpress.sh --pot F   only write the .pot the code yields to F (used by the tests)
#   scripts/i18n-wordpress.sh --check   fail if the committed files are not what the code and the
#                                       .po files yield (source line references aside), or a
#                                       string lacks a translation
#
# The .pot keeps its POT-Creation-Date while the strings are unchanged, so that a run without
# changes changes nothing but moved line references.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PLUGIN="$REPO/wordpress-plugin/reftrail"
LANG_DIR="$PLUGIN/languages"
LOCALES=(vi th)
for tool in xgettext msgmerge msgfmt msgattrib php; do
  command -v "$tool" >/dev/null || { echo "i18n-wordpress: $tool is missing (apt-get install gettext php-cli)" >&2; exit 1; }
done
VERSION=$(sed -n 's/^ \* Version: *\([0-9][0-9A-Za-z.+-]*\).*/\1/p' "$PLUGIN/reftrail.php" | head -1)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# strings_of FILE: a .pot or .po without its source references and creation date, the parts that
# move whenever code moves.
strings_of() { grep -v -e '^#:' -e '^"POT-Creation-Date:' "$1"; }

# make_pot OUT: the template from the code, paths relative to the plugin as WordPress expects.
make_pot() {
  local out=$1
  (
    cd "$PLUGIN"
    find . -name '*.php' -not -path './www/*' -not -path './vendor/*' | sed 's#^\./##' | LC_ALL=C sort >"$WORK/php.list"
    find assets -name '*.js' | LC_ALL=C sort >"$WORK/js.list"
    # The browser files copied in by the build (js/dist) carry no WordPress strings.
    grep -v -x -e assets/loader.js -e assets/reftrail.js "$WORK/js.list" >"$WORK/js.own" || true
    common=(--from-code=UTF-8 --add-comments=translators: --package-name=Reftrail
            --package-version="$VERSION" --msgid-bugs-address=https://github.com/reftrail/reftrail/issues)
    xgettext "${common[@]}" --language=PHP -f "$WORK/php.list" -o "$WORK/php.pot" \
      --keyword --keyword=__ --keyword=_e --keyword=esc_html__ --keyword=esc_html_e \
      --keyword=esc_attr__ --keyword=esc_attr_e --keyword=esc_xml__ --keyword=esc_xml_e \
      --keyword=_x:1,2c --keyword=_ex:1,2c --keyword=esc_attr_x:1,2c --keyword=esc_html_x:1,2c \
      --keyword=esc_xml_x:1,2c --keyword=_n:1,2 --keyword=_nx:1,2,4c --keyword=_n_noop:1,2 \
      --keyword=_nx_noop:1,2,3c
    # The plugin header's fields that WordPress translates on the Plugins screen
    # (_get_plugin_data_markup_translate), and the fields of each block.json that it translates
    # with their contexts (wp-includes/block-i18n.json), as `wp i18n make-pot` lists them.
    php -r '
      $entries = array();
      $add = function ( $ctxt, $msgid, $comment, $ref ) use ( &$entries ) {
        $key = $ctxt . "\4" . $msgid;
        $entries[ $key ]["ctxt"] = $ctxt;
        $entries[ $key ]["msgid"] = $msgid;
        $entries[ $key ]["comments"][ $comment ] = true;
        $entries[ $key ]["refs"][ $ref ] = true;
      };
      $text = file_get_contents( "reftrail.php", false, null, 0, 8192 );
      foreach ( array( "Plugin Name", "Plugin URI", "Description", "Author", "Author URI" ) as $field ) {
        if ( preg_match( "/^[ \t\/*#@]*" . preg_quote( $field, "/" ) . ":(.*)$/mi", $text, $m ) && "" !== trim( $m[1] ) ) {
          $add( "", trim( $m[1] ), "$field of the plugin", "reftrail.php" );
        }
      }
      $files = glob( "blocks/*/block.json" );
      sort( $files );
      foreach ( $files as $file ) {
        $block = json_decode( file_get_contents( $file ), true );
        if ( ! is_array( $block ) ) { fwrite( STDERR, "$file is not JSON\n" ); exit( 1 ); }
        foreach ( array( "title" => "block title", "description" => "block description" ) as $field => $ctxt ) {
          if ( isset( $block[ $field ] ) ) { $add( $ctxt, $block[ $field ], "Block $field", $file ); }
        }
        foreach ( $block["keywords"] ?? array() as $keyword ) { $add( "block keyword", $keyword, "Block keyword", $file ); }
      }
      $q = fn( $s ) => "\"" . addcslashes( $s, "\"\\\\" ) . "\"";
      echo "msgid \"\"\nmsgstr \"Content-Type: text/plain; charset=UTF-8\\n\"\n";
      foreach ( $entries as $e ) {
        echo "\n";
        foreach ( array_keys( $e["comments"] ) as $c ) { echo "#. $c\n"; }
        echo "#: " . implode( " ", array_keys( $e["refs"] ) ) . "\n";
        if ( "" !== $e["ctxt"] ) { echo "msgctxt " . $q( $e["ctxt"] ) . "\n"; }
        echo "msgid " . $q( $e["msgid"] ) . "\nmsgstr \"\"\n";
      }' >"$WORK/header.pot"
    parts=("$WORK/php.pot" "$WORK/header.pot")
    if [ -s "$WORK/js.own" ]; then
      xgettext "${common[@]}" --language=JavaScript -f "$WORK/js.own" -o "$WORK/js.pot" \
        --keyword --keyword=__ --keyword=_x:1,2c --keyword=_n:1,2 --keyword=_nx:1,2,4c
      parts+=("$WORK/js.pot")
    fi
    msgcat --use-first "${parts[@]}" -o "$out"
  )
  # Keep the creation date of the committed template when the strings did not change.
  if [ -f "$LANG_DIR/reftrail.pot" ]; then
    local old
    old=$(grep -m1 '^"POT-Creation-Date:' "$LANG_DIR/reftrail.pot" || true)
    if [ -n "$old" ] && cmp -s <(strings_of "$out") <(strings_of "$LANG_DIR/reftrail.pot"); then
      OLD="$old" awk '/^"POT-Creation-Date:/ { print ENVIRON["OLD"]; next } { print }' "$out" >"$out.keep"
      mv "$out.keep" "$out"
    fi
  fi
}

# make_json PO OUTDIR LOCALE: one Jed file per script in assets/ with translated strings.
make_json() {
  php -r '
    [ , $po, $outdir, $locale, $date ] = $argv;
    // A small reader of the .po entries msgmerge writes (no plurals in the scripts so far).
    $entries = array(); $cur = null; $field = null;
    $flush = function () use ( &$cur, &$entries ) {
      if ( $cur && "" !== $cur["msgid"] && ! $cur["obsolete"] ) { $entries[] = $cur; }
      $cur = null;
    };
    foreach ( file( $po, FILE_IGNORE_NEW_LINES ) as $line ) {
      if ( "" === trim( $line ) ) { $flush(); $field = null; continue; }
      if ( null === $cur ) { $cur = array( "refs" => array(), "flags" => "", "msgctxt" => null, "msgid" => "", "msgstr" => "", "obsolete" => false ); }
      if ( 0 === strpos( $line, "#~" ) ) { $cur["obsolete"] = true; continue; }
      if ( 0 === strpos( $line, "#:" ) ) { $cur["refs"] = array_merge( $cur["refs"], preg_split( "/\s+/", trim( substr( $line, 2 ) ) ) ); continue; }
      if ( 0 === strpos( $line, "#," ) ) { $cur["flags"] .= $line; continue; }
      if ( "#" === ( $line[0] ?? "" ) ) { continue; }
      if ( preg_match( "/^(msgctxt|msgid|msgstr)\s+(\".*\")$/", $line, $m ) ) { $field = $m[1]; $cur[ $field ] = stripcslashes( substr( $m[2], 1, -1 ) ); continue; }
      if ( null !== $field && preg_match( "/^\".*\"$/", $line ) ) { $cur[ $field ] .= stripcslashes( substr( $line, 1, -1 ) ); continue; }
      fwrite( STDERR, "$po: cannot read the line: $line\n" ); exit( 1 );
    }
    $flush();
    $by_file = array();
    foreach ( $entries as $e ) {
      if ( "" === $e["msgstr"] || false !== strpos( $e["flags"], "fuzzy" ) ) { continue; }
      foreach ( $e["refs"] as $ref ) {
        $file = preg_replace( "/:\d+$/", "", $ref );
        if ( ! preg_match( "/\.js$/", $file ) ) { continue; }
        $key = null === $e["msgctxt"] ? $e["msgid"] : $e["msgctxt"] . "\4" . $e["msgid"];
        $by_file[ $file ][ $key ] = array( $e["msgstr"] );
      }
    }
    foreach ( $by_file as $file => $messages ) {
      $doc = array(
        "translation-revision-date" => $date,
        "generator"                 => "Reftrail",
        "domain"                    => "messages",
        "locale_data"               => array( "messages" => array( "" => array( "domain" => "messages", "lang" => $locale ) ) + $messages ),
      );
      file_put_contents( "$outdir/reftrail-$locale-" . md5( $file ) . ".json", json_encode( $doc, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES ) . "\n" );
    }
  ' "$1" "$2" "$3" "$(sed -n 's/^"PO-Revision-Date: \(.*\)\\n"$/\1/p' "$1" | head -1)"
}

# build OUTDIR: .pot, merged .po, .mo and .json into OUTDIR.
build() {
  local out=$1 l
  make_pot "$out/reftrail.pot"
  for l in "${LOCALES[@]}"; do
    cp "$LANG_DIR/reftrail-$l.po" "$out/reftrail-$l.po"
    msgmerge --quiet --update --backup=none --no-fuzzy-matching "$out/reftrail-$l.po" "$out/reftrail.pot"
    # Strings gone from the code are dropped rather than kept as obsolete entries.
    msgattrib --no-obsolete -o "$out/reftrail-$l.po" "$out/reftrail-$l.po"
    msgfmt --check-format -o "$out/reftrail-$l.mo" "$out/reftrail-$l.po"
    make_json "$out/reftrail-$l.po" "$out" "$l"
  done
}

case "${1:-}" in
  --pot)
    [ -n "${2:-}" ] || { echo "usage: $0 --pot FILE" >&2; exit 2; }
    make_pot "$WORK/out.pot"
    cp "$WORK/out.pot" "$2"
    ;;
  --check)
    mkdir -p "$WORK/new"
    build "$WORK/new"
    fail=0
    for f in "$WORK"/new/*; do
      name=$(basename "$f")
      case "$name" in
        *.pot | *.po) same() { cmp -s <(strings_of "$1") <(strings_of "$2"); } ;;
        *) same() { cmp -s "$1" "$2"; } ;;
      esac
      if ! same "$f" "$LANG_DIR/$name"; then
        echo "languages/$name is not what the code and the .po files yield (run scripts/i18n-wordpress.sh)"
        fail=1
      fi
    done
    for f in "$LANG_DIR"/reftrail-*.json; do
      [ -e "$WORK/new/$(basename "$f")" ] || { echo "languages/$(basename "$f") belongs to no script"; fail=1; }
    done
    for l in "${LOCALES[@]}"; do
      po="$WORK/new/reftrail-$l.po"
      list=$({ msgattrib --untranslated --no-obsolete --no-wrap "$po"; msgattrib --only-fuzzy --no-obsolete --no-wrap "$po"; } |
        grep '^msgid ' | grep -vx 'msgid ""' || true)
      if [ -n "$list" ]; then
        echo "reftrail-$l.po: strings without a translation:"
        sed 's/^msgid /  /' <<<"$list"
        fail=1
      fi
    done
    exit "$fail"
    ;;
  '')
    mkdir -p "$WORK/new"
    build "$WORK/new"
    cp "$WORK"/new/* "$LANG_DIR/"
    for f in "$LANG_DIR"/reftrail-*.json; do
      [ -e "$WORK/new/$(basename "$f")" ] || rm -f "$f"
    done
    for l in "${LOCALES[@]}"; do
      printf '%s: ' "$l"
      msgfmt --statistics -o /dev/null "$LANG_DIR/reftrail-$l.po" 2>&1
    done
    ;;
  *)
    echo "usage: $0 [--pot FILE | --check]" >&2
    exit 2
    ;;
esac
