<?php
/**
 * Who gets the credit: the PHP port of the core's `decide` (`src/attribution.rs`), pinned by
 * `tests/vectors/attribution.json`. A pure function of the state, the touch, the policy and the
 * time.
 *
 * - A referral whose `expires <= now` counts as absent.
 * - A touch counts only with an affiliate and `now - window < at <= now + 1 day`.
 * - Last click replaces the live referral unless the touch is older than it; first click keeps
 *   a live referral.
 * - Every counted touch joins the trail in time order (newest 5 kept, ended windows dropped).
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * The attribution decision.
 */
final class Reftrail_Attribution {

	/** Seconds in a day. */
	const DAY = 86400;

	/** The longest window, in days. */
	const MAX_WINDOW_DAYS = 400;

	/**
	 * The window in seconds, with the days clamped to 1..400.
	 *
	 * @param int $days Window in days.
	 * @return int
	 */
	public static function window_secs( $days ) {
		return max( 1, min( self::MAX_WINDOW_DAYS, (int) $days ) ) * self::DAY;
	}

	/**
	 * `$a + $b` for non-negative integers, saturating at PHP_INT_MAX.
	 *
	 * @param int $a Left.
	 * @param int $b Right.
	 * @return int
	 */
	public static function sat_add( $a, $b ) {
		$s = $a + $b;
		return is_int( $s ) ? $s : PHP_INT_MAX;
	}

	/**
	 * The campaign name of a touch: `utm_campaign`, else `campaign`.
	 *
	 * @param array $touch Touch.
	 * @return string|null
	 */
	public static function campaign_name( array $touch ) {
		foreach ( array( 'utm_campaign', 'campaign' ) as $name ) {
			foreach ( $touch['campaign'] ?? array() as $tag ) {
				if ( $tag['name'] === $name ) {
					return $tag['value'];
				}
			}
		}
		return null;
	}

	/**
	 * The state after `$touch` under `$policy` (`model`: `last_click`|`first_click`,
	 * `window_days`) at `$now`.
	 *
	 * @param array $state  State.
	 * @param array $touch  Touch.
	 * @param array $policy Policy.
	 * @param int   $now    Unix seconds.
	 * @return array
	 */
	public static function decide( array $state, array $touch, array $policy, $now ) {
		$window    = self::window_secs( $policy['window_days'] ?? 30 );
		$in_window = function ( $at ) use ( $window, $now ) {
			return self::sat_add( $at, $window ) > $now;
		};
		$referral  = $state['referral'] ?? null;
		if ( is_array( $referral ) && $referral['expires'] <= $now ) {
			$referral = null;
		}
		$trail = array_values( array_filter( $state['trail'] ?? array(), fn( $e ) => $in_window( $e['at'] ) ) );
		$next  = array(
			'visitor'  => $state['visitor'] ?? null,
			'referral' => $referral,
			'trail'    => $trail,
		);
		$at        = $touch['at'];
		$counts    = $in_window( $at ) && $at <= self::sat_add( $now, self::DAY );
		$affiliate = $touch['affiliate'] ?? null;
		if ( ! $counts || null === $affiliate ) {
			return $next;
		}
		// Insert after the last entry at or before the touch, keep the newest five.
		$pos = 0;
		foreach ( $trail as $i => $e ) {
			if ( $e['at'] <= $at ) {
				$pos = $i + 1;
			}
		}
		array_splice(
			$trail,
			$pos,
			0,
			array(
				array(
					'affiliate' => $affiliate,
					'at'        => $at,
				),
			)
		);
		$next['trail'] = array_slice( $trail, -Reftrail_Cookie::TRAIL_LEN );

		$first_click = 'first_click' === ( $policy['model'] ?? 'last_click' );
		$replace     = null === $referral || ( ! $first_click && $at >= $referral['at'] );
		if ( $replace ) {
			$click_id         = $touch['click_id'] ?? null;
			$campaign         = self::campaign_name( $touch );
			$next['referral'] = array(
				'affiliate' => $affiliate,
				'via'       => $touch['via'] ?? 'query',
				'at'        => $at,
				'expires'   => self::sat_add( $at, $window ),
				'click_id'  => Reftrail_Cookie::is_id( $click_id ) ? $click_id : null,
				'campaign'  => Reftrail_Cookie::is_id( $campaign ) ? $campaign : null,
			);
		}
		return $next;
	}
}
