<?php
/**
 * Bank-transfer payouts: an affiliate's account in Vietnam (VietQR, over NAPAS 247) or Thailand
 * (PromptPay), checked and normalized as it is saved, and the QR payload a merchant scans with
 * their banking app to pay one payout line. The PHP of the core's `src/bank_transfer.rs`, pinned
 * by `tests/vectors/bank_transfer.json`.
 *
 * Both payloads are EMVCo merchant-presented QR codes: a flat sequence of `id length value`
 * fields (tlv()), some of which nest, closed by a CRC-16/CCITT-FALSE over everything before it.
 * Money arrives as integer minor units: VND has none, THB has satang (two decimals).
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * Why bank details were refused; the code is the API's error code.
 */
class Reftrail_Bank_Transfer_Error extends RuntimeException {

	/**
	 * `invalid_payout_method`, `invalid_payout_bank`, `invalid_payout_account` or
	 * `invalid_payout_name`.
	 *
	 * @var string
	 */
	public $error_code;

	/**
	 * @param string $code The error code.
	 */
	public function __construct( $code ) {
		parent::__construct( Reftrail_Bank_Transfer::MESSAGES[ $code ] );
		$this->error_code = $code;
	}
}

/**
 * The checks and the payloads.
 */
final class Reftrail_Bank_Transfer {

	/** Each method and the currency its banking apps read an amount in (the QR's currency). */
	const METHODS = array(
		'vietqr'    => 'VND',
		'promptpay' => 'THB',
	);

	/** What a person should fix, per error code (the server's messages). */
	const MESSAGES = array(
		'invalid_payout_method'  => 'payout.method must be vietqr or promptpay',
		'invalid_payout_bank'    => "payout.bank is the bank's 6-digit NAPAS BIN, and only for vietqr",
		'invalid_payout_account' => 'payout.account must be a bank account number (vietqr: 1 to 19 letters or digits) or a PromptPay id (a Thai mobile number, a 13-digit national or tax id with its check digit, or a 15-digit e-wallet id)',
		'invalid_payout_name'    => 'payout.name must be 1 to 100 characters without control characters',
	);

	/**
	 * Checks and normalizes bank details as a merchant or affiliate typed them, in this order:
	 * method, bank, account, name.
	 *
	 * @param string      $method  `vietqr` or `promptpay`.
	 * @param string|null $bank    VietQR: the bank's NAPAS BIN; null for PromptPay.
	 * @param string      $account The account number or PromptPay id.
	 * @param string|null $name    The holder's name, as the bank shows it.
	 * @return array `method`, `bank`, `account` (without separators), `name`.
	 * @throws Reftrail_Bank_Transfer_Error When refused.
	 */
	public static function account( $method, $bank, $account, $name ) {
		if ( ! is_string( $method ) || ! isset( self::METHODS[ $method ] ) ) {
			throw new Reftrail_Bank_Transfer_Error( 'invalid_payout_method' );
		}
		$vietqr = 'vietqr' === $method;
		if ( $vietqr ? ! ( is_string( $bank ) && 1 === preg_match( '/^[0-9]{6}$/D', $bank ) ) : null !== $bank ) {
			throw new Reftrail_Bank_Transfer_Error( 'invalid_payout_bank' );
		}
		if ( $vietqr ) {
			$normalized = self::vietqr_account( $account );
		} else {
			$id         = self::promptpay_id( $account );
			$normalized = null === $id ? null : $id['digits'];
		}
		if ( null === $normalized ) {
			throw new Reftrail_Bank_Transfer_Error( 'invalid_payout_account' );
		}
		if ( null !== $name && ! self::valid_name( $name ) ) {
			throw new Reftrail_Bank_Transfer_Error( 'invalid_payout_name' );
		}
		return array(
			'method'  => $method,
			'bank'    => $vietqr ? $bank : null,
			'account' => $normalized,
			'name'    => $name,
		);
	}

	/**
	 * A holder's name: 1 to 100 characters (not bytes), not only white space, no control
	 * character (Unicode Cc).
	 *
	 * @param mixed $s Name.
	 * @return bool
	 */
	private static function valid_name( $s ) {
		if ( ! is_string( $s ) || ! mb_check_encoding( $s, 'UTF-8' ) ) {
			return false;
		}
		$n = mb_strlen( $s, 'UTF-8' );
		// The characters of Unicode's White_Space property, which the core's trim() drops.
		$blank = '/^[\x{0009}-\x{000D}\x{0020}\x{0085}\x{00A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}]*$/Du';
		return $n >= 1 && $n <= 100 && 1 !== preg_match( $blank, $s ) && 1 !== preg_match( '/\p{Cc}/u', $s );
	}

	/**
	 * A VietQR account number without spaces, `-` or `.`: 1 to 19 ASCII letters or digits.
	 *
	 * @param mixed $s Account as typed.
	 * @return string|null
	 */
	public static function vietqr_account( $s ) {
		if ( ! is_string( $s ) ) {
			return null;
		}
		$a = str_replace( array( ' ', '-', '.' ), '', $s );
		return 1 === preg_match( '/^[A-Za-z0-9]{1,19}$/D', $a ) ? $a : null;
	}

	/**
	 * Reads a PromptPay id: spaces and `-` dropped, `+66`/`66` before a 9-digit mobile number read
	 * as `0`. A 13-digit id must carry its check digit (a typo would pay a stranger, or no one).
	 *
	 * @param mixed $s Id as typed.
	 * @return array|null `kind` (`mobile`, `tax_id`, `ewallet`) and `digits`.
	 */
	public static function promptpay_id( $s ) {
		if ( ! is_string( $s ) ) {
			return null;
		}
		$cleaned = str_replace( array( ' ', '-' ), '', $s );
		$plus    = '' !== $cleaned && '+' === $cleaned[0];
		$local   = $plus ? substr( $cleaned, 1 ) : $cleaned;
		if ( 1 !== preg_match( '/^[0-9]+$/D', $local ) ) {
			return null;
		}
		if ( 11 === strlen( $local ) && 0 === strncmp( $local, '66', 2 ) ) {
			$digits = '0' . substr( $local, 2 );
		} elseif ( $plus ) {
			// A `+` only belongs before Thailand's country code.
			return null;
		} else {
			$digits = $local;
		}
		$len = strlen( $digits );
		if ( 10 === $len && '0' === $digits[0] ) {
			$kind = 'mobile';
		} elseif ( 13 === $len && self::thai_id_check_digit( $digits ) ) {
			$kind = 'tax_id';
		} elseif ( 15 === $len ) {
			$kind = 'ewallet';
		} else {
			return null;
		}
		return array(
			'kind'   => $kind,
			'digits' => $digits,
		);
	}

	/**
	 * Whether the 13th digit of a Thai national or tax id is the check digit of the first 12,
	 * weighted 13 down to 2.
	 *
	 * @param string $digits 13 digits.
	 * @return bool
	 */
	private static function thai_id_check_digit( $digits ) {
		$sum = 0;
		for ( $i = 0; $i < 12; $i++ ) {
			$sum += (int) $digits[ $i ] * ( 13 - $i );
		}
		return ( 11 - $sum % 11 ) % 10 === (int) $digits[12];
	}

	/**
	 * The transfer note of a payout: its id with only ASCII letters and digits (banks' apps drop
	 * or refuse the rest), at most 25 characters (VietQR's limit).
	 *
	 * @param string $reference Payout id.
	 * @return string
	 */
	public static function purpose( $reference ) {
		// Bytes of multi-byte UTF-8 characters are never ASCII letters or digits.
		return substr( (string) preg_replace( '/[^A-Za-z0-9]+/', '', (string) $reference ), 0, 25 );
	}

	/**
	 * One EMVCo field: the id, the value's length in two decimal digits, the value. Values here
	 * are ASCII and at most 99 bytes.
	 *
	 * @param string $id    Two digits.
	 * @param string $value Value.
	 * @return string
	 */
	public static function tlv( $id, $value ) {
		return $id . sprintf( '%02d', strlen( $value ) ) . $value;
	}

	/**
	 * CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor) as 4 upper-case
	 * hex digits: `123456789` gives `29B1`.
	 *
	 * @param string $data Bytes.
	 * @return string
	 */
	public static function crc16( $data ) {
		$crc = 0xFFFF;
		$len = strlen( $data );
		for ( $i = 0; $i < $len; $i++ ) {
			$crc ^= ord( $data[ $i ] ) << 8;
			for ( $bit = 0; $bit < 8; $bit++ ) {
				$crc = ( $crc & 0x8000 ) ? ( ( $crc << 1 ) ^ 0x1021 ) : ( $crc << 1 );
				$crc &= 0xFFFF;
			}
		}
		return sprintf( '%04X', $crc );
	}

	/**
	 * Closes a payload with its CRC field, which covers its own id and length.
	 *
	 * @param string $payload Payload.
	 * @return string
	 */
	private static function with_crc( $payload ) {
		$payload .= '6304';
		return $payload . self::crc16( $payload );
	}

	/**
	 * The VietQR payload: transfer `$amount` VND (or an amount the payer types, when null) to
	 * `$account` at the bank `$bin`, with the transfer note `$purpose` (ASCII, at most 25
	 * characters; empty for none).
	 *
	 * @param string   $bin     NAPAS BIN.
	 * @param string   $account Account number.
	 * @param int|null $amount  VND.
	 * @param string   $purpose Transfer note.
	 * @return string
	 */
	public static function vietqr( $bin, $account, $amount, $purpose ) {
		$bank     = self::tlv( '00', $bin ) . self::tlv( '01', $account );
		$merchant = self::tlv( '00', 'A000000727' ) . self::tlv( '01', $bank ) . self::tlv( '02', 'QRIBFTTA' );
		$p        = self::tlv( '00', '01' ) . self::tlv( '01', null === $amount ? '11' : '12' ) . self::tlv( '38', $merchant ) . self::tlv( '53', '704' );
		if ( null !== $amount ) {
			$p .= self::tlv( '54', (string) (int) $amount );
		}
		$p .= self::tlv( '58', 'VN' );
		if ( '' !== $purpose ) {
			$p .= self::tlv( '62', self::tlv( '08', $purpose ) );
		}
		return self::with_crc( $p );
	}

	/**
	 * The PromptPay payload: pay `$satang` (or an amount the payer types, when null) to `$id`.
	 *
	 * @param array    $id     promptpay_id(): `kind`, `digits`.
	 * @param int|null $satang THB minor units.
	 * @return string
	 */
	public static function promptpay( array $id, $satang ) {
		switch ( $id['kind'] ) {
			case 'mobile':
				// The mobile number in international form, zero-padded to 13 characters.
				$target = self::tlv( '01', '0066' . substr( $id['digits'], 1 ) );
				break;
			case 'tax_id':
				$target = self::tlv( '02', $id['digits'] );
				break;
			default:
				$target = self::tlv( '03', $id['digits'] );
		}
		$merchant = self::tlv( '00', 'A000000677010111' ) . $target;
		$p        = self::tlv( '00', '01' ) . self::tlv( '01', null === $satang ? '11' : '12' ) . self::tlv( '29', $merchant ) . self::tlv( '58', 'TH' ) . self::tlv( '53', '764' );
		if ( null !== $satang ) {
			$satang = (int) $satang;
			$p     .= self::tlv( '54', intdiv( $satang, 100 ) . '.' . sprintf( '%02d', $satang % 100 ) );
		}
		return self::with_crc( $p );
	}

	/**
	 * The QR payload that pays `$amount` minor units of `$currency` into the account, or null when
	 * the method's banking apps do not take that currency (or there is nothing to pay, or the
	 * details no longer pass the checks). `$reference` is the payout's id, written as the
	 * transfer note where the method has one.
	 *
	 * @param array  $a         account(): `method`, `bank`, `account`, `name`.
	 * @param int    $amount    Minor units.
	 * @param string $currency  ISO 4217 code.
	 * @param string $reference Payout id.
	 * @return string|null
	 */
	public static function transfer_qr( array $a, $amount, $currency, $reference ) {
		try {
			$a = self::account( $a['method'] ?? null, $a['bank'] ?? null, $a['account'] ?? null, $a['name'] ?? null );
		} catch ( Reftrail_Bank_Transfer_Error $e ) {
			return null;
		}
		if ( self::METHODS[ $a['method'] ] !== $currency || (int) $amount <= 0 ) {
			return null;
		}
		if ( 'vietqr' === $a['method'] ) {
			return self::vietqr( $a['bank'], $a['account'], (int) $amount, self::purpose( $reference ) );
		}
		return self::promptpay( self::promptpay_id( $a['account'] ), (int) $amount );
	}
}
