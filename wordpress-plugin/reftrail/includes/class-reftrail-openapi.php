<?php
/**
 * The plugin's OpenAPI 3.1 document (`GET /wp-json/reftrail/v1/openapi.json`): the contract's
 * paths as this plugin serves them under `/wp-json/reftrail`, their callers and error shape.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * The OpenAPI document.
 */
final class Reftrail_OpenAPI {

	/**
	 * The routes: path => method => [summary, security schemes, success status, and optionally
	 * `['query' => name => [type, description], 'content' => media type of the success,
	 * 'body' => name => [type, description, required (default true)]]` (a JSON body of exactly
	 * those fields), 'upload' => [media type, description] (a body of another type)].
	 *
	 * @return array
	 */
	private static function routes() {
		$m      = array( 'secret_key', 'session', 'wordpress_user' );
		$in     = array( 'secret_key', 'publishable_key', 'session', 'wordpress_user' );
		$me     = array( 'affiliate_token', 'wordpress_user' );
		$period = array(
			'from' => array( 'string', 'From (RFC 3339 or YYYY-MM-DD), inclusive; default 30 days before to' ),
			'to'   => array( 'string', 'To (RFC 3339, exclusive, or YYYY-MM-DD, inclusive); default now' ),
		);
		$days   = array_merge( $period, array( 'campaign' => array( 'string', 'Only this campaign\'s clicks (a click\'s utm_campaign, else its campaign) and referrals, the name exactly as written after trimming; empty for all; at most 256 bytes without control characters (invalid_campaign)' ) ) );
		$certs  = 'One certificate per affiliate and currency with tax withheld from payout lines of payouts made in the period (by affiliate id, then currency): {"from", "to", "payer" (the program\'s, or null), "certificates": [{"affiliate", "currency", "payee": {"name", "tax_id", "address", "type" (person, company or null: the form the tax was filed on)} (the affiliate as now; the tax id of the latest line, else theirs), "payments": [{"payout", "paid_at" (when the transfer was marked sent, else the payout\'s time), "gross", "withheld", "paid"}] (the lines with tax withheld, by paid_at), "gross", "withheld", "paid", "withheld_words" (THB: the tax withheld in Thai words; else null)}]}; 400 invalid_range';
		$ledger = array(
			'status'    => array( 'string', 'Only this status: pending, approved, paid, rejected or reversed' ),
			'affiliate' => array( 'string', "Only this affiliate's" ),
			'campaign'  => array( 'string', 'Only those credited with this campaign, exactly as named (byte for byte): 1 to 256 bytes without control characters' ),
			'flagged'   => array( 'boolean', 'Only flagged (true) or unflagged (false) ones' ),
			'verified'  => array( 'boolean', 'Only those whose conversion was verified (true: reported with the secret key or by WooCommerce) or not (false: reported by the shop\'s page with the publishable key)' ),
			'from'      => array( 'string', 'From (RFC 3339 or YYYY-MM-DD), inclusive; default 30 days before to' ),
			'to'        => array( 'string', 'To, exclusive; default now' ),
		);
		$pb     = '{"url" (the template, or null), "macros" (the 17 macros a template may use, without braces: event, status, kind, referral_id, amount, amount_minor, commission, commission_minor, currency, campaign, click_id, sub1 ... sub5, timestamp), "deliveries": [{"id", "event" (created, approved or reversed), "referral_id", "url" (as filled in), "at", "status" (pending: not sent yet, or to be tried again; delivered; failed: given up), "attempts", "last_error" (HTTP <code>, or why there was no answer), "delivered_at"}] (the latest 20, newest first)}';
		$pb_set = 'Sets or removes the postback URL: a GET to it is queued with each event of the affiliate\'s referrals (created, approved, reversed), its {macros} filled in with the referral, percent-encoded, and sent with retries; answers as GET. A change is recorded in the activity log (affiliate.updated, field postback_url); 400 invalid_postback_url (the message says why: at most 2,048 characters, no spaces, only known macros in braces, an http:// or https:// address with its host written out and without a user name, a public host unless the site allows private networks with the reftrail_postbacks_to_private_networks filter), invalid_body (an unknown field)';
		$pb_try = 'Sends a GET with sample values (event test, status pending, kind sale, every id "test", 100 of the program\'s currency with a 10 % commission, now) to the url given, or to the saved one, and answers what the tracker said: {"url" (as filled in), "delivered" (a 2xx answer), "status" (null without an answer), "error" (HTTP <code>, or why there was no answer)}; nothing is saved or queued. 400 invalid_postback_url; 409 no_postback_url (none given, none saved); 429 rate_limited (more than 10 tests of the affiliate\'s in a minute, whoever sent them)';
		$pb_in  = array( 'url' => array( array( 'string', 'null' ), 'The template, e.g. https://track.example/pb?click={sub1}&payout={commission} (trimmed); null or empty removes it', false ) );
		$wc     = '{"code" (in capitals, as the affiliate\'s coupons hold it), "discount_type" (percent or fixed_cart, as WooCommerce stores it), "amount" (as WooCommerce stores it: the percent, or a decimal amount of the shop\'s currency, 12.50), "usage_count" (the orders that used it), "url" (where wp-admin edits it)}';
		$tpl    = '{"discount_type" (percent or fixed_cart), "percent" (percent: 1 to 100) or "amount" (fixed_cart: minor units of the shop\'s currency, above zero), "usage_limit_per_user" (at least 1, or null: no limit)}';
		$dl     = '{"id" (evt_... or pb_...), "kind" (webhook or postback), "event" (the webhook event, or the postback\'s: created, approved, reversed), "url" (the endpoint, or the tracker\'s address as filled in), "affiliate_id" and "referral_id" (postbacks; null for webhooks), "at", "status" (pending, delivered or failed: given up after 12 attempts), "attempts" (since it was last sent again), "last_error", "next_at" (pending ones; else null), "delivered_at", "failed_at"}';
		$prq    = '{"id" (prq_...), "affiliate", "currency", "amount" (the approved balance when it was asked, minor units), "status" (open, paid, declined or cancelled: taken back by the affiliate), "at", "closed_at" (when it was paid, declined or taken back; else null), "payout_id" (the payout that paid it, or null), "reason" (why the merchant declined it, or null)}';
		$link   = '{"code", "path" ("/go/{code}": its address under /wp-json/reftrail), "url" (its address on the site, /go/{code}, with pretty permalinks; else null), "affiliate", "landing_url", "campaign" (or null), "target" (where it sends a visitor: landing_url with the affiliate\'s parameter (the program\'s first) and utm_campaign set after its other query pairs, the fragment kept), "opens" (how many times it was opened, bots left out; the clicks are counted by the tracker), "created_at"}';
		return array(
			'/v1/clicks'                  => array( 'post' => array( 'Records a click; with consent, sets the signed HttpOnly rt_click cookie', array(), 201 ) ),
			'/v1/leads'                   => array( 'post' => array( 'Records a lead, once per customer and event', $in, 201 ) ),
			'/v1/sales'                   => array(
				'post' => array( 'Records a sale, credits its affiliate, creates the referral; idempotent by order_id', $in, 201 ),
				'get'  => array( 'Every recorded sale, attributed or not', $m, 200 ),
			),
			'/v1/refunds'                 => array( 'post' => array( 'A full or partial refund; reverses the commission in proportion', $m, 201 ) ),
			'/v1/affiliates'              => array(
				'get'  => array(
					'Lists affiliates, by id: {"affiliates": [...], "total"}; each has recruiter: the affiliate who recruited them (who earns the program\'s recruiter_rate_bps share of their commissions), or null; and application: what they wrote when they applied through the public form, {"website", "message", "terms_url" (the program\'s terms they accepted, as the address was then, or null), "applied_at"}, or null for an affiliate the merchant added; 400 invalid_query',
					$m,
					200,
					array(
						'query' => array(
							'status'   => array( 'string', 'Only approved, pending or suspended ones' ),
							'category' => array( 'string', 'Only this category' ),
							'email'    => array( 'string', 'Only those with this email address, whatever its case (at most 254 bytes)' ),
							'q'        => array( 'string', 'Only those with this piece of text in their id, name, email or a coupon code, whatever its case and the accents of Latin letters (nguyen finds Nguyễn, dang finds Đặng; other scripts as written), trimmed; at most 100 characters without control characters (invalid_query)' ),
							'limit'    => array( 'integer', 'Page size, 1 to 500 (default 100)' ),
							'offset'   => array( 'integer', 'Offset' ),
						),
					),
				),
				'post' => array( 'Creates an affiliate and answers its portal token once. payout: null (PayPal: payout_email, else email) or bank-transfer details {"method": "vietqr", "bank": NAPAS BIN, "account", "name"?} or {"method": "promptpay", "account": mobile number, national or tax id or e-wallet id, "name"?}, checked (invalid_payout_method, invalid_payout_bank, invalid_payout_account, invalid_payout_name) and stored without separators. withholding_exempt (default false): paid in full whatever the program\'s withholding rules; tax_id: 1 to 20 letters, digits or - (invalid_tax_id); payee_type: person or company, which withholding form the tax is filed on (Thailand: ภ.ง.ด.3 or ภ.ง.ด.53), default null (invalid_payee_type); address: their postal address, one line of 1 to 600 bytes (invalid_address); recruiter: the id of the affiliate who recruited them, default null (400 invalid_recruiter when it is not an affiliate id; 422 invalid_recruiter when no affiliate has it or it would make a loop: the affiliate itself, or someone they recruited, directly or down the line)', $m, 201 ),
			),
			'/v1/affiliates.csv'          => array(
				'get'  => array(
					"Every affiliate as CSV, by id (byte order), with the filters of GET /v1/affiliates (without paging); columns id, name, email, payout_email, category, status, coupons (the codes, sorted, separated by a space), sale_rate (a percent, when the overrides are one sale percent), commission (other overrides as JSON), recruiter, payout_method, payout_bank, payout_account, payout_name, withholding_exempt (true or false), tax_id, payee_type, address, created_at; free text a spreadsheet would run as a formula starts with '; 400 invalid_query; more than 100,000 affiliates is a 422 export_too_large",
					$m,
					200,
					array(
						'query'   => array(
							'status'   => array( 'string', 'Only approved, pending or suspended ones' ),
							'category' => array( 'string', 'Only this category' ),
						),
						'content' => 'text/csv',
					),
				),
				'post' => array(
					"Adds the affiliates of a CSV file, the body (UTF-8, at most 4 MiB: else 413 payload_too_large; 10,000 rows): the export's columns (id and name, or username, required; header names compared trimmed, lower-case, each run of spaces or - as one _; other columns are answered in ignored_columns, in that form), separated by the header line's first of a comma, a semicolon or a tab. AffiliateWP's affiliate export reads as it is: id_column names the column of link names (Username or Affiliate ID; a column named id is then ignored), Payment Email fills payout_email, Rate fills sale_rate, Rate Type flat makes the rate an amount per sale in the program's currency (with at most its decimals), Username fills an empty name, and the statuses active (approved), inactive and rejected (suspended) are read; a field filled by two columns is a 400 invalid_csv. Each row is checked as the body of POST /v1/affiliates (the same error codes), plus sale_rate (a percent with at most two decimals, . or , as the decimal mark: invalid_sale_rate), commission (JSON overrides; both: invalid_commission), withholding_exempt (true/false/yes/no/1/0: invalid_withholding_exempt), payout_method (needed by the other payout_ cells: invalid_payout), coupons (separated by spaces, commas or semicolons; one of another affiliate or of an earlier row: coupon_taken), recruiter (an affiliate or another new row, without loops: invalid_recruiter), an id on an earlier row (duplicate_row) or a row of another number of cells (invalid_csv); a row whose id exists is skipped, nothing of that affiliate changes. Answers 200 {\"dry_run\", \"created\", \"existing\", \"invalid\", \"emailed\" (welcome=true: the new approved affiliates with an email, told their account moved here; in a dry run, how many would be; else 0), \"ignored_columns\", \"rows\": [{\"line\" (where the row starts, the header being line 1), \"id\", \"result\" (created, exists or invalid), \"error\" (invalid rows: {\"code\", \"message\"})}]}; without dry_run, a file with an invalid row is a 400 invalid_import naming the first and nothing is written, else every new affiliate is created in one transaction (each recorded as affiliate.created; no portal token is issued; a conflicting change made meanwhile is a 409 affiliate_exists or coupon_taken, and nothing is written). An unreadable file (not UTF-8, no id or name column, a column named twice, no rows) is a 400 invalid_csv",
					$m,
					200,
					array(
						'query'  => array(
							'dry_run'   => array( 'boolean', 'true: check every row and answer what the import would do, writing nothing (default false)' ),
							'id_column' => array( 'string', 'The column that holds each affiliate\'s link name (default id; Username or Affiliate ID for an AffiliateWP export, whichever its links use); empty or over 64 bytes is a 400 invalid_query' ),
							'welcome'   => array( 'boolean', 'true: email each new approved affiliate with an email, in the program\'s language, once the import is written, that their account has moved here and their links work as before (default false)' ),
						),
						'upload' => array( 'text/csv', 'The CSV file' ),
					),
				),
			),
			'/v1/migrations/affiliatewp'  => array(
				'get'  => array( "What AffiliateWP left in this site's database (its tables stay after it is deactivated): {\"available\" (whether its affiliates table is here), \"affiliates\", \"coupons\" (published WooCommerce coupons linked to its affiliates), \"referral_var\" (its links' query parameter, ref by default), \"referral_format\" (id or username: what its links carry), \"params_missing\" (whether the program's link parameters lack referral_var)}", $m, 200 ),
				'post' => array(
					"Adds AffiliateWP's affiliates, each checked and written as a row of POST /v1/affiliates.csv and answered the same way (ignored_columns empty; each row's line is the AffiliateWP affiliate's number): id their username when AffiliateWP's links carry usernames, else their number; name the user's display name (else username); email the user's; payout_email their payment email; status active (approved), pending, inactive or rejected (suspended); their own rate, if set, a sale percent or (flat) an amount per sale in the program's currency; coupons the WooCommerce coupons AffiliateWP links to them. An affiliate whose WordPress user is gone is an invalid row (invalid_affiliate). Without dry_run, an invalid row is a 400 invalid_import and nothing is written; else every new affiliate is created in one transaction, with referral_var added to the program's link parameters when they lack it (recorded in the program's history). 404 not_found when AffiliateWP's tables are not on this site",
					$m,
					200,
					array(
						'query' => array(
							'dry_run' => array( 'boolean', 'true: check every affiliate and answer what the import would do, writing nothing (default false)' ),
							'welcome' => array( 'boolean', 'true: email each new approved affiliate with an email, in the program\'s language, once the import is written, that their account has moved here and their links work as before (default false)' ),
						),
					),
				),
			),
			'/v1/affiliates/{id}'         => array(
				'get'   => array( 'One affiliate, with its application (as GET /v1/affiliates lists it)', $m, 200 ),
				'patch' => array( 'Changes an affiliate: the fields given; payout_email: null removes it (payouts go to email); payout: an object replaces the bank details whole, null goes back to PayPal; tax_id, payee_type and address: null removes it; recruiter: another affiliate\'s id, checked as on POST (invalid_recruiter), null removes it; a refused field changes nothing', $m, 200 ),
			),
			'/v1/affiliates/{id}/token'   => array( 'post' => array( 'A new portal token', $m, 201 ) ),
			'/v1/affiliates/{id}/woocommerce-coupons' => array(
				'get'  => array( 'WordPress with WooCommerce only: the published WooCommerce coupons (shop_coupon posts) whose code is one of the affiliate\'s coupons, compared as coupon codes are (whatever their case), by code: {"coupons": [' . $wc . ']}; 404 affiliate_not_found; 409 woocommerce_missing (this site has no shop_coupon post type)', $m, 200 ),
				'post' => array(
					'WordPress with WooCommerce only: makes a WooCommerce coupon for the affiliate and adds its code to their coupons as PATCH /v1/affiliates/{id} does (recorded in the activity log as affiliate.updated), both or neither: a published shop_coupon post titled with the code (in lower case, as WooCommerce keeps codes), its post_excerpt "Affiliate coupon: <affiliate id>", and the meta discount_type, coupon_amount (a decimal string: the percent, or the amount at the exponent of the shop\'s currency, 50000 VND, 12.50 USD), individual_use "no", usage_count "0" and usage_limit_per_user when given. Answers 201 {"coupon": ' . $wc . ', "coupons": [the affiliate\'s codes]}. Errors: 400 invalid_body (an unknown field, a wrong type, amount on a percent coupon or percent on a fixed_cart one), invalid_discount_type, invalid_percent, invalid_amount, invalid_usage_limit_per_user, invalid_coupons (the code breaks the rules of an affiliate\'s coupons, WooCommerce would keep it otherwise, or the affiliate would have more than 50); 403 role_forbidden (a WordPress user who may not publish WooCommerce coupons); 404 affiliate_not_found; 409 woocommerce_missing, coupon_taken (an affiliate has the code), coupon_exists (WooCommerce has a coupon with the code, in any state but the trash); nothing is written on any of them',
					$m,
					201,
					array(
						'body' => array(
							'discount_type'        => array( 'string', 'percent (a percentage of the cart) or fixed_cart (an amount off the cart)' ),
							'percent'              => array( 'integer', 'The percent off, 1 to 100 (percent coupons)', false ),
							'amount'               => array( 'integer', 'The amount off in minor units of the shop\'s currency (WooCommerce\'s setting), above zero (fixed_cart coupons)', false ),
							'code'                 => array( array( 'string', 'null' ), 'The code, upper-cased: 1 to 64 characters without spaces; default the affiliate\'s id in capitals, letters and digits only, then the percent (ALICE10), or nothing for an amount off', false ),
							'usage_limit_per_user' => array( array( 'integer', 'null' ), 'How many times one customer may use it, at least 1; null or absent: no limit', false ),
						),
					),
				),
			),
			'/v1/woocommerce-coupons/template' => array(
				'get' => array( 'WordPress with WooCommerce only: the WooCommerce coupon each newly approved affiliate gets: {"template": ' . $tpl . '}, null when none is set; 409 woocommerce_missing (this site has no shop_coupon post type)', $m, 200 ),
				'put' => array(
					'WordPress with WooCommerce only: sets the WooCommerce coupon each newly approved affiliate gets, or turns it off with {"template": null}; answers {"template": ...} as GET does. A change is recorded in the activity log (woocommerce_coupon_template.updated, details {"before", "after"}). While it is set, an application approved (PATCH /v1/affiliates/{id} from pending to approved, or approved at once by the program) and an affiliate added already approved (POST /v1/affiliates; not the imports, whose affiliates bring their coupons) get a coupon as POST /v1/affiliates/{id}/woocommerce-coupons makes one, in the same transaction, unless a published WooCommerce coupon is among their codes already: its code is the default one (ALICE10), else the first free of that code followed by 2 to 20 (ALICE102 ... ALICE1020). When none is free, or the code is refused (an id without letters or digits, a code over 64 characters, an affiliate with 50 codes), no coupon is made and woocommerce_coupon.skipped is recorded instead (details {"reason" (codes_taken, invalid_code or invalid_coupons), "code", "message"}); the approval goes on. The coupon is recorded by whoever approved, else "woocommerce". Errors: 400 invalid_body (an unknown field, a code, a wrong type, amount on a percent template or percent on a fixed_cart one), invalid_discount_type, invalid_percent, invalid_amount, invalid_usage_limit_per_user; 403 role_forbidden (a WordPress user who may not manage the site: only the secret key and administrators may change it); 409 woocommerce_missing (a template without WooCommerce; null is accepted)',
					$m,
					200,
					array(
						'body' => array(
							'template' => array( array( 'object', 'null' ), 'The template: ' . $tpl . ', or null for none' ),
						),
					),
				),
			),
			'/v1/affiliates/{id}/daily'   => array(
				'get' => array(
					'The affiliate\'s figures day by day (UTC), as GET /v1/me/daily answers them to the affiliate; 404 affiliate_not_found',
					$m,
					200,
					array( 'query' => $days ),
				),
			),
			'/v1/affiliates/{id}/postback' => array(
				'get' => array( 'The affiliate\'s postback URL and its latest requests: ' . $pb . '; 404 affiliate_not_found', $m, 200 ),
				'put' => array( $pb_set . '; 404 affiliate_not_found', $m, 200, array( 'body' => $pb_in ) ),
			),
			'/v1/affiliates/{id}/postback/test' => array( 'post' => array( $pb_try . '; 404 affiliate_not_found', $m, 200, array( 'body' => array( 'url' => array( array( 'string', 'null' ), 'A template to try before saving it; without it, the saved one', false ) ) ) ) ),
			'/v1/referrals'               => array(
				'get' => array(
					'The referral ledger, newest first: {"referrals": [...] (the page), "total" (how many referrals the filters match, whatever limit and offset)}; 400 invalid_query',
					$m,
					200,
					array(
						'query' => array_merge(
							$ledger,
							array(
								'limit'  => array( 'integer', 'Page size, 1 to 500 (default 100)' ),
								'offset' => array( 'integer', 'Offset' ),
							)
						),
					),
				),
			),
			'/v1/referrals.csv'           => array(
				'get' => array(
					"The referral ledger as CSV, with the filters of /v1/referrals (without paging: limit or offset is a 400), newest first; amounts are decimals in the currency's units; the last column is the referral's campaign (empty for none); order ids, events and campaigns that a spreadsheet would run as formulas start with '; more than 100,000 referrals is a 422 export_too_large: export a shorter period",
					$m,
					200,
					array(
						'query'   => $ledger,
						'content' => 'text/csv',
					),
				),
			),
			'/v1/referrals/{id}'          => array( 'get' => array( 'One referral', $m, 200 ) ),
			'/v1/referrals/{id}/approve'  => array( 'post' => array( 'Approves a referral', $m, 200 ) ),
			'/v1/referrals/{id}/reject'   => array( 'post' => array( 'Rejects a referral', $m, 200 ) ),
			'/v1/balances'                => array( 'get' => array( 'Balances per affiliate and currency', $m, 200 ) ),
			'/v1/payouts'                 => array(
				'get'  => array( 'Payouts', $m, 200 ),
				'post' => array( "Batches approved commissions and bonuses into a payout: a line per affiliate and currency with its method (paypal, vietqr, promptpay) as the affiliate is paid now, paypal_email (null for a bank transfer), bank, account, account_name, and transfer_qr: the EMVCo QR payload of a vietqr line in VND or a promptpay line in THB, else null. gross is what the line settles of the balance, withheld the tax the program's withholding rules keep back from it (0 for an exempt affiliate), amount what the affiliate is paid (gross less withheld: the QR and the PayPal file pay it), tax_id the affiliate's at the payout; referrals, bonuses and recruiter_commissions count the referrals, the bonuses and the shares of recruits' commissions it settles (each bonus and share becomes paid, with the payout's id); fee is null until a transfer fee is recorded (POST /v1/payouts/{id}/sent). An affiliate's balance in the program's currency is paid once it reaches the program's min_payout; a balance in another currency from its first minor unit. 422 nothing_to_pay when no balance is payable", $m, 201 ),
			),
			'/v1/payouts/{id}'            => array( 'get' => array( 'One payout; append .csv for the PayPal mass-payment file (its PayPal lines only). Each line has sent_at: when its transfer was marked as sent (RFC 3339), or null; and fee: what the transfer cost the merchant (minor units of the line\'s currency), or null', $m, 200 ) ),
			'/v1/payouts/{id}/sent'       => array(
				'post' => array(
					"Marks one line's transfer as sent, or not, and what it cost: the merchant's record of the lines paid from their banking app (or by PayPal's file); the ledger already holds them as paid. sent: true sets the line's sent_at to now unless it is set (the first time is kept), and its fee when one is given (also on a line sent already: a correction; left out, the fee is kept); false clears sent_at and the fee. The fee is an integer of minor units of the line's currency, 0 to 2^53-1, given with sent: true only (else 400 invalid_fee); the reports add it to the channel cost. A change of sent or of the fee is recorded (payout.sent, with the fee). Answers the whole payout; 404 payout_not_found, or payout_line_not_found when the payout has no line for that affiliate and currency",
					$m,
					200,
					array(
						'body' => array(
							'affiliate' => array( 'string', "The line's affiliate" ),
							'currency'  => array( 'string', "The line's currency" ),
							'sent'      => array( 'boolean', 'true: the transfer was sent; false: not yet' ),
							'fee'       => array( 'integer', "With sent: true, what the transfer cost the merchant, minor units of the line's currency (optional: left out, the line keeps its fee)", false ),
						),
					),
				),
			),
			'/v1/bonuses'                 => array(
				'get'  => array(
					'Bonuses: money given to affiliates outside any referral, newest first (by created_at, then id): {"bonuses": [{"id", "affiliate", "amount", "currency", "reason", "status" ("approved": payable, paid by the next payout; "paid"; "cancelled"), "payout_id" (the payout that paid it, or null), "created_at", "cancelled_at" (or null), "by" (who gave it, as the activity log names them)}], "total" (how many match the filters, whatever limit and offset)}; 400 invalid_status, invalid_affiliate, invalid_query',
					$m,
					200,
					array(
						'query' => array(
							'affiliate' => array( 'string', "Only this affiliate's" ),
							'status'    => array( 'string', 'Only approved, paid or cancelled ones; all when absent' ),
							'limit'     => array( 'integer', 'Page size, 1 to 500 (default 100)' ),
							'offset'    => array( 'integer', 'Offset' ),
						),
					),
				),
				'post' => array(
					'Gives an approved affiliate a bonus, payable at once (their approved balance; the next payout pays it): {"affiliate", "amount" (minor units, 1 to 2^53-1), "currency", "reason" (what it is for, shown to the affiliate: one line of 1 to 200 bytes, stored without the spaces at its ends)}, all required, no other field; answers the bonus as GET /v1/bonuses lists it, and records bonus.created. An Idempotency-Key header replays the first answer (200) to the same bonus, and is a 409 idempotency_key_reused with another. Errors: 400 invalid_affiliate, invalid_amount, invalid_currency, invalid_reason; 404 affiliate_not_found; 422 affiliate_not_approved',
					$m,
					201,
					array(
						'body' => array(
							'affiliate' => array( 'string', 'The id of an approved affiliate' ),
							'amount'    => array( 'integer', 'Minor units, 1 to 2^53-1' ),
							'currency'  => array( 'string', 'ISO 4217 code' ),
							'reason'    => array( 'string', 'What it is for, shown to the affiliate: 1 to 200 bytes, one line' ),
						),
					),
				),
			),
			'/v1/recruiter-commissions'   => array(
				'get' => array(
					'Recruiter commissions: the share of each commission a recruit earns that their recruiter earns on top (the program\'s recruiter_rate_bps when the referral was made), newest first: {"recruiter_commissions": [{"id", "affiliate" (the recruiter), "recruit", "referral", "rate_bps", "amount" (as made), "reversed" (what the recruit\'s refunds took back), "currency", "status" (pending, approved, paid, rejected or reversed, following the referral), "payout_id" (the recruiter\'s payout that paid it, or null), "created_at"}], "total" (how many match the filters, whatever limit and offset)}; 400 invalid_query',
					$m,
					200,
					array(
						'query' => array(
							'affiliate' => array( 'string', "Only this recruiter's" ),
							'recruit'   => array( 'string', "Only the shares of this recruit's commissions" ),
							'status'    => array( 'string', 'Only pending, approved, paid, rejected or reversed ones; all when absent' ),
							'limit'     => array( 'integer', 'Page size, 1 to 500 (default 100)' ),
							'offset'    => array( 'integer', 'Offset' ),
						),
					),
				),
			),
			'/v1/payout-requests'         => array(
				'get' => array(
					'Affiliates\' requests to be paid, newest first (by at, then id): {"requests": [' . $prq . '], "total" (how many match the filters, whatever limit and offset)}. A payout (POST /v1/payouts) that pays the affiliate in that currency closes their open request in its transaction; 400 invalid_query',
					$m,
					200,
					array(
						'query' => array(
							'status'    => array( 'string', 'Only open, paid, declined or cancelled ones; all when absent' ),
							'affiliate' => array( 'string', "Only this affiliate's" ),
							'limit'     => array( 'integer', 'Page size, 1 to 500 (default 100)' ),
							'offset'    => array( 'integer', 'Offset' ),
						),
					),
				),
			),
			'/v1/payout-requests/{id}/decline' => array(
				'post' => array(
					'Declines an open payout request, with an optional reason the affiliate reads (trimmed; empty is none): answers the request, records payout.request_declined ({"currency", "amount", "reason"}) and emails the affiliate (payout_request.declined, whatever affiliate_emails lists). 400 invalid_reason (more than 500 bytes, or a control character), invalid_body; 403 role_forbidden (a WordPress user who may only read the program); 404 payout_request_not_found; 409 request_closed (paid, declined or taken back already)',
					$m,
					200,
					array( 'body' => array( 'reason' => array( array( 'string', 'null' ), 'Why, shown to the affiliate: at most 500 bytes without control characters', false ) ) ),
				),
			),
			'/v1/bonuses/{id}/cancel'     => array( 'post' => array( 'Cancels a bonus not yet paid: its amount leaves the affiliate\'s approved balance, and bonus.cancelled is recorded; a cancelled one is answered as it is. Answers the bonus; 404 bonus_not_found; 409 invalid_status for a paid bonus', $m, 200 ) ),
			'/v1/program'                 => array(
				'get' => array( 'The program settings', $m, 200 ),
				'put' => array( 'Replaces the program settings; a change is recorded with who made it (GET /v1/program/changes). commission.affiliate_categories: rates by affiliate category, {"<category>": {"sale": <rate>, "lead": <amounts>}} (each optional), which every affiliate of the category earns where they have no override of their own, before the program\'s sale and lead; its keys are the affiliate categories (content, coupon, cashback, influencer, search, email, comparison, other), else invalid_commission; answered as given, {} when none. withholding: the tax kept back from payout lines, one rule per currency {"currency", "rate_bps" (1 to 5000), "threshold" (minor units: smaller lines are not taxed)}, at most 20 (invalid_withholding). payer: null or the shop as withholding tax certificates name it, {"name" (1 to 200 bytes), "tax_id" (1 to 20 letters, digits or -), "address" (one line of 1 to 600 bytes)} (invalid_payer). webhooks: at most 10 {"url" (http or https), "events"}, events naming what to send (affiliate.applied, referral.created, referral.approved, referral.reversed, recruiter_commission.created (a recruiter\'s share of their recruit\'s new commission, as GET /v1/recruiter-commissions lists it, after the referral\'s own events), payout.created, bonus.created, bonus.cancelled), empty or absent for all (invalid_webhooks). min_payout: the smallest payout per affiliate in the program\'s currency, minor units, 0 or more (invalid_min_payout); a balance in another currency is paid from its first minor unit. recruiter_rate_bps: the share of each commission a recruit earns that their recruiter earns on top, 0 (default: none) to 5000 basis points (invalid_recruiter_rate). applications: how the public form takes applications, closed (default), review (a pending affiliate to approve or decline) or auto (approved at once) (invalid_applications); terms_url: null or the http(s) address of the terms applicants accept, at most 500 bytes without spaces (invalid_terms_url); fraud.applications_per_ip_per_hour: 1 to 100000, default 10 (invalid_fraud); fraud.flag_paid_ads: true flags a conversion whose click came from a paid ad (a gclid, gbraid, wbraid, dclid, msclkid, ttclid, twclid, li_fat_id, epik or rdt_cid among its click ids; not fbclid) paid_ads, never approved automatically, default false (a value that is not a boolean: invalid_fraud). logo_url: null or the http(s) address of the shop\'s logo for the portal\'s header, at most 500 bytes without spaces (invalid_logo_url); accent_color: null or the shop\'s colour for the portal\'s buttons and links, #rrggbb with a contrast of at least 3:1 against white (invalid_accent_color)', $m, 200 ),
			),
			'/v1/program/changes'         => array(
				'get' => array(
					'The history of the program settings, newest first (by at, then the later recorded first): {"changes": [{"id", "at" (RFC 3339 UTC), "by" ("secret_key", or "user:<user_login>" for a WordPress user), "settings": [{"setting", "before", "after"}] (each top-level setting whose value the change altered, by name, with its whole value before and after; never webhook_secret)}]}, one entry per PUT /v1/program that changed something; 400 invalid_query',
					$m,
					200,
					array(
						'query' => array(
							'limit'  => array( 'integer', '1 to 500; default 50' ),
							'offset' => array( 'integer', 'Entries to skip (0 or more); default 0' ),
						),
					),
				),
			),
			'/v1/activity'                => array(
				'get' => array(
					'The activity log: who created or changed an affiliate or applied to the program, issued their portal token, approved or rejected a referral, recorded a refund, made a payout or marked a line sent, gave or cancelled a bonus, created, changed or deleted a creative, created or revoked a key, sent a delivery again, asked to be paid (an affiliate) or declined such a request, newest first (by at, then the later recorded first): {"activity": [{"id", "at" (RFC 3339 UTC), "by" ("secret_key", "user:<user_login>" for a WordPress user, "affiliate:<id>" for an affiliate changing themself with PATCH /v1/me or asking to be paid, or "woocommerce" for a refund WooCommerce reported with no one signed in, or the WooCommerce coupon of an affiliate approved at once), "action" (affiliate.created, affiliate.applied (by "affiliate:<id>", the applicant), affiliate.updated, affiliate.token_issued, referral.approved, referral.rejected, refund.created, creative.created, creative.updated, creative.deleted, payout.created, payout.sent, bonus.created, bonus.cancelled, key.created, key.revoked, delivery.retried, payout.requested, payout.request_declined, woocommerce_coupon_template.updated or woocommerce_coupon.skipped), "subject" (the id of the affiliate, referral, refund, creative, payout, payout request, bonus or key; woocommerce_coupon_template), "affiliate" (the affiliate concerned, or null), "details" ({"changes": [{"field", "before", "after"}]} for affiliate.updated: each field of the affiliate as GET /v1/affiliates/{id} shows it that the change altered, by name, and for creative.updated: each of image_url, kind, landing_url, name, status and text as GET /v1/creatives shows it that the change altered; {"reason"} for referral.rejected; {"order_id", "amount", "currency", "reason", "commission_reversed"} for refund.created (a refund made through the API or WooCommerce; affiliate: that of the order\'s referral, or null); {"name", "kind"} for creative.created and creative.deleted; {"lines"} for payout.created; {"currency", "sent", "fee"} for payout.sent; {"amount", "currency", "reason"} for bonus.created; {"kind"} for a key; {"before", "after"} for woocommerce_coupon_template.updated; {"reason", "code", "message"} for woocommerce_coupon.skipped; {"kind", "event", "url", "status" (before)} for delivery.retried (subject: the delivery; affiliate: the postback\'s); {"currency", "amount"} for payout.requested and {"currency", "amount", "reason"} for payout.request_declined (subject: the request); {} otherwise)}]}; only what changed something is recorded, never a refused request or a repeat; 400 invalid_action, invalid_query',
					$m,
					200,
					array(
						'query' => array(
							'affiliate' => array( 'string', 'Only the entries concerning this affiliate' ),
							'action'    => array( 'string', 'Only this action, or a family of them: affiliate., referral., refund., creative., payout., bonus., key., delivery., woocommerce_coupon_template. or woocommerce_coupon.' ),
							'limit'     => array( 'integer', 'Page size, 1 to 500 (default 100)' ),
							'offset'    => array( 'integer', 'Offset' ),
						),
					),
				),
			),
			'/v1/creatives'               => array(
				'get'  => array(
					'The creatives (text links and banners for affiliates), newest first (by created_at, then id): {"creatives": [{"id", "name", "kind" ("link" or "image"), "text" (the link\'s text, or the image\'s alt text), "image_url" (null for a link), "landing_url" (null: the shop\'s home page), "status" ("active" or "archived"), "created_at", "updated_at"}]}; 400 invalid_status, invalid_query',
					$m,
					200,
					array(
						'query' => array(
							'status' => array( 'string', 'Only active or only archived ones; all when absent' ),
							'limit'  => array( 'integer', 'Page size, 1 to 500 (default 100)' ),
							'offset' => array( 'integer', 'Offset' ),
						),
					),
				),
				'post' => array( 'Adds a creative, {"name" (one line of 1 to 120 bytes), "kind" ("link" or "image"), "text" (one line of 1 to 500 bytes), "image_url" (required for an image, absent for a link), "landing_url"?, "status"? ("active" by default)}; name and text are stored without the spaces at their ends; an address is an absolute http(s) URL of at most 2000 bytes with a host right after the //, without spaces, quotes, <, >, \\, ` or a user name, stored as given. Errors, the first broken rule in this order: invalid_name, invalid_kind, invalid_text, invalid_image_url, invalid_landing_url, invalid_status; a missing field, an unknown one or a wrong type is invalid_body', $m, 201 ),
			),
			'/v1/creatives/{id}'          => array(
				'patch'  => array( 'Changes the fields given of a creative, checked whole as POST /v1/creatives checks them (an image needs image_url; a link has none); image_url and landing_url: null removes it; null for name, kind, text or status is refused under its code; answers the creative, with updated_at now when a field changed; a refused change changes nothing; 404 creative_not_found', $m, 200 ),
				'delete' => array( 'Deletes a creative; 404 creative_not_found', $m, 204 ),
			),
			'/v1/links'                   => array(
				'get' => array(
					'Everyone\'s short links, newest first (by created_at, then code): {"links": [' . $link . ']}; 400 invalid_query',
					$m,
					200,
					array(
						'query' => array(
							'affiliate' => array( 'string', "Only this affiliate's" ),
							'limit'     => array( 'integer', 'Page size, 1 to 500 (default 100)' ),
							'offset'    => array( 'integer', 'Offset' ),
						),
					),
				),
			),
			'/v1/links/{code}'            => array( 'delete' => array( 'Deletes anyone\'s short link (one used against the program\'s terms): it stops working at once; 404 link_not_found', $m, 204 ) ),
			'/v1/privacy/export'          => array( 'post' => array( 'What the program holds about a customer (by email, email_hash or customer_id)', $m, 200 ) ),
			'/v1/privacy/erase'           => array( 'post' => array( 'Erases a customer from orders, leads and clicks; orders, referrals and affiliate accounts stay', $m, 200 ) ),
			'/v1/keys'                    => array(
				'get'  => array( 'API keys, without their secrets', $m, 200 ),
				'post' => array( 'A new key, shown once', $m, 201 ),
			),
			'/v1/keys/{id}'               => array( 'delete' => array( 'Revokes a key', $m, 204 ) ),
			'/v1/reports/summary'         => array( 'get' => array( 'KPIs of a period, store and incremental revenue, top affiliates. Each money entry (per currency) has commissions, bonuses (given in the period, not cancelled), fees (of the payout lines marked sent in the period), recruiter_commissions (the shares of recruits\' commissions made in the period, less refunds, not rejected, on the recruiter\'s row) and channel_cost (their sum); roas = revenue_net / channel_cost, roi = (revenue_net - cost_of_goods - channel_cost) / channel_cost', $m, 200 ) ),
			'/v1/reports/timeseries'      => array( 'get' => array( 'KPIs per day', $m, 200 ) ),
			'/v1/reports/affiliates'      => array( 'get' => array( 'KPIs per affiliate', $m, 200 ) ),
			'/v1/reports/categories'      => array( 'get' => array( 'KPIs per affiliate category', $m, 200 ) ),
			'/v1/reports/creatives'       => array(
				'get' => array(
					'Which creative sells: every creative (active or archived), the most clicked first, then the newest: {"from", "to" (the period in whole UTC days), "rows": [{"creative", "name", "kind", "status", "clicks" (non-bot clicks of the period on its links: the click\'s utm_content is its id, as the portal puts it on each creative\'s link), "leads" and "sales" ({"gross", "net"}: the referrals of the period credited by those clicks; net leaves out reversed and rejected ones), "conversion_rate" (net sales / clicks, or null), "money": [{"currency", "revenue_net" (sales less refunds, rejected ones left out), "commissions" (their net commission)}] (the currencies of its referrals)}]}; 400 invalid_range',
					$m,
					200,
					array( 'query' => $period ),
				),
			),
			'/v1/reports/campaigns'       => array(
				'get' => array(
					'Which of the affiliates\' links sell: a row per affiliate and campaign with a click or a referral in the period, {"from", "to" (the period in whole UTC days), "rows": [{"affiliate", "campaign" (the click\'s utm_campaign, else its campaign, as given; a referral\'s is that of what credited it: the click, the touch, the referral a renewal or a returning customer follows; null: links without one, and coupons), "clicks" and "unique_clicks" (non-bot clicks of the period on the affiliate\'s links with that campaign), "sales" and "leads" ({"gross", "net"}: the referrals created in the period; net leaves out reversed and rejected ones), "conversion_rate_clicks" (net sales / clicks, or null), "money": [{"currency", "revenue_gross" (sale amounts), "revenue_net" (less refunds, rejected sales left out), "commissions" (the referrals\' net commission), "epc_per_100" (commissions x 100 / clicks)}] (the currencies of its referrals)}]}, sorted by clicks, then net sales (descending), then affiliate, then campaign (none first); 400 invalid_range, invalid_query',
					$m,
					200,
					array(
						'query' => array_merge(
							$period,
							array(
								'affiliate' => array( 'string', "Only this affiliate's rows (an affiliate id; an unknown one has none)" ),
								'limit'     => array( 'integer', 'At most this many rows, 1 to 1000 (default 100)' ),
							)
						),
					),
				),
			),
			'/v1/reports/withholding.csv' => array(
				'get' => array(
					"What was paid to each affiliate in each currency by the payouts of a period, and the tax withheld from it, as CSV (affiliate_id, name, tax_id, payee_type, currency, gross, withheld, paid, payouts): one row per affiliate and currency, amounts as decimals in the currency's units, the tax id as the latest payout of the period recorded it, the payee type (person, company or empty) as the affiliate's is now",
					$m,
					200,
					array(
						'query'   => $period,
						'content' => 'text/csv',
					),
				),
			),
			'/v1/reports/withholding/certificates' => array(
				'get' => array(
					"Withholding tax certificates (Thailand's 50 Tawi, Vietnam's withholding voucher) of every affiliate, or of one (affiliate; invalid_affiliate). " . $certs,
					$m,
					200,
					array( 'query' => array_merge( $period, array( 'affiliate' => array( 'string', "Only this affiliate's" ) ) ) ),
				),
			),
			'/v1/me'                      => array(
				'get'   => array( "The affiliate's profile, links and balances, whether they are emailed about each new referral (referral_emails), the program's smallest payout in minor units (min_payout) and the currency it is in (min_payout_currency: the program's; an approved balance in that currency below min_payout waits for the next payout that reaches it, balances in other currencies are paid from any positive sum), and the program's rates for the affiliate's category (category_commission: {\"sale\", \"lead\"}, which they earn where they have none of their own; null when the category has none)", $me, 200 ),
				'patch' => array( 'Changes, for the affiliate calling, the fields given: referral_emails (true|false: the email about each new referral), payout_email (their PayPal email; null removes it), payout (bank-transfer details as in PATCH /v1/affiliates/{id}; null goes back to PayPal) and address (their postal address, one line of 1 to 600 bytes, invalid_address; null removes it); a refused field changes nothing; answers as GET /v1/me', $me, 200 ),
			),
			'/v1/me/report'               => array( 'get' => array( "The affiliate's KPIs and referrals (each with the campaign of what credited it, or null); their money entries show their bonuses and recruiter_commissions (the shares of their recruits' commissions), and fees and channel_cost null: roas = revenue_net / (commissions + bonuses)", $me, 200 ) ),
			'/v1/me/daily'                => array(
				'get' => array(
					'The affiliate\'s figures day by day (UTC), for a chart: {"from" (the first day\'s start), "to" (the day after the last), "days": [{"day" (YYYY-MM-DD), "clicks" (their non-bot clicks that day), "sales" and "leads" (their referrals made that day that still count: neither rejected nor reversed), "commissions": [{"currency", "amount"}] (those referrals\' commission as the ledger holds it now, net of reversals, per currency; currencies whose sum is 0 left out; by currency code)}] (every day of the period, oldest first)}; the period is widened to whole UTC days and covers at most 400 days; campaign narrows the clicks and the referrals to that campaign\'s; 400 invalid_range, invalid_campaign; the secret key is a 403 forbidden',
					$me,
					200,
					array( 'query' => $days ),
				),
			),
			'/v1/me/payouts'              => array( 'get' => array( 'The payouts that paid the affiliate, newest first, each with amount (what they received), gross and withheld (the tax kept back and paid to the tax office in their name), referrals and bonuses (how many of their referrals and bonuses it settled), recruiter_commissions (how many shares of their recruits\' commissions it settled), its method, paypal_email (null for a bank transfer), account and sent_at (when the merchant marked the transfer as sent, or null)', $me, 200 ) ),
			'/v1/me/creatives'            => array(
				'get' => array(
					'The active creatives, newest first, for the affiliate to post with their own link: {"creatives": [{"id", "name", "kind", "text", "image_url", "landing_url", "updated_at"}]}; 400 invalid_query',
					$me,
					200,
					array(
						'query' => array(
							'limit'  => array( 'integer', 'Page size, 1 to 500 (default 100)' ),
							'offset' => array( 'integer', 'Offset' ),
						),
					),
				),
			),
			'/v1/me/reports/creatives'    => array(
				'get' => array(
					'What each active creative brought the affiliate calling, the most clicked first, then the newest, shaped as GET /v1/reports/creatives: {"from", "to", "rows": [{"creative", "name", "kind", "status", "clicks" (their own non-bot clicks of the period on its links), "leads" and "sales" ({"gross", "net"}: their own referrals of the period credited by a click on its links), "conversion_rate", "money": [{"currency", "revenue_net", "commissions"}]}]}; archived creatives are left out; 400 invalid_range',
					$me,
					200,
					array( 'query' => $period ),
				),
			),
			'/v1/me/campaigns'            => array(
				'get' => array(
					'The rows of GET /v1/reports/campaigns of the affiliate calling (an affiliate parameter is ignored); 400 invalid_range, invalid_query',
					$me,
					200,
					array(
						'query' => array_merge(
							$period,
							array( 'limit' => array( 'integer', 'At most this many rows, 1 to 1000 (default 100)' ) )
						),
					),
				),
			),
			'/v1/me/links'                => array(
				'get'  => array( 'The affiliate\'s short links, newest first (by created_at, then code; all of them: at most 100): {"links": [' . $link . ']}', $me, 200 ),
				'post' => array(
					'Makes a short link, /go/{code}, to a page of the shop with the affiliate\'s parameter and a campaign; answers it as GET lists it. Errors: 400 invalid_body, invalid_landing_url, landing_not_allowed (its origin is not one of the program\'s allowed_origins), invalid_campaign, invalid_code; 409 code_taken, too_many_links (100 per affiliate); the secret key is a 403 forbidden',
					$me,
					201,
					array(
						'body' => array(
							'landing_url' => array( 'string', 'A page of the shop: an http(s) address of at most 2000 bytes without spaces, quotes or a user name, its origin one of the program\'s allowed_origins (trimmed)' ),
							'campaign'    => array( array( 'string', 'null' ), 'A campaign name (utm_campaign): at most 256 bytes without control characters (trimmed; empty is none)', false ),
							'code'        => array( array( 'string', 'null' ), 'A code of their choosing: 3 to 40 letters, digits or inner hyphens, kept in lower case; without it, 7 random lower-case letters and digits', false ),
						),
					),
				),
			),
			'/v1/deliveries'              => array(
				'get' => array(
					'What the program sends out, webhook events (the owner\'s only: their endpoints are settings; a WordPress user who may not manage the site sees postbacks only) and affiliates\' postbacks, in one list, newest first (by at, then id): {"deliveries": [' . $dl . '], "total" (how many match the filters), "counts": {"pending" (retrying included), "retrying" (pending after a failed attempt), "delivered", "failed"} (every delivery the caller sees, whatever the filters)}; 400 invalid_query; 403 role_forbidden (kind=webhook, not the owner)',
					$m,
					200,
					array(
						'query' => array(
							'kind'   => array( 'string', 'Only webhook or only postback ones; empty for both' ),
							'status' => array( 'string', 'Only pending, retrying (pending after a failed attempt), delivered or failed (given up) ones; empty for all' ),
							'limit'  => array( 'integer', 'Page size, 1 to 500 (default 100)' ),
							'offset' => array( 'integer', 'Offset' ),
						),
					),
				),
			),
			'/v1/deliveries/{id}/retry'   => array( 'post' => array( 'Sends again a delivery given up, or one waiting for a later attempt: due at once, its 12 attempts counted afresh (the last error kept until the next attempt), recorded in the activity log (delivery.retried, details {"kind", "event", "url", "status" (before)}); answers the delivery as the list shows it. 403 role_forbidden (a WordPress user who may only read the program); 404 delivery_not_found (also a webhook event, to a caller who does not see them); 409 already_delivered, delivery_due (being sent, or due within a minute)', $m, 200 ) ),
			'/v1/webhooks/test'           => array(
				'post' => array(
					'Sends one signed POST of a ping event, {"id": "evt_...", "type": "ping", "created_at", "data": {}}, to a webhook endpoint, as the events are sent (Reftrail-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>"> under the webhook secret), and answers what came back: {"url", "delivered" (a 2xx answer), "status" (null without an answer), "error" (HTTP <code>, or why there was no answer)}; nothing is saved or queued. 400 invalid_url (not an http(s) URL with a host, of at most 2,048 bytes without spaces), invalid_body; 403 role_forbidden (not the owner: the secret key or a user who may manage the site)',
					$m,
					200,
					array( 'body' => array( 'url' => array( 'string', 'The endpoint: one of the settings\' or one about to be saved (trimmed)' ) ) ),
				),
			),
			'/v1/me/postback'             => array(
				'get' => array( 'The affiliate\'s postback URL and its latest requests: ' . $pb, $me, 200 ),
				'put' => array( $pb_set, $me, 200, array( 'body' => $pb_in ) ),
			),
			'/v1/me/postback/test'        => array( 'post' => array( $pb_try, $me, 200, array( 'body' => array( 'url' => array( array( 'string', 'null' ), 'A template to try before saving it; without it, the saved one', false ) ) ) ) ),
			'/v1/me/links/{code}'         => array( 'delete' => array( 'Deletes one of the affiliate\'s short links: it stops working at once; 404 link_not_found (also another affiliate\'s)', $me, 204 ) ),
			'/v1/me/bonuses'              => array(
				'get' => array(
					'The affiliate\'s bonuses that are not cancelled, newest first: {"bonuses": [{"id", "amount", "currency", "reason", "status" ("approved": paid by the next payout, or "paid"), "payout_id", "created_at"}], "total"}; 400 invalid_query',
					$me,
					200,
					array(
						'query' => array(
							'limit'  => array( 'integer', 'Page size, 1 to 500 (default 100)' ),
							'offset' => array( 'integer', 'Offset' ),
						),
					),
				),
			),
			'/v1/me/payout-requests'      => array(
				'get'  => array( 'The affiliate\'s latest 50 requests to be paid, newest first: {"requests": [' . $prq . ']}', $me, 200 ),
				'post' => array(
					'Asks for the affiliate\'s approved balance in one currency to be paid now rather than at the next payout (referrals whose hold ended are approved first): answers the request, open, with the balance as amount; records payout.requested (by "affiliate:<id>") and emails the site\'s administrator unless the plugin\'s settings say not to. 400 invalid_currency, invalid_body (an unknown or missing field); 409 request_open (one in this currency is open already), below_minimum (the approved balance is zero, or, in the program\'s own currency, under its min_payout: a balance in another currency is paid whatever its size), no_payout_details (neither a PayPal email nor bank details to pay it to)',
					$me,
					201,
					array( 'body' => array( 'currency' => array( 'string', 'The currency of the balance to be paid (ISO 4217)' ) ) ),
				),
			),
			'/v1/me/payout-requests/{id}' => array( 'delete' => array( 'Takes back one of the affiliate\'s open requests: answers it, cancelled. 404 payout_request_not_found (also another affiliate\'s); 409 request_closed (paid, declined or taken back already)', $me, 200 ) ),
			'/v1/me/recruits'             => array(
				'get' => array(
					'The affiliates the caller recruited and what each of their commissions earned the caller: {"rate_bps" (the program\'s recruiter rate now; 0: the program pays none), "recruits": [{"id", "name", "status", "joined"}] (every affiliate whose recruiter is the caller, newest first, no contact details), "commissions": [{"id", "recruit", "amount", "reversed", "currency", "status", "created_at"}] (the latest 100, newest first)}',
					$me,
					200,
				),
			),
			'/v1/me/withholding/certificates' => array(
				'get' => array(
					"The affiliate's own withholding tax certificates, as GET /v1/reports/withholding/certificates answers them for them alone. " . $certs,
					$me,
					200,
					array( 'query' => $period ),
				),
			),
			'/v1/portal/program'          => array( 'get' => array( 'What the portal shows before anyone signs in: {"name", "locale" (en, vi or th), "currency", "applications" (closed, review or auto), "terms_url" (or null), "logo_url" (or null), "accent_color" (#rrggbb, or null)}; nothing else of the program. Same origin only: another origin is a 403 origin_not_allowed', array(), 200 ) ),
			'/v1/portal/applications'     => array(
				'post' => array(
					'Applies to the affiliate program: 202 {"status": "pending" (review) or "approved" (auto)}, the same answer whether or not the address is known. A new address becomes an affiliate (the id given, else one made from the name, then -2 ... -99 while taken), linked to a WordPress account (the signed-in applicant\'s, else a new one whose owner WordPress emails to set a password), recruited by the recruiter given when that is an approved affiliate, and told by email, and the affiliate.applied webhook is queued; a known address creates nothing and is told by email. Checked in this order: 403 applications_closed; 400 invalid_name, invalid_email (a signed-in applicant gives their account\'s address), invalid_affiliate, invalid_website, invalid_message, invalid_category, invalid_terms_accepted (a wrong type is the field\'s error); 422 terms_not_accepted (the program has terms_url); 429 rate_limited (fraud.applications_per_ip_per_hour applications answered 202 from the client address in the last hour); 409 affiliate_exists (the id is taken). Same origin only: another origin is a 403 origin_not_allowed',
					array(),
					202,
					array(
						'body' => array(
							'name'           => array( 'string', 'Their name: 1 to 200 bytes without control characters, trimmed' ),
							'email'          => array( 'string', 'Their email address (at most 254 bytes)' ),
							'id'             => array( array( 'string', 'null' ), "The link name they want: 1 to 64 letters, digits, '-', '_' or '.'", false ),
							'website'        => array( array( 'string', 'null' ), 'Their website or channel: an http(s) URL of at most 500 bytes without spaces', false ),
							'message'        => array( array( 'string', 'null' ), 'How they will promote the shop: at most 2000 bytes, line breaks allowed', false ),
							'category'       => array( 'string', 'One of content, coupon, cashback, influencer, search, email, comparison, other (default other)', false ),
							'terms_accepted' => array( array( 'boolean', 'null' ), "Whether they accept the program's terms (default false)", false ),
							'recruiter'      => array( array( 'string', 'null' ), "The affiliate whose recruiting link brought them (the link's ?recruiter=); kept only when it is an approved affiliate's id, else left out, never refused", false ),
						),
					),
				),
			),
			'/v1/session'                 => array(
				'post'   => array( 'Signs the dashboard in with the password of a user who may manage the program (with their user name or email, when given); answers the CSRF token, the role (owner), the user as member and team: false (the team is WordPress\'s users)', array(), 201 ),
				'get'    => array( "The session's CSRF token, role, member and team", array( 'session' ), 200 ),
				'delete' => array( 'Signs out', array( 'session' ), 204 ),
			),
			'/v1/openapi.json'            => array( 'get' => array( 'This document', array(), 200 ) ),
			'/go/{code}'                  => array( 'get' => array( 'Opens a short link: 302 with Location: its page of the shop with the affiliate\'s parameter (while the affiliate is approved) and the campaign, and Cache-Control: private, no-store; an open by a browser (not a bot) is counted. 404 (plain text) for a code not written exactly as kept (lower case), an unknown one, or one whose page is no longer on the program\'s allowed_origins. The site\'s own /go/{code} answers the same with pretty permalinks', array(), 302 ) ),
			'/healthz'                    => array( 'get' => array( 'Liveness', array(), 200 ) ),
			'/metrics'                    => array( 'get' => array( 'Prometheus counters', array(), 200 ) ),
		);
	}

	/**
	 * The document.
	 *
	 * @return array
	 */
	public static function document() {
		$paths = array();
		foreach ( self::routes() as $path => $methods ) {
			foreach ( $methods as $method => $route ) {
				list( $summary, $security, $status ) = $route;
				$more                                = $route[3] ?? array();
				$success                             = array( 'description' => 'Success' );
				if ( isset( $more['content'] ) ) {
					$success['content'] = array( $more['content'] => array( 'schema' => array( 'type' => 'string' ) ) );
				}
				$op = array(
					'summary'   => $summary,
					'responses' => array(
						(string) $status => $success,
						'4XX'            => array(
							'description' => 'Refused; nothing was changed',
							'content'     => array( 'application/json' => array( 'schema' => array( '$ref' => '#/components/schemas/Error' ) ) ),
						),
					),
				);
				if ( $security ) {
					$op['security'] = array_map( fn( $s ) => array( $s => array() ), $security );
				}
				preg_match_all( '/\{(\w+)\}/', $path, $names );
				foreach ( $names[1] as $name ) {
					$op['parameters'][] = array(
						'name'     => $name,
						'in'       => 'path',
						'required' => true,
						'schema'   => array( 'type' => 'string' ),
					);
				}
				foreach ( $more['query'] ?? array() as $name => list( $type, $description ) ) {
					$op['parameters'][] = array(
						'name'        => $name,
						'in'          => 'query',
						'required'    => false,
						'description' => $description,
						'schema'      => array( 'type' => $type ),
					);
				}
				if ( isset( $more['upload'] ) ) {
					$op['requestBody'] = array(
						'required'    => true,
						'description' => $more['upload'][1],
						'content'     => array( $more['upload'][0] => array( 'schema' => array( 'type' => 'string' ) ) ),
					);
				}
				if ( isset( $more['body'] ) ) {
					$op['requestBody'] = array(
						'required' => true,
						'content'  => array(
							'application/json' => array(
								'schema' => array(
									'type'                 => 'object',
									'required'             => array_keys( array_filter( $more['body'], fn( $p ) => $p[2] ?? true ) ),
									'additionalProperties' => false,
									'properties'           => array_map(
										fn( $p ) => array(
											'type'        => $p[0],
											'description' => $p[1],
										),
										$more['body']
									),
								),
							),
						),
					);
				}
				$paths[ $path ][ $method ] = $op;
			}
		}
		return array(
			'openapi'    => '3.1.0',
			'info'       => array(
				'title'       => 'Reftrail (WordPress plugin)',
				'version'     => REFTRAIL_VERSION,
				'description' => 'The Reftrail v1 contract, served by the WordPress plugin under /wp-json/reftrail.',
			),
			'servers'    => array( array( 'url' => untrailingslashit( rest_url( 'reftrail' ) ) ) ),
			'paths'      => $paths,
			'components' => array(
				'securitySchemes' => array(
					'secret_key'      => array(
						'type'        => 'http',
						'scheme'      => 'bearer',
						'description' => 'sk_...: backends and scripts',
					),
					'publishable_key' => array(
						'type'        => 'http',
						'scheme'      => 'bearer',
						'description' => 'pk_...: the browser (also as "key" in the body)',
					),
					'affiliate_token' => array(
						'type'        => 'http',
						'scheme'      => 'bearer',
						'description' => 'at_...: one affiliate, /v1/me only',
					),
					'session'         => array(
						'type'        => 'apiKey',
						'in'          => 'cookie',
						'name'        => 'rt_session',
						'description' => 'The dashboard session, with X-CSRF-Token on changes',
					),
					'wordpress_user'  => array(
						'type'        => 'http',
						'scheme'      => 'basic',
						'description' => 'A WordPress user with manage_reftrail (application password, or the login cookie with X-WP-Nonce)',
					),
				),
				'schemas'         => array(
					'Error' => array(
						'type'       => 'object',
						'required'   => array( 'error' ),
						'properties' => array(
							'error' => array(
								'type'       => 'object',
								'required'   => array( 'code', 'message' ),
								'properties' => array(
									'code'    => array( 'type' => 'string' ),
									'message' => array( 'type' => 'string' ),
								),
							),
						),
					),
				),
			),
		);
	}
}
