<?php
/**
 * A STAND-IN for WooCommerce, which no package registry reachable here carries. It is not
 * WooCommerce: it is the smallest set of classes and functions with the names and method
 * signatures the plugin calls (WC_Order, WC_Order_Item_Product, WC_Product, WC_Order_Refund,
 * WC_Subscription, wc_get_order, FeaturesUtil::declare_compatibility), firing the hooks the way
 * WooCommerce's source fires them:
 *
 * - classic checkout: do_action( 'woocommerce_checkout_order_processed', $order_id, $posted_data, $order )
 *   (WC_Checkout::process_checkout, after the order is created, before payment);
 * - block checkout: do_action( 'woocommerce_store_api_checkout_order_processed', $order )
 *   (StoreApi\Routes\V1\Checkout, before payment);
 * - status change: do_action( 'woocommerce_order_status_changed', $id, $from, $to, $order )
 *   (WC_Order::status_transition);
 * - refund: for a full refund the order status becomes `refunded` first (firing the status
 *   change), then do_action( 'woocommerce_order_refunded', $order_id, $refund_id ) (wc_create_refund);
 * - renewal: do_action( 'woocommerce_subscription_renewal_payment_complete', $subscription, $last_order )
 *   (WooCommerce Subscriptions);
 * - HPOS: FeaturesUtil::declare_compatibility( 'custom_order_tables', $plugin_file, true ) on
 *   `before_woocommerce_init`.
 *
 * Orders live in memory; the plugin only ever touches them through these methods. Coupons are
 * WooCommerce's own storage, posts: the `shop_coupon` post type registered as
 * WC_Post_Types::register_post_types registers it (at `init`, priority 5), its capabilities given
 * to administrators and shop managers as WC_Install::create_roles gives them, the store currency
 * read as get_woocommerce_currency reads it, and codes formatted as wc_format_coupon_code formats
 * them (the filters WooCommerce adds to `woocommerce_coupon_code`).
 *
 * @package Reftrail
 */

namespace Automattic\WooCommerce\Utilities {
	/**
	 * Stand-in of WooCommerce's FeaturesUtil: records declarations.
	 */
	class FeaturesUtil {
		/** @var array */
		public static $declared = array();

		/**
		 * @param string $feature Feature id.
		 * @param string $file    Plugin file.
		 * @param bool   $ok      Compatible.
		 * @return bool
		 */
		public static function declare_compatibility( $feature, $file, $ok = true ) {
			self::$declared[] = array( $feature, $file, $ok );
			return true;
		}
	}
}

namespace {
	/** Stand-in product. */
	class WC_Product {
		/** @var int */
		private $id;
		/** @var string */
		private $sku;
		/**
		 * @param int    $id  Id.
		 * @param string $sku SKU.
		 */
		public function __construct( $id, $sku ) {
			$this->id  = $id;
			$this->sku = $sku;
		}
		/** @return int */
		public function get_id() {
			return $this->id;
		}
		/** @return string */
		public function get_sku() {
			return $this->sku;
		}
	}

	/** Stand-in order line. */
	class WC_Order_Item_Product {
		/** @var WC_Product */
		private $product;
		/** @var int */
		private $qty;
		/** @var string */
		private $subtotal;
		/**
		 * @param WC_Product $product  Product.
		 * @param int        $qty      Quantity.
		 * @param string     $subtotal Line subtotal before discounts, decimal string.
		 */
		public function __construct( $product, $qty, $subtotal ) {
			$this->product  = $product;
			$this->qty      = $qty;
			$this->subtotal = $subtotal;
		}
		/** @return WC_Product */
		public function get_product() {
			return $this->product;
		}
		/** @return int */
		public function get_product_id() {
			return $this->product->get_id();
		}
		/** @return int */
		public function get_quantity() {
			return $this->qty;
		}
		/** @return string */
		public function get_subtotal() {
			return $this->subtotal;
		}
	}

	/** Stand-in order, with WooCommerce's status transition behaviour. */
	class WC_Order {
		/** @var WC_Order[] In-memory order store. */
		public static $store = array();
		/** @var int */
		private static $next = 9000;
		/** @var array */
		public $data;
		/** @var array */
		public $meta = array();
		/** @var array */
		public $notes = array();
		/** @var int */
		public $saves = 0;

		/**
		 * @param array $data `currency`, `total`, `shipping_total`, `total_tax`, `items`,
		 *                    `coupon_codes`, `billing_email`, `customer_id`, `status`.
		 */
		public function __construct( array $data ) {
			$this->data = array_merge(
				array(
					'id'             => ++self::$next,
					'status'         => 'pending',
					'currency'       => 'USD',
					'total'          => '0.00',
					'shipping_total' => '0.00',
					'total_tax'      => '0.00',
					'items'          => array(),
					'coupon_codes'   => array(),
					'billing_email'  => '',
					'customer_id'    => 0,
					'date_created'   => new DateTime( '@' . time() ),
				),
				$data
			);
			self::$store[ $this->data['id'] ] = $this;
		}
		/** @return int */
		public function get_id() {
			return $this->data['id'];
		}
		/** @return string */
		public function get_status() {
			return $this->data['status'];
		}
		/** @return string */
		public function get_currency() {
			return $this->data['currency'];
		}
		/** @return string */
		public function get_total() {
			return $this->data['total'];
		}
		/** @return string */
		public function get_shipping_total() {
			return $this->data['shipping_total'];
		}
		/** @return string */
		public function get_total_tax() {
			return $this->data['total_tax'];
		}
		/** @return array */
		public function get_items() {
			return $this->data['items'];
		}
		/** @return string[] */
		public function get_coupon_codes() {
			return $this->data['coupon_codes'];
		}
		/** @return string */
		public function get_billing_email() {
			return $this->data['billing_email'];
		}
		/** @return int */
		public function get_customer_id() {
			return $this->data['customer_id'];
		}
		/** @return DateTime */
		public function get_date_created() {
			return $this->data['date_created'];
		}
		/**
		 * @param string $key Key.
		 * @return mixed
		 */
		public function get_meta( $key ) {
			return $this->meta[ $key ] ?? '';
		}
		/**
		 * @param string $key   Key.
		 * @param mixed  $value Value.
		 */
		public function update_meta_data( $key, $value ) {
			$this->meta[ $key ] = $value;
		}
		/** @return int */
		public function save() {
			++$this->saves;
			return $this->get_id();
		}
		/**
		 * @param string $note Note.
		 */
		public function add_order_note( $note ) {
			$this->notes[] = $note;
		}
		/**
		 * Changes the status and fires the status hooks as WC_Order::status_transition does.
		 *
		 * @param string $to New status.
		 */
		public function update_status( $to ) {
			$from                 = $this->data['status'];
			$this->data['status'] = $to;
			if ( $from !== $to ) {
				do_action( 'woocommerce_order_status_' . $to, $this->get_id(), $this );
				do_action( 'woocommerce_order_status_' . $from . '_to_' . $to, $this->get_id(), $this );
				do_action( 'woocommerce_order_status_changed', $this->get_id(), $from, $to, $this );
			}
		}
	}

	/** Stand-in refund. */
	class WC_Order_Refund {
		/** @var int */
		private $id;
		/** @var string */
		private $amount;
		/** @var string */
		private $reason;
		/**
		 * @param int    $id     Id.
		 * @param string $amount Decimal amount.
		 * @param string $reason Reason.
		 */
		public function __construct( $id, $amount, $reason ) {
			$this->id     = $id;
			$this->amount = $amount;
			$this->reason = $reason;
		}
		/** @return int */
		public function get_id() {
			return $this->id;
		}
		/** @return string */
		public function get_amount() {
			return $this->amount;
		}
		/** @return string */
		public function get_reason() {
			return $this->reason;
		}
	}

	/** Stand-in subscription (WooCommerce Subscriptions). */
	class WC_Subscription {
		/** @var int */
		private $id;
		/** @var int */
		private $parent;
		/**
		 * @param int $id     Id.
		 * @param int $parent Parent order id.
		 */
		public function __construct( $id, $parent ) {
			$this->id     = $id;
			$this->parent = $parent;
		}
		/** @return int */
		public function get_id() {
			return $this->id;
		}
		/** @return int */
		public function get_parent_id() {
			return $this->parent;
		}
	}

	/** @var WC_Order_Refund[] */
	$GLOBALS['reftrail_stand_in_refunds'] = array();

	/**
	 * Stand-in of wc_get_order: orders and refunds by id.
	 *
	 * @param mixed $id Id.
	 * @return WC_Order|WC_Order_Refund|false
	 */
	function wc_get_order( $id ) {
		$id = is_object( $id ) ? $id->get_id() : (int) $id;
		return WC_Order::$store[ $id ] ?? ( $GLOBALS['reftrail_stand_in_refunds'][ $id ] ?? false );
	}

	/**
	 * Stand-in of wc_create_refund's hook order: a full refund sets the status `refunded`
	 * first, then `woocommerce_order_refunded` fires.
	 *
	 * @param WC_Order $order  Order.
	 * @param string   $amount Decimal amount.
	 * @param bool     $full   Whether it refunds the rest of the order.
	 * @param string   $reason Reason.
	 * @return WC_Order_Refund
	 */
	function reftrail_stand_in_refund( WC_Order $order, $amount, $full, $reason = '' ) {
		static $next = 50000;
		$refund                                              = new WC_Order_Refund( ++$next, $amount, $reason );
		$GLOBALS['reftrail_stand_in_refunds'][ $refund->get_id() ] = $refund;
		if ( $full ) {
			do_action( 'woocommerce_order_fully_refunded', $order->get_id(), $refund->get_id() );
			$order->update_status( 'refunded' );
		} else {
			do_action( 'woocommerce_order_partially_refunded', $order->get_id(), $refund->get_id() );
		}
		do_action( 'woocommerce_refund_created', $refund->get_id(), array() );
		do_action( 'woocommerce_order_refunded', $order->get_id(), $refund->get_id() );
		return $refund;
	}

	/**
	 * Registers WooCommerce's coupon post type with the arguments WooCommerce gives it.
	 */
	function reftrail_stand_in_register_coupons() {
		if ( post_type_exists( 'shop_coupon' ) ) {
			return;
		}
		register_post_type(
			'shop_coupon',
			array(
				'labels'              => array(
					'name'          => 'Coupons',
					'singular_name' => 'Coupon',
				),
				'description'         => 'This is where you can add new coupons that customers can use in your store.',
				'public'              => false,
				'show_ui'             => true,
				'capability_type'     => 'shop_coupon',
				'map_meta_cap'        => true,
				'publicly_queryable'  => false,
				'exclude_from_search' => true,
				'show_in_menu'        => true,
				'hierarchical'        => false,
				'rewrite'             => false,
				'query_var'           => false,
				'supports'            => array( 'title' ),
				'show_in_nav_menus'   => false,
				'show_in_admin_bar'   => true,
			)
		);
		// WC_Install::get_core_capabilities() for the shop_coupon type, given at installation.
		$caps = array();
		foreach ( array( 'edit_%s', 'read_%s', 'delete_%s', 'edit_%ss', 'edit_others_%ss', 'publish_%ss', 'read_private_%ss', 'delete_%ss', 'delete_private_%ss', 'delete_published_%ss', 'delete_others_%ss', 'edit_private_%ss', 'edit_published_%ss' ) as $cap ) {
			$caps[] = sprintf( $cap, 'shop_coupon' );
		}
		foreach ( array( 'administrator', 'shop_manager' ) as $name ) {
			$role = get_role( $name );
			if ( $role && ! $role->has_cap( 'publish_shop_coupons' ) ) {
				foreach ( $caps as $cap ) {
					$role->add_cap( $cap );
				}
			}
		}
	}
	if ( did_action( 'init' ) ) {
		reftrail_stand_in_register_coupons();
	} else {
		add_action( 'init', 'reftrail_stand_in_register_coupons', 5 );
	}

	/**
	 * Stand-in of get_woocommerce_currency: the shop's currency setting.
	 *
	 * @return string
	 */
	function get_woocommerce_currency() {
		return apply_filters( 'woocommerce_currency', get_option( 'woocommerce_currency' ) );
	}

	/**
	 * Stand-in of wc_strtolower.
	 *
	 * @param string $string Text.
	 * @return string
	 */
	function wc_strtolower( $string ) {
		return function_exists( 'mb_strtolower' ) ? mb_strtolower( $string ) : strtolower( $string );
	}

	/**
	 * Stand-in of wc_sanitize_coupon_code: sanitized as a post title is, for codes are titles.
	 *
	 * @param string $value Code.
	 * @return string
	 */
	function wc_sanitize_coupon_code( $value ) {
		return wp_filter_kses( sanitize_post_field( 'post_title', $value ?? '', 0, 'db' ) );
	}

	/**
	 * Stand-in of wc_format_coupon_code.
	 *
	 * @param string $value Code.
	 * @return string
	 */
	function wc_format_coupon_code( $value ) {
		return apply_filters( 'woocommerce_coupon_code', $value );
	}
	add_filter( 'woocommerce_coupon_code', 'html_entity_decode' );
	add_filter( 'woocommerce_coupon_code', 'wc_sanitize_coupon_code' );
	add_filter( 'woocommerce_coupon_code', 'wc_strtolower' );
}
