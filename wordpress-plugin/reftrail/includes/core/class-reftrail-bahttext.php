<?php
/**
 * An amount of Thai baht in Thai words, as a withholding tax certificate (50 Tawi) and Thai
 * cheques and receipts write it: `125050` satang is "หนึ่งพันสองร้อยห้าสิบบาทห้าสิบสตางค์", a whole
 * amount ends in "ถ้วน" ("exactly"). The same words as Excel's `BAHTTEXT`, which Thai accountants
 * check against, but from integer satang: never a float. The PHP of the core's
 * `src/bahttext.rs`, pinned by `tests/vectors/bahttext.json`.
 *
 * Numbers are read in groups of six digits joined by "ล้าน" (million). A tens digit of 1 is "สิบ"
 * and of 2 "ยี่สิบ"; a units digit of 1 after any higher digit is "เอ็ด" (11 สิบเอ็ด, 101
 * หนึ่งร้อยเอ็ด, 10,000,001 สิบล้านเอ็ด) and "หนึ่ง" alone.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * Baht in words.
 */
final class Reftrail_Bahttext {

	/** The digits' words. */
	const DIGITS = array( 'ศูนย์', 'หนึ่ง', 'สอง', 'สาม', 'สี่', 'ห้า', 'หก', 'เจ็ด', 'แปด', 'เก้า' );

	/** The place names of a six-digit group, from the units up. */
	const PLACES = array( '', 'สิบ', 'ร้อย', 'พัน', 'หมื่น', 'แสน' );

	/**
	 * `$satang` (minor units of THB, 1/100 baht) in Thai words.
	 *
	 * @param int $satang Amount.
	 * @return string
	 */
	public static function words( $satang ) {
		$satang = (int) $satang;
		$out    = $satang < 0 ? 'ลบ' : '';
		// Baht and satang taken apart before their sign: abs(PHP_INT_MIN) is no int.
		$baht = abs( intdiv( $satang, 100 ) );
		$rest = abs( $satang % 100 );
		if ( $baht > 0 ) {
			$out .= self::number( $baht ) . 'บาท';
		}
		if ( $rest > 0 ) {
			$out .= self::number( $rest ) . 'สตางค์';
		} elseif ( $baht > 0 ) {
			$out .= 'ถ้วน';
		} else {
			$out .= 'ศูนย์บาทถ้วน';
		}
		return $out;
	}

	/**
	 * `$n` (> 0) in words.
	 *
	 * @param int $n Number.
	 * @return string
	 */
	private static function number( $n ) {
		$millions = intdiv( $n, 1000000 );
		$out      = $millions > 0 ? self::number( $millions ) . 'ล้าน' : '';
		return $out . self::group( $n % 1000000, $millions > 0 );
	}

	/**
	 * One group of six digits ('' for 0); `$higher`: a more significant group of the number is
	 * not zero, which makes a lone 1 "เอ็ด".
	 *
	 * @param int  $n      0 to 999 999.
	 * @param bool $higher Whether a higher group is not zero.
	 * @return string
	 */
	private static function group( $n, $higher ) {
		$out  = '';
		$seen = $higher;
		for ( $place = 5; $place >= 0; --$place ) {
			$d = intdiv( $n, 10 ** $place ) % 10;
			if ( 0 === $d ) {
				continue;
			}
			$word = self::DIGITS[ $d ];
			if ( 1 === $place && 1 === $d ) {
				$word = ''; // Ten is "สิบ", not "หนึ่งสิบ".
			} elseif ( 1 === $place && 2 === $d ) {
				$word = 'ยี่';
			} elseif ( 0 === $place && 1 === $d && $seen ) {
				$word = 'เอ็ด';
			}
			$out .= $word . self::PLACES[ $place ];
			$seen = true;
		}
		return $out;
	}
}
