<?php
/**
 * `[reftrail_portal]`: the signed-in affiliate's portal: the app of `www/portal/` (Reftrail_Portal)
 * over the server-rendered link, coupon codes and balances, which stay without JavaScript.
 * `[reftrail_register]`: a form for a signed-in user to apply as an affiliate (pending until the
 * owner approves), and, for a visitor who is not signed in, the public application form while the
 * program takes applications (Reftrail_Applications, as `POST /v1/portal/applications` takes them;
 * the portal shows it too, to visitors). Both render on the server, escaped; the forms carry a
 * nonce, and the `?recruiter=` of a recruiting link (the portal's team section builds it on
 * sign_up_url()) in a hidden field, so that the application names its recruiter. The blocks
 * `reftrail/portal` and `reftrail/register` (blocks/<name>/block.json, editor script
 * assets/blocks.js) render the same.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * Shortcodes.
 */
final class Reftrail_Shortcodes {

	/**
	 * What became of the application form posted (handled once, however many times the form is on
	 * the page): the hash of what was posted, and [status or null, error message, the values sent].
	 *
	 * @var array|null
	 */
	private static $application = null;

	/**
	 * Hooks.
	 */
	public static function init() {
		add_shortcode( 'reftrail_portal', array( __CLASS__, 'portal' ) );
		add_shortcode( 'reftrail_register', array( __CLASS__, 'register' ) );
		add_action( 'init', array( __CLASS__, 'register_blocks' ) );
	}

	/**
	 * The blocks: dynamic, described by `blocks/<name>/block.json` (whose title and description
	 * WordPress translates with the plugin's text domain) and rendered by the shortcodes'
	 * functions. The editor script's own strings come from `languages/reftrail-<locale>-<md5>.json`.
	 */
	public static function register_blocks() {
		if ( ! function_exists( 'register_block_type' ) ) {
			return;
		}
		wp_register_script(
			'reftrail-blocks',
			plugins_url( 'assets/blocks.js', REFTRAIL_FILE ),
			array( 'wp-blocks', 'wp-block-editor', 'wp-components', 'wp-element', 'wp-i18n', 'wp-server-side-render' ),
			REFTRAIL_VERSION,
			true
		);
		wp_set_script_translations( 'reftrail-blocks', 'reftrail', REFTRAIL_DIR . '/languages' );
		register_block_type( REFTRAIL_DIR . '/blocks/portal', array( 'render_callback' => fn() => self::portal() ) );
		register_block_type( REFTRAIL_DIR . '/blocks/register', array( 'render_callback' => fn() => self::register() ) );
	}

	/**
	 * The portal of the signed-in user: for an approved affiliate, the portal app of `www/portal/`
	 * over the server-rendered portal (which stays without JavaScript; see Reftrail_Portal);
	 * otherwise what they need to do, and for a visitor, while the program takes applications,
	 * the application form (unless the page has the sign-up form already).
	 *
	 * @return string
	 */
	public static function portal() {
		$user = wp_get_current_user();
		$id   = $user->ID ? Reftrail_Affiliates::by_user( $user->ID ) : null;
		if ( ! $id ) {
			$out = '<p class="reftrail-portal">' . esc_html__( 'Sign in with your affiliate account to see your links and earnings.', 'reftrail' ) . '</p>';
			return ! $user->ID && Reftrail_Applications::open() && ! self::page_has_sign_up() ? $out . self::application_form() : $out;
		}
		$a   = Reftrail_Affiliates::get( $id );
		$out = self::portal_markup( $a );
		return 'approved' === $a['status'] ? Reftrail_Portal::embed( $out ) : $out;
	}

	/**
	 * Whether the page being shown has the sign-up form of its own (the shortcode or the block),
	 * which then is the one form a visitor applies with.
	 *
	 * @return bool
	 */
	private static function page_has_sign_up() {
		$post = get_post();
		return $post instanceof WP_Post && ( has_shortcode( $post->post_content, 'reftrail_register' ) || has_block( 'reftrail/register', $post ) );
	}

	/**
	 * The address of the sign-up page, for recruiting links: the first published page with the
	 * registration shortcode or block, as the `reftrail_apply_url` filter leaves it (a site names
	 * its own page there); null when there is none.
	 *
	 * @return string|null
	 */
	public static function sign_up_url() {
		global $wpdb;
		$page = $wpdb->get_var(
			$wpdb->prepare(
				"SELECT ID FROM {$wpdb->posts} WHERE post_type = 'page' AND post_status = 'publish' AND (post_content LIKE %s OR post_content LIKE %s) ORDER BY ID LIMIT 1",
				'%' . $wpdb->esc_like( '[reftrail_register' ) . '%',
				'%' . $wpdb->esc_like( '<!-- wp:reftrail/register' ) . '%'
			)
		);
		$url = $page ? get_permalink( (int) $page ) : false;
		$url = apply_filters( 'reftrail_apply_url', $url ? $url : null );
		return is_string( $url ) && '' !== $url ? $url : null;
	}

	/**
	 * The recruiter a form names: posted with it (`reftrail_recruiter`, kept from the link the page
	 * was opened by), else the page's `?recruiter=`; '' when neither is an affiliate id. Whether
	 * that affiliate is approved is the application's to check.
	 *
	 * @return string
	 */
	private static function recruiter_from_link() {
		// phpcs:disable WordPress.Security.NonceVerification -- a hint carried by a link; the form's own nonce is checked where it is taken.
		foreach ( array( $_POST['reftrail_recruiter'] ?? null, $_GET['recruiter'] ?? null ) as $sent ) {
			$sent = is_string( $sent ) ? sanitize_text_field( wp_unslash( $sent ) ) : '';
			if ( Reftrail_Cookie::is_id( $sent ) ) {
				return $sent;
			}
		}
		// phpcs:enable WordPress.Security.NonceVerification
		return '';
	}

	/**
	 * The hidden field that carries the recruiter of the link the page was opened by, if any.
	 *
	 * @return string
	 */
	private static function recruiter_field() {
		$r = self::recruiter_from_link();
		return '' === $r ? '' : '<input type="hidden" name="reftrail_recruiter" value="' . esc_attr( $r ) . '">';
	}

	/**
	 * The server-rendered portal of an affiliate: name, link, coupon codes and balances.
	 *
	 * @param array $a The affiliate (Reftrail_Affiliates::get()).
	 * @return string
	 */
	public static function portal_markup( array $a ) {
		$id    = $a['id'];
		$param = Reftrail_Program::get()['params'][0] ?? 'ref';
		$out   = '<div class="reftrail-portal"><h3>' . esc_html( $a['name'] ) . '</h3>';
		if ( 'approved' !== $a['status'] ) {
			$out .= '<p>' . esc_html__( 'Your application is waiting for approval.', 'reftrail' ) . '</p></div>';
			return $out;
		}
		$out .= '<p>' . esc_html__( 'Your link:', 'reftrail' ) . ' <code>' . esc_html( add_query_arg( $param, $id, home_url( '/' ) ) ) . '</code></p>';
		if ( $a['coupons'] ) {
			$out .= '<p>' . esc_html__( 'Your coupon codes:', 'reftrail' ) . ' ' . esc_html( implode( ', ', $a['coupons'] ) ) . '</p>';
		}
		$out .= '<table><thead><tr><th>' . esc_html__( 'Currency', 'reftrail' ) . '</th><th>' . esc_html__( 'Pending', 'reftrail' ) . '</th><th>' . esc_html__( 'Approved', 'reftrail' ) . '</th><th>' . esc_html__( 'Paid', 'reftrail' ) . '</th></tr></thead><tbody>';
		foreach ( Reftrail_Ledger::balances( $id ) as $b ) {
			$out .= '<tr><td>' . esc_html( $b['currency'] ) . '</td><td>' . esc_html( Reftrail_Input::decimal( $b['pending'], $b['currency'] ) ) . '</td><td>' . esc_html( Reftrail_Input::decimal( $b['approved'], $b['currency'] ) ) . '</td><td>' . esc_html( Reftrail_Input::decimal( $b['paid'], $b['currency'] ) ) . '</td></tr>';
		}
		return $out . '</tbody></table></div>';
	}

	/**
	 * The registration form, and its handling on submit: a signed-in user applies with their
	 * account; a visitor gets the public application form.
	 *
	 * @return string
	 */
	public static function register() {
		$user = wp_get_current_user();
		if ( ! $user->ID ) {
			return self::application_form();
		}
		$msg = '';
		if ( isset( $_POST['reftrail_register'] ) ) {
			if ( ! isset( $_POST['_reftrail_nonce'] ) || ! wp_verify_nonce( sanitize_text_field( wp_unslash( $_POST['_reftrail_nonce'] ) ), 'reftrail_register' ) ) {
				$msg = __( 'The form expired; please try again.', 'reftrail' );
			} else {
				try {
					$recruiter = self::recruiter_from_link();
					Reftrail_Affiliates::register(
						$user,
						sanitize_text_field( wp_unslash( $_POST['reftrail_id'] ?? '' ) ),
						sanitize_text_field( wp_unslash( $_POST['reftrail_name'] ?? '' ) ),
						sanitize_email( wp_unslash( $_POST['reftrail_payout'] ?? '' ) ),
						'' === $recruiter ? null : $recruiter
					);
					return '<p class="reftrail-register">' . esc_html__( 'Thank you! Your application is waiting for approval.', 'reftrail' ) . '</p>';
				} catch ( Reftrail_Http_Error $e ) {
					$msg = $e->getMessage();
				}
			}
		}
		if ( Reftrail_Affiliates::by_user( $user->ID ) ) {
			return '<p class="reftrail-register">' . esc_html__( 'You are already registered as an affiliate.', 'reftrail' ) . '</p>';
		}
		$out = '<form method="post" class="reftrail-register">';
		if ( '' !== $msg ) {
			$out .= '<p class="reftrail-error">' . esc_html( $msg ) . '</p>';
		}
		$out .= wp_nonce_field( 'reftrail_register', '_reftrail_nonce', true, false ) . self::recruiter_field();
		$out .= '<p><label>' . esc_html__( 'Your affiliate id (letters, digits, . _ -)', 'reftrail' ) . '<br><input name="reftrail_id" required pattern="[A-Za-z0-9._-]{1,64}"></label></p>';
		$out .= '<p><label>' . esc_html__( 'Name', 'reftrail' ) . '<br><input name="reftrail_name" required maxlength="200" value="' . esc_attr( $user->display_name ) . '"></label></p>';
		$out .= '<p><label>' . esc_html__( 'PayPal email for payouts', 'reftrail' ) . '<br><input name="reftrail_payout" type="email"></label></p>';
		$out .= '<p><button type="submit" name="reftrail_register" value="1">' . esc_html__( 'Apply', 'reftrail' ) . '</button></p></form>';
		return $out;
	}

	/**
	 * The public application form for a visitor, and what became of it when posted: the
	 * applicant's name, email, link name, website, how they will promote the shop, category and,
	 * when the program has terms, their acceptance; the outcome the program's mode announces (the
	 * same for every address), or the refusal's message over the form as it was filled in. A
	 * closed program says so.
	 *
	 * @return string
	 */
	public static function application_form() {
		$program = Reftrail_Program::get();
		if ( 'closed' === $program['applications'] ) {
			return '<p class="reftrail-register">' . esc_html__( 'This program is not taking applications at the moment.', 'reftrail' ) . '</p>';
		}
		list( $status, $error, $v ) = self::posted_application();
		if ( 'approved' === $status ) {
			return '<p class="reftrail-register reftrail-applied">' . esc_html__( 'Thank you! Check your email: it tells you how to sign in and get your links.', 'reftrail' ) . '</p>';
		}
		if ( 'pending' === $status ) {
			return '<p class="reftrail-register reftrail-applied">' . esc_html__( 'Thank you! We have your application and will email you when it has been reviewed.', 'reftrail' ) . '</p>';
		}
		$out = '<form method="post" class="reftrail-register reftrail-apply">';
		if ( '' !== $error ) {
			$out .= '<p class="reftrail-error" role="alert">' . esc_html( $error ) . '</p>';
		}
		$out .= wp_nonce_field( 'reftrail_apply', '_reftrail_apply_nonce', true, false ) . self::recruiter_field();
		$out .= '<p><label>' . esc_html__( 'Your name', 'reftrail' ) . '<br><input name="reftrail_apply_name" required maxlength="200" autocomplete="name" value="' . esc_attr( $v['name'] ) . '"></label></p>';
		$out .= '<p><label>' . esc_html__( 'Email', 'reftrail' ) . '<br><input name="reftrail_apply_email" type="email" required maxlength="254" autocomplete="email" value="' . esc_attr( $v['email'] ) . '"></label></p>';
		$out .= '<p><label>' . esc_html__( 'Your link name (optional)', 'reftrail' ) . '<br><input name="reftrail_apply_id" maxlength="64" pattern="[A-Za-z0-9._\-]{1,64}" value="' . esc_attr( $v['id'] ) . '"></label><br><small>' . esc_html__( 'Letters, digits, - _ . Left empty, it is made from your name.', 'reftrail' ) . '</small></p>';
		$out .= '<p><label>' . esc_html__( 'Website or channel (optional)', 'reftrail' ) . '<br><input name="reftrail_apply_website" type="url" maxlength="500" placeholder="https://" value="' . esc_attr( $v['website'] ) . '"></label></p>';
		$out .= '<p><label>' . esc_html__( 'How will you promote us? (optional)', 'reftrail' ) . '<br><textarea name="reftrail_apply_message" rows="4" maxlength="2000">' . esc_textarea( $v['message'] ) . '</textarea></label></p>';
		$out .= '<p><label>' . esc_html__( 'What kind of affiliate are you?', 'reftrail' ) . '<br><select name="reftrail_apply_category">';
		foreach ( self::categories() as $value => $label ) {
			$out .= '<option value="' . esc_attr( $value ) . '"' . selected( $v['category'], $value, false ) . '>' . esc_html( $label ) . '</option>';
		}
		$out .= '</select></label></p>';
		if ( null !== $program['terms_url'] ) {
			$out .= '<p><label><input type="checkbox" name="reftrail_apply_terms" value="1" required' . checked( $v['terms'], true, false ) . '> ' . esc_html__( "I accept the program's terms.", 'reftrail' ) . '</label> <a href="' . esc_url( $program['terms_url'] ) . '" target="_blank" rel="noopener">' . esc_html__( 'Read the terms', 'reftrail' ) . '</a></p>';
		}
		$out .= '<p><button type="submit" name="reftrail_apply" value="1">' . esc_html__( 'Send application', 'reftrail' ) . '</button></p></form>';
		return $out;
	}

	/**
	 * The affiliate categories, by value, with their names.
	 *
	 * @return array
	 */
	private static function categories() {
		return array(
			'content'    => __( 'Content', 'reftrail' ),
			'coupon'     => __( 'Coupon', 'reftrail' ),
			'cashback'   => __( 'Cashback', 'reftrail' ),
			'influencer' => __( 'Influencer', 'reftrail' ),
			'search'     => __( 'Search', 'reftrail' ),
			'email'      => __( 'Email', 'reftrail' ),
			'comparison' => __( 'Comparison', 'reftrail' ),
			'other'      => __( 'Other', 'reftrail' ),
		);
	}

	/**
	 * The application form posted with this request, taken once: [status (`pending`, `approved`)
	 * or null, the refusal's message or '', the values sent (to fill the form in again)].
	 *
	 * @return array
	 */
	private static function posted_application() {
		$posted = md5( (string) wp_json_encode( $_POST ) ); // phpcs:ignore WordPress.Security.NonceVerification.Missing -- only to know whether this form was already handled.
		if ( null !== self::$application && $posted === self::$application[0] ) {
			return self::$application[1];
		}
		$outcome           = self::take_posted_application();
		self::$application = array( $posted, $outcome );
		return $outcome;
	}

	/**
	 * Takes the application form posted with this request: see posted_application().
	 *
	 * @return array
	 */
	private static function take_posted_application() {
		$v = array(
			'name'     => '',
			'email'    => '',
			'id'       => '',
			'website'  => '',
			'message'  => '',
			'category' => 'other',
			'terms'    => false,
		);
		// phpcs:ignore WordPress.Security.NonceVerification.Missing -- only whether the form was sent; its nonce is checked below.
		if ( ! isset( $_POST['reftrail_apply'] ) ) {
			return array( null, '', $v );
		}
		if ( ! isset( $_POST['_reftrail_apply_nonce'] ) || ! wp_verify_nonce( sanitize_text_field( wp_unslash( $_POST['_reftrail_apply_nonce'] ) ), 'reftrail_apply' ) ) {
			return array( null, __( 'The form expired; please try again.', 'reftrail' ), $v );
		}
		foreach ( array( 'name', 'email', 'id', 'website', 'message' ) as $k ) {
			$sent = $_POST[ 'reftrail_apply_' . $k ] ?? ''; // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- checked as the REST route checks it (Reftrail_Applications::checked()), shown escaped.
			$v[ $k ] = is_string( $sent ) ? wp_unslash( $sent ) : '';
		}
		$v['category'] = isset( $_POST['reftrail_apply_category'] ) ? sanitize_key( wp_unslash( $_POST['reftrail_apply_category'] ) ) : 'other';
		$v['terms']    = ! empty( $_POST['reftrail_apply_terms'] );
		$optional      = fn( $s ) => '' === trim( $s ) ? null : trim( $s );
		try {
			$status = Reftrail_Applications::apply(
				array(
					'name'           => $v['name'],
					'email'          => $v['email'],
					'id'             => $optional( $v['id'] ),
					'website'        => $optional( $v['website'] ),
					'message'        => '' === trim( $v['message'] ) ? null : $v['message'],
					'category'       => $v['category'],
					'terms_accepted' => $v['terms'],
					'recruiter'      => $optional( self::recruiter_from_link() ),
				),
				isset( $_SERVER['REMOTE_ADDR'] ) ? sanitize_text_field( wp_unslash( $_SERVER['REMOTE_ADDR'] ) ) : 'unknown'
			);
			return array( $status, '', $v );
		} catch ( Reftrail_Http_Error $e ) {
			return array( null, self::refusal( $e ), $v );
		}
	}

	/**
	 * What the form says of a refused application, in the visitor's language.
	 *
	 * @param Reftrail_Http_Error $e The refusal.
	 * @return string
	 */
	private static function refusal( Reftrail_Http_Error $e ) {
		$messages = array(
			'applications_closed'    => __( 'This program is not taking applications at the moment.', 'reftrail' ),
			'invalid_name'           => __( 'Enter your name (at most 200 characters, on one line).', 'reftrail' ),
			'invalid_email'          => __( 'Enter your email address, like name@example.com.', 'reftrail' ),
			'invalid_affiliate'      => __( 'A link name has 1 to 64 letters, digits, -, _ or . and no spaces.', 'reftrail' ),
			'invalid_website'        => __( 'The website must be an address starting with http:// or https://, without spaces.', 'reftrail' ),
			'invalid_message'        => __( 'The message is too long (at most 2,000 characters).', 'reftrail' ),
			'invalid_category'       => __( 'Choose what kind of affiliate you are.', 'reftrail' ),
			'invalid_terms_accepted' => __( "Please accept the program's terms to apply.", 'reftrail' ),
			'terms_not_accepted'     => __( "Please accept the program's terms to apply.", 'reftrail' ),
			'rate_limited'           => __( 'Too many applications came from your network in the last hour; please try again later.', 'reftrail' ),
			'affiliate_exists'       => __( 'This link name is taken. Choose another.', 'reftrail' ),
		);
		return $messages[ $e->error_code ] ?? __( 'Your application could not be sent; please try again later.', 'reftrail' );
	}
}
