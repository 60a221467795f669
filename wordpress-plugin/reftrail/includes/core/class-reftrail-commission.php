<?php
/**
 * Commission arithmetic: the PHP port of the core's `src/commission.rs` (whose module
 * documentation states the rules in full), pinned by `tests/vectors/commission.json`.
 *
 * Money is integer minor units. Sums and products are checked (PHP turns an overflowing int into
 * a float, which is the `overflow` error here); `basis x rate_bps` and `commission x refunded`
 * are computed exactly with GMP and divided rounding half to even, once per line.
 *
 * Rules and inputs are the JSON forms of the core's `Rules` and `Input`, decoded as arrays.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * Why a commission cannot be computed (`negative_amount`, `missing_subtotal`,
 * `subtotal_mismatch`, `discount_exceeds_subtotal`, `invalid_rate`, `invalid_tiers`, `overflow`).
 */
class Reftrail_Commission_Error extends RuntimeException {

	/**
	 * The stable code.
	 *
	 * @var string
	 */
	public $error_code;

	/**
	 * @param string $code The error code.
	 */
	public function __construct( $code ) {
		parent::__construct( $code );
		$this->error_code = $code;
	}
}

/**
 * A computation that ends early with a zero commission, for a reason.
 */
class Reftrail_Commission_Zero extends RuntimeException {

	/** @var int */
	public $basis;

	/** @var string */
	public $reason;

	/**
	 * @param int    $basis  The basis reached.
	 * @param string $reason The reason code.
	 */
	public function __construct( $basis, $reason ) {
		parent::__construct( $reason );
		$this->basis  = $basis;
		$this->reason = $reason;
	}
}

/**
 * What a referral earns and what a refund takes back.
 */
final class Reftrail_Commission {

	/** 100 % in basis points, and the highest rate. */
	const MAX_RATE_BPS = 10000;

	/**
	 * Checks the rules on their own.
	 *
	 * @param array $rules Rules.
	 * @throws Reftrail_Commission_Error On a bad rate, tier or amount.
	 */
	public static function validate( array $rules ) {
		$rates = array();
		if ( isset( $rules['sale'] ) ) {
			$rates[] = $rules['sale'];
		}
		$leads = array();
		if ( isset( $rules['lead'] ) ) {
			$leads[] = $rules['lead'];
		}
		foreach ( array( 'affiliates', 'affiliate_categories' ) as $k ) {
			foreach ( $rules[ $k ] ?? array() as $a ) {
				if ( isset( $a['sale'] ) ) {
					$rates[] = $a['sale'];
				}
				if ( isset( $a['lead'] ) ) {
					$leads[] = $a['lead'];
				}
			}
		}
		foreach ( array( 'categories', 'products' ) as $k ) {
			foreach ( $rules[ $k ] ?? array() as $r ) {
				$rates[] = $r;
			}
		}
		$rec = $rules['recurring'] ?? array( 'type' => 'none' );
		if ( 'none' !== ( $rec['type'] ?? 'none' ) && isset( $rec['rate'] ) ) {
			$rates[] = $rec['rate'];
		}
		foreach ( $rates as $rate ) {
			self::validate_rate( $rate );
		}
		foreach ( array( 'per_referral', 'per_period' ) as $k ) {
			if ( isset( $rules['caps'][ $k ] ) ) {
				$leads[] = $rules['caps'][ $k ];
			}
		}
		foreach ( $leads as $amounts ) {
			self::non_negative( array_values( $amounts ) );
		}
	}

	/**
	 * @param array $rate A rate.
	 * @throws Reftrail_Commission_Error On a bad rate.
	 */
	private static function validate_rate( array $rate ) {
		$bps = function ( $b ) {
			if ( ! is_int( $b ) || $b < 0 || $b > self::MAX_RATE_BPS ) {
				throw new Reftrail_Commission_Error( 'invalid_rate' );
			}
		};
		switch ( $rate['type'] ?? '' ) {
			case 'percent':
				$bps( $rate['rate_bps'] ?? null );
				return;
			case 'flat':
				self::non_negative( array_values( $rate['amounts'] ?? array() ) );
				return;
			case 'sales_tiers':
				$bps( $rate['rate_bps'] ?? null );
				$last = 0;
				foreach ( $rate['tiers'] ?? array() as $t ) {
					$bps( $t['rate_bps'] ?? null );
					if ( $t['from'] <= $last ) {
						throw new Reftrail_Commission_Error( 'invalid_tiers' );
					}
					$last = $t['from'];
				}
				return;
			case 'revenue_tiers':
				$bps( $rate['rate_bps'] ?? null );
				$last = null;
				foreach ( $rate['tiers'] ?? array() as $t ) {
					$bps( $t['rate_bps'] ?? null );
					$from = $t['from'] ?? array();
					self::non_negative( array_values( $from ) );
					if ( null === $last ) {
						$ok = ! in_array( false, array_map( fn( $v ) => $v > 0, array_values( $from ) ), true );
					} else {
						$ok = count( $last ) === count( $from );
						foreach ( $last as $c => $p ) {
							$ok = $ok && isset( $from[ $c ] ) && $from[ $c ] > $p;
						}
					}
					if ( ! $ok ) {
						throw new Reftrail_Commission_Error( 'invalid_tiers' );
					}
					$last = $from;
				}
				return;
			default:
				throw new Reftrail_Commission_Error( 'invalid_rate' );
		}
	}

	/**
	 * @param array $values Numbers.
	 * @throws Reftrail_Commission_Error When one is negative or not an integer.
	 */
	private static function non_negative( array $values ) {
		foreach ( $values as $v ) {
			if ( ! is_int( $v ) ) {
				throw new Reftrail_Commission_Error( 'overflow' );
			}
			if ( $v < 0 ) {
				throw new Reftrail_Commission_Error( 'negative_amount' );
			}
		}
	}

	/**
	 * Computes the commission `$rules` give `$input`.
	 *
	 * @param array $rules Rules.
	 * @param array $input Input (`event`, `affiliate`, `affiliate_category`, `currency`,
	 *                     `subtotal`, `discount`, `shipping`, `tax`, `items`, `is_renewal`,
	 *                     `months_since_first_sale`, `period`).
	 * @return array `amount`, `currency`, `basis`, `rate_bps`, `rule`, `lines`, `capped`, `reason`.
	 * @throws Reftrail_Commission_Error On bad input.
	 */
	public static function compute( array $rules, array $input ) {
		self::validate( $rules );
		$input = self::normalise( $input );
		$p     = $input['period'];
		$nums  = array( $input['discount'], $input['shipping'], $input['tax'], $p['revenue'], $p['commission'] );
		if ( null !== $input['subtotal'] ) {
			$nums[] = $input['subtotal'];
		}
		foreach ( $input['items'] as $it ) {
			$nums[] = $it['amount'];
			$nums[] = $it['quantity'];
		}
		self::non_negative( $nums );
		$cat       = $input['affiliate_category'];
		$overrides = array(
			$rules['affiliates'][ $input['affiliate'] ] ?? null,
			null === $cat ? null : ( $rules['affiliate_categories'][ $cat ] ?? null ),
		);
		try {
			$lines = 'lead' === $input['event'] ? self::lead_lines( $rules, $overrides, $input ) : self::sale_lines( $rules, $overrides, $input );
		} catch ( Reftrail_Commission_Zero $z ) {
			return self::zero( $input, $z->basis, $z->reason );
		}
		return self::finish( $rules, $input, $lines );
	}

	/**
	 * Fills the defaults of an input.
	 *
	 * @param array $input Input.
	 * @return array
	 */
	private static function normalise( array $input ) {
		$items = array();
		foreach ( $input['items'] ?? array() as $it ) {
			$items[] = array(
				'sku'      => (string) $it['sku'],
				'category' => $it['category'] ?? null,
				'amount'   => $it['amount'],
				'quantity' => $it['quantity'] ?? 1,
			);
		}
		return array(
			'event'                   => $input['event'] ?? 'sale',
			'affiliate'               => (string) $input['affiliate'],
			'affiliate_category'      => isset( $input['affiliate_category'] ) ? (string) $input['affiliate_category'] : null,
			'currency'                => (string) $input['currency'],
			'subtotal'                => $input['subtotal'] ?? null,
			'discount'                => $input['discount'] ?? 0,
			'shipping'                => $input['shipping'] ?? 0,
			'tax'                     => $input['tax'] ?? 0,
			'items'                   => $items,
			'is_renewal'              => ! empty( $input['is_renewal'] ),
			'months_since_first_sale' => (int) ( $input['months_since_first_sale'] ?? 0 ),
			'period'                  => array(
				'sales'      => (int) ( $input['period']['sales'] ?? 0 ),
				'revenue'    => $input['period']['revenue'] ?? 0,
				'commission' => $input['period']['commission'] ?? 0,
			),
		);
	}

	/**
	 * A zero commission with its reason.
	 *
	 * @param array  $input  Input.
	 * @param int    $basis  Basis.
	 * @param string $reason Reason.
	 * @return array
	 */
	private static function zero( array $input, $basis, $reason ) {
		return array(
			'amount'   => 0,
			'currency' => $input['currency'],
			'basis'    => $basis,
			'rate_bps' => null,
			'rule'     => 'none',
			'lines'    => array(),
			'capped'   => false,
			'reason'   => $reason,
		);
	}

	/**
	 * A line without rate, tier or item.
	 *
	 * @param string $kind   Kind.
	 * @param string $rule   Rule.
	 * @param int    $basis  Basis.
	 * @param int    $amount Amount.
	 * @return array
	 */
	private static function line( $kind, $rule, $basis, $amount ) {
		return array(
			'kind'     => $kind,
			'sku'      => null,
			'category' => null,
			'rule'     => $rule,
			'basis'    => $basis,
			'rate_bps' => null,
			'tier'     => null,
			'amount'   => $amount,
		);
	}

	/**
	 * What a rate means for this order: `['percent', bps, tier]` or `['flat', amount]`, or
	 * null when it needs an amount missing in the currency.
	 *
	 * @param array  $rate     Rate.
	 * @param string $currency Currency.
	 * @param array  $period   Period.
	 * @return array|null
	 */
	private static function resolve( array $rate, $currency, array $period ) {
		switch ( $rate['type'] ) {
			case 'percent':
				return array( 'percent', $rate['rate_bps'], null );
			case 'flat':
				return isset( $rate['amounts'][ $currency ] ) ? array( 'flat', $rate['amounts'][ $currency ] ) : null;
			case 'sales_tiers':
				$n   = 0;
				$bps = $rate['rate_bps'];
				foreach ( $rate['tiers'] ?? array() as $t ) {
					if ( $period['sales'] < $t['from'] ) {
						break;
					}
					++$n;
					$bps = $t['rate_bps'];
				}
				return array( 'percent', $bps, $n );
			default: // revenue_tiers.
				$n   = 0;
				$bps = $rate['rate_bps'];
				foreach ( $rate['tiers'] ?? array() as $t ) {
					if ( ! isset( $t['from'][ $currency ] ) ) {
						return null;
					}
					if ( $period['revenue'] < $t['from'][ $currency ] ) {
						break;
					}
					++$n;
					$bps = $t['rate_bps'];
				}
				return array( 'percent', $bps, $n );
		}
	}

	/**
	 * A line on `$basis` at a resolved rate; a flat rate pays `$units` times its amount.
	 *
	 * @param array  $r     Resolved rate.
	 * @param string $kind  Kind.
	 * @param string $rule  Rule.
	 * @param int    $basis Basis.
	 * @param int    $units Units for a flat rate.
	 * @return array
	 */
	private static function rate_line( array $r, $kind, $rule, $basis, $units ) {
		if ( 'percent' === $r[0] ) {
			$l             = self::line( $kind, $rule, $basis, self::apply_bps( $basis, $r[1] ) );
			$l['rate_bps'] = $r[1];
			$l['tier']     = $r[2];
			return $l;
		}
		return self::line( $kind, $rule, $basis, self::mul( $r[1], $units ) );
	}

	/**
	 * The most specific of the affiliate's, their category's and the program's `$field`, with
	 * the rule it comes from; null when none has it.
	 *
	 * @param string $field     `sale` or `lead`.
	 * @param array  $overrides The affiliate's overrides and their category's (each array|null).
	 * @param array  $rules     Rules.
	 * @return array|null [value, rule].
	 */
	private static function pick( $field, array $overrides, array $rules ) {
		list( $aff, $cat ) = $overrides;
		if ( isset( $aff[ $field ] ) ) {
			return array( $aff[ $field ], 'affiliate' );
		}
		if ( isset( $cat[ $field ] ) ) {
			return array( $cat[ $field ], 'affiliate_category' );
		}
		return isset( $rules[ $field ] ) ? array( $rules[ $field ], 'default' ) : null;
	}

	/**
	 * The line of a lead.
	 *
	 * @param array $rules     Rules.
	 * @param array $overrides The affiliate's overrides and their category's (each array|null).
	 * @param array $input     Input.
	 * @return array
	 * @throws Reftrail_Commission_Zero Without a rule or an amount in the currency.
	 */
	private static function lead_lines( array $rules, array $overrides, array $input ) {
		$picked = self::pick( 'lead', $overrides, $rules );
		if ( null === $picked ) {
			throw new Reftrail_Commission_Zero( 0, 'no_rule' );
		}
		list( $amounts, $rule ) = $picked;
		if ( ! isset( $amounts[ $input['currency'] ] ) ) {
			throw new Reftrail_Commission_Zero( 0, 'missing_currency' );
		}
		return array( self::line( 'lead', $rule, 0, $amounts[ $input['currency'] ] ) );
	}

	/**
	 * The lines of a sale.
	 *
	 * @param array $rules     Rules.
	 * @param array $overrides The affiliate's overrides and their category's (each array|null).
	 * @param array $input     Input.
	 * @return array
	 * @throws Reftrail_Commission_Error On bad input.
	 * @throws Reftrail_Commission_Zero  When the sale earns nothing for a reason.
	 */
	private static function sale_lines( array $rules, array $overrides, array $input ) {
		$items = self::item_bases( $input );
		if ( null !== $items ) {
			$goods = self::sum( $items );
		} elseif ( null !== $input['subtotal'] ) {
			if ( $input['discount'] > $input['subtotal'] ) {
				throw new Reftrail_Commission_Error( 'discount_exceeds_subtotal' );
			}
			$goods = $input['subtotal'] - $input['discount'];
		} else {
			throw new Reftrail_Commission_Error( 'missing_subtotal' );
		}
		$shipping = ! empty( $rules['include_shipping'] ) ? $input['shipping'] : 0;
		$tax      = ! empty( $rules['include_tax'] ) ? $input['tax'] : 0;
		$basis    = self::sum( array( $goods, $shipping, $tax ) );

		$order_level = self::pick( 'sale', $overrides, $rules );
		if ( $input['is_renewal'] ) {
			$rec  = $rules['recurring'] ?? array( 'type' => 'none' );
			$type = $rec['type'] ?? 'none';
			if ( 'none' === $type ) {
				throw new Reftrail_Commission_Zero( $basis, 'renewals_not_paid' );
			}
			if ( 'months' === $type && $input['months_since_first_sale'] >= $rec['months'] ) {
				throw new Reftrail_Commission_Zero( $basis, 'recurring_period_over' );
			}
			if ( isset( $rec['rate'] ) ) {
				$order_level = array( $rec['rate'], 'recurring' );
			}
		}
		$currency   = $input['currency'];
		$order      = null;
		$order_rule = 'none';
		if ( null !== $order_level ) {
			$order = self::resolve( $order_level[0], $currency, $input['period'] );
			if ( null === $order ) {
				throw new Reftrail_Commission_Zero( $basis, 'missing_currency' );
			}
			$order_rule = $order_level[1];
		}
		$at_order_rate = function ( $kind, $b ) use ( $order, $order_rule ) {
			return null === $order ? self::line( $kind, $order_rule, $b, 0 ) : self::rate_line( $order, $kind, $order_rule, $b, 1 );
		};
		$flat_order = null !== $order && 'flat' === $order[0];
		if ( null === $items ) {
			return array( $at_order_rate( $flat_order ? 'sale' : 'order', $basis ) );
		}
		$lines     = array();
		$flat_sale = null;
		foreach ( $input['items'] as $i => $item ) {
			$override = null;
			if ( isset( $rules['products'][ $item['sku'] ] ) ) {
				$override = array( $rules['products'][ $item['sku'] ], 'product' );
			} elseif ( null !== $item['category'] && isset( $rules['categories'][ $item['category'] ] ) ) {
				$override = array( $rules['categories'][ $item['category'] ], 'category' );
			}
			if ( null !== $override ) {
				$r = self::resolve( $override[0], $currency, $input['period'] );
				if ( null === $r ) {
					throw new Reftrail_Commission_Zero( $basis, 'missing_currency' );
				}
				$l = self::rate_line( $r, 'item', $override[1], $items[ $i ], $item['quantity'] );
			} elseif ( $flat_order ) {
				$flat_sale = self::sum( array( $flat_sale ?? 0, $items[ $i ] ) );
				continue;
			} else {
				$l = $at_order_rate( 'item', $items[ $i ] );
			}
			$l['sku']      = $item['sku'];
			$l['category'] = $item['category'];
			$lines[]       = $l;
		}
		foreach ( array(
			'shipping' => $shipping,
			'tax'      => $tax,
		) as $kind => $amount ) {
			if ( $amount > 0 ) {
				$l = $at_order_rate( $kind, $amount );
				if ( null === $l['rate_bps'] ) {
					$l['amount'] = 0;
				}
				$lines[] = $l;
			}
		}
		if ( null !== $flat_sale ) {
			$lines[] = $at_order_rate( 'sale', $flat_sale );
		}
		return $lines;
	}

	/**
	 * Each item's basis after its share of the discount, or null without items.
	 *
	 * @param array $input Input.
	 * @return int[]|null
	 * @throws Reftrail_Commission_Error On overflow, a mismatching subtotal or a discount too big.
	 */
	private static function item_bases( array $input ) {
		if ( ! $input['items'] ) {
			return null;
		}
		$gross = array_map( fn( $it ) => self::mul( $it['amount'], $it['quantity'] ), $input['items'] );
		$total = self::sum( $gross );
		if ( null !== $input['subtotal'] && $input['subtotal'] !== $total ) {
			throw new Reftrail_Commission_Error( 'subtotal_mismatch' );
		}
		$discount = $input['discount'];
		if ( $discount > $total ) {
			throw new Reftrail_Commission_Error( 'discount_exceeds_subtotal' );
		}
		if ( 0 === $discount ) {
			return $gross;
		}
		$shares = array();
		$given  = 0;
		foreach ( $gross as $i => $g ) {
			list( $q, $r ) = gmp_div_qr( gmp_mul( $discount, $g ), $total );
			$shares[ $i ]  = array( gmp_intval( $q ), $r, $i );
			$given        += gmp_intval( $q );
		}
		$ranked = $shares;
		usort(
			$ranked,
			function ( $a, $b ) {
				$c = gmp_cmp( $b[1], $a[1] );
				return 0 !== $c ? $c : $a[2] <=> $b[2];
			}
		);
		$left = $discount - $given;
		for ( $k = 0; $k < $left && $k < count( $ranked ); $k++ ) {
			++$shares[ $ranked[ $k ][2] ][0];
		}
		return array_map( fn( $g, $s ) => $g - $s[0], $gross, $shares );
	}

	/**
	 * Sums the lines, applies the caps and names the rule.
	 *
	 * @param array $rules Rules.
	 * @param array $input Input.
	 * @param array $lines Lines.
	 * @return array
	 */
	private static function finish( array $rules, array $input, array $lines ) {
		$total    = self::sum( array_column( $lines, 'amount' ) );
		$basis    = self::sum( array_column( $lines, 'basis' ) );
		$currency = $input['currency'];
		$caps     = $rules['caps'] ?? array();
		foreach ( array( 'per_referral', 'per_period' ) as $k ) {
			if ( isset( $caps[ $k ] ) && ! isset( $caps[ $k ][ $currency ] ) ) {
				return self::zero( $input, $basis, 'missing_currency' );
			}
		}
		$amount = $total;
		$reason = null;
		if ( isset( $caps['per_referral'] ) && $amount > $caps['per_referral'][ $currency ] ) {
			$amount = $caps['per_referral'][ $currency ];
			$reason = 'per_referral_cap';
		}
		if ( isset( $caps['per_period'] ) ) {
			$left = max( 0, $caps['per_period'][ $currency ] - $input['period']['commission'] );
			if ( $amount > $left ) {
				$amount = $left;
				$reason = 'period_cap';
			}
		}
		$ruled = array_values( array_unique( array_filter( array_column( $lines, 'rule' ), fn( $r ) => 'none' !== $r ) ) );
		$rule  = ! $ruled ? 'none' : ( 1 === count( $ruled ) ? $ruled[0] : 'mixed' );
		$rate = $lines ? $lines[0]['rate_bps'] : null;
		foreach ( $lines as $l ) {
			if ( $l['rate_bps'] !== $rate ) {
				$rate = null;
			}
		}
		if ( 'none' === $rule && null === $reason ) {
			$reason = 'no_rule';
		}
		return array(
			'amount'   => $amount,
			'currency' => $currency,
			'basis'    => $basis,
			'rate_bps' => $rate,
			'rule'     => $rule,
			'lines'    => $lines,
			'capped'   => $amount < $total,
			'reason'   => $reason,
		);
	}

	/**
	 * `$basis x $bps / 10 000`, rounded half to even.
	 *
	 * @param int $basis Basis.
	 * @param int $bps   Rate.
	 * @return int
	 */
	public static function apply_bps( $basis, $bps ) {
		return self::div_half_even( gmp_mul( $basis, $bps ), gmp_init( self::MAX_RATE_BPS ) );
	}

	/**
	 * `$n / $d` rounded half to even, for n >= 0, d > 0.
	 *
	 * @param GMP $n Numerator.
	 * @param GMP $d Denominator.
	 * @return int
	 * @throws Reftrail_Commission_Error When the quotient leaves the 64-bit range.
	 */
	private static function div_half_even( $n, $d ) {
		list( $q, $r ) = gmp_div_qr( $n, $d );
		$c             = gmp_cmp( gmp_mul( $r, 2 ), $d );
		if ( $c > 0 || ( 0 === $c && 1 === gmp_intval( gmp_and( $q, 1 ) ) ) ) {
			$q = gmp_add( $q, 1 );
		}
		if ( gmp_cmp( $q, PHP_INT_MAX ) > 0 ) {
			throw new Reftrail_Commission_Error( 'overflow' );
		}
		return gmp_intval( $q );
	}

	/**
	 * Checked sum.
	 *
	 * @param int[] $values Values.
	 * @return int
	 * @throws Reftrail_Commission_Error On overflow.
	 */
	private static function sum( array $values ) {
		$s = 0;
		foreach ( $values as $v ) {
			$s += $v;
			if ( ! is_int( $s ) ) {
				throw new Reftrail_Commission_Error( 'overflow' );
			}
		}
		return $s;
	}

	/**
	 * Checked product.
	 *
	 * @param int $a Left.
	 * @param int $b Right.
	 * @return int
	 * @throws Reftrail_Commission_Error On overflow.
	 */
	private static function mul( $a, $b ) {
		$p = $a * $b;
		if ( ! is_int( $p ) ) {
			throw new Reftrail_Commission_Error( 'overflow' );
		}
		return $p;
	}

	/**
	 * The part of `$commission` cancelled once `$refunded` of `$order_amount` is refunded.
	 *
	 * @param int $commission   Commission.
	 * @param int $order_amount Order amount.
	 * @param int $refunded     Refunded in all.
	 * @return int
	 */
	public static function reverse( $commission, $order_amount, $refunded ) {
		if ( $commission <= 0 || $refunded <= 0 ) {
			return 0;
		}
		if ( $refunded >= $order_amount ) {
			return $commission;
		}
		return self::div_half_even( gmp_mul( $commission, $refunded ), gmp_init( $order_amount ) );
	}

	/**
	 * The commission to reverse for one more refund, so successive reversals add up exactly.
	 *
	 * @param int $commission      Commission.
	 * @param int $order_amount    Order amount.
	 * @param int $refunded_before Refunded before this refund.
	 * @param int $reversed_before Reversed before this refund.
	 * @param int $refund          This refund.
	 * @return int
	 */
	public static function reverse_part( $commission, $order_amount, $refunded_before, $reversed_before, $refund ) {
		$commission      = max( 0, $commission );
		$reversed_before = max( 0, min( $commission, $reversed_before ) );
		$target          = self::reverse( $commission, $order_amount, Reftrail_Attribution::sat_add( max( 0, $refunded_before ), max( 0, $refund ) ) );
		return max( 0, min( $commission - $reversed_before, $target - $reversed_before ) );
	}
}
