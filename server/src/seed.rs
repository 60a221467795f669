//! `seed-demo`: a realistic program to look at. About 20 affiliates across the categories,
//! 90 days of clicks, leads and sales in VND and USD (some by coupon, some unattributed store
//! orders) with their cost of goods, refunds, flagged referrals, approvals after the hold period.
//! Deterministic for a given seed. Writes through the same ledger and commission code as the
//! API.

use crate::commissions::{self, Order};
use crate::db::Db;
use crate::error::AppError;
use crate::ids::{new_id, sha256_hex};
use crate::ledger::{self, bucket, Entry};
use crate::program::{self, Program};
use crate::times::{now, DAY};
use reftrail::affiliate::AffiliateId;
use reftrail::commission::{Rate, Rules};
use reftrail::money::Currency;

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
}

/// Affiliates of the demo recruited by another: (recruit, recruiter). The recruiter earns the
/// program's recruiter rate on their recruit's commissions.
const RECRUITED: [(&str, &str); 2] = [("minh_style", "alice"), ("thao.beauty", "alice")];

const AFFILIATES: [(&str, &str, &str); 20] = [
    ("alice", "Alice Nguyen", "content"),
    ("bob", "Bob Tran", "coupon"),
    ("linh.reviews", "Linh Reviews", "content"),
    ("cashbackvn", "CashbackVN", "cashback"),
    ("minh_style", "Minh Style", "influencer"),
    ("dealhunter", "Deal Hunter", "coupon"),
    ("searchpro", "SearchPro Media", "search"),
    ("newsletter-daily", "Daily Newsletter", "email"),
    ("compare.vn", "Compare VN", "comparison"),
    ("thao.beauty", "Thao Beauty", "influencer"),
    ("techblog", "Tech Blog", "content"),
    ("saigon-deals", "Saigon Deals", "coupon"),
    ("hanoi-eats", "Hanoi Eats", "content"),
    ("bestprice", "BestPrice", "comparison"),
    ("rewardme", "RewardMe", "cashback"),
    ("mail-digest", "Mail Digest", "email"),
    ("yoga_lan", "Yoga with Lan", "influencer"),
    ("adwise", "AdWise", "search"),
    ("student-deals", "Student Deals", "other"),
    ("quiet.one", "Quiet One", "content"),
];

/// The campaigns some affiliates tag their links with: a click takes one by the hour it happens
/// in (`None`: a link without a campaign).
const CAMPAIGNS: [(&str, [Option<&str>; 3]); 3] = [
    ("alice", [Some("tiktok-bio"), Some("facebook-group"), None]),
    (
        "minh_style",
        [Some("youtube-review"), Some("youtube-review"), Some("zalo")],
    ),
    ("thao.beauty", [Some("instagram-story"), None, None]),
];

/// The campaign of a demo click by `affiliate` at `at`.
fn campaign_of(affiliate: &str, at: i64) -> Option<&'static str> {
    let (_, names) = CAMPAIGNS.iter().find(|(a, _)| *a == affiliate)?;
    names[usize::try_from(at.div_euclid(3600) % 3).unwrap_or(0)]
}

/// Affiliates paid by bank transfer (VietQR): id, the bank's NAPAS BIN, account, holder. The
/// others are paid by PayPal. The accounts are made up.
const BANK_ACCOUNTS: [(&str, &str, &str, &str); 3] = [
    ("alice", "970436", "0071000123456", "NGUYEN THI ALICE"),
    ("linh.reviews", "970407", "19036789012345", "TRAN THUY LINH"),
    ("thao.beauty", "970422", "0901234567", "LE THI THAO"),
];

/// SKU, category, unit price in VND and in USD cents, and cost of goods per mille of the price.
const PRODUCTS: [(&str, &str, i64, i64, i64); 6] = [
    ("SHOE-RUN-1", "shoes", 1_250_000, 5_000, 450),
    ("SHOE-WALK-2", "shoes", 890_000, 3_600, 480),
    ("BAG-TOTE", "bags", 450_000, 1_800, 380),
    ("TEE-BASIC", "apparel", 199_000, 800, 300),
    ("GIFT-CARD", "gift", 500_000, 2_000, 1000),
    ("WATCH-SPORT", "accessories", 2_990_000, 12_000, 550),
];

/// What `seed-demo` wrote.
#[derive(Debug, Default)]
pub struct Seeded {
    /// Affiliates created.
    pub affiliates: usize,
    /// Clicks.
    pub clicks: usize,
    /// Leads.
    pub leads: usize,
    /// Orders (attributed or not).
    pub orders: usize,
    /// Referrals.
    pub referrals: usize,
    /// Refunds.
    pub refunds: usize,
}

/// Seeds the demo program. `scale` multiplies the daily traffic (1 = about 300 clicks a day);
/// `sales_per_mille` is the share of (non-bot) clicks that convert into a sale (demo: 30).
pub async fn seed_demo(
    db: &Db,
    scale: u64,
    seed: u64,
    sales_per_mille: u64,
) -> Result<Seeded, AppError> {
    let mut rng = Rng(seed.max(1));
    let mut out = Seeded::default();
    let t_end = now();
    let t0 = t_end - 90 * DAY;
    let mut p = Program {
        name: "Demo shoe shop".into(),
        currency: "VND".into(),
        locale: Some("vi".into()),
        multi_touch: crate::program::MultiTouchSetting {
            kind: "position_based".into(),
            half_life_days: None,
        },
        allowed_origins: vec![
            "http://127.0.0.1:8080".into(),
            "http://localhost:8080".into(),
        ],
        applications: "review".into(),
        recruiter_rate_bps: 1000,
        ..Program::default()
    };
    p.commission = Rules {
        sale: Some(Rate::Percent { rate_bps: 800 }),
        lead: Some([(Currency::VND, 20_000), (Currency::USD, 100)].into()),
        categories: [("gift".to_owned(), Rate::Percent { rate_bps: 0 })].into(),
        // Cashback sites pass most of their commission on to their members: the demo pays
        // them less.
        affiliate_categories: [(
            "cashback".to_owned(),
            reftrail::commission::AffiliateRules {
                sale: Some(Rate::Percent { rate_bps: 500 }),
                lead: None,
            },
        )]
        .into(),
        ..Rules::default()
    };
    let mut tx = db.begin_write().await?;
    program::store(&mut tx, &p).await?;

    for (i, (id, name, cat)) in AFFILIATES.iter().enumerate() {
        let email = format!("{}@affiliates.example", id.replace('.', "-"));
        let created = t0 - 30 * DAY + (i as i64) * DAY;
        let status = if i == 19 { "pending" } else { "approved" };
        let r = sqlx::query(
            "INSERT INTO affiliates (id, name, email, email_hash, payout_email, category, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $3, $5, $6, $7, $7) ON CONFLICT (id) DO NOTHING",
        )
        .bind(*id)
        .bind(*name)
        .bind(&email)
        .bind(reftrail::email::hash(&email))
        .bind(*cat)
        .bind(status)
        .bind(created)
        .execute(&mut *tx)
        .await?;
        out.affiliates += usize::try_from(r.rows_affected()).unwrap_or(0);
        if let Some((_, recruiter)) = RECRUITED.iter().find(|x| x.0 == *id) {
            if r.rows_affected() == 1 {
                sqlx::query("UPDATE affiliates SET recruiter_id = $1 WHERE id = $2")
                    .bind(*recruiter)
                    .bind(*id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        if let Some((_, bank, account, holder)) = BANK_ACCOUNTS.iter().find(|b| b.0 == *id) {
            if r.rows_affected() == 1 {
                sqlx::query(
                    "UPDATE affiliates SET payout_method = 'vietqr', payout_bank = $1, payout_account = $2, payout_name = $3 \
                     WHERE id = $4",
                )
                .bind(*bank)
                .bind(*account)
                .bind(*holder)
                .bind(*id)
                .execute(&mut *tx)
                .await?;
            }
        }
        if *cat == "coupon" {
            sqlx::query("INSERT INTO coupons (code, affiliate_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (code) DO NOTHING")
                .bind(format!("{}10", id.to_uppercase().replace(['.', '-', '_'], "")))
                .bind(*id)
                .bind(created)
                .execute(&mut *tx)
                .await?;
        }
    }

    // Some affiliates are much better than others.
    let weight = |i: usize| 20 - i as u64;
    let total_weight: u64 = (0..19).map(weight).sum();
    let ua = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148";
    for day in 0..90 {
        let day_start = t0 + day * DAY;
        let clicks_today = (200 + rng.below(200)) * scale;
        for _ in 0..clicks_today {
            let mut pick = rng.below(total_weight);
            let mut ai = 0;
            while pick >= weight(ai) {
                pick -= weight(ai);
                ai += 1;
            }
            let (aff, _, _) = AFFILIATES[ai];
            let at = day_start + i64::try_from(rng.below(DAY as u64)).unwrap_or(0);
            let bot = rng.chance(30);
            let visitor = format!("v:{:016x}", rng.below(40_000 * scale));
            let click_id = new_id("c");
            let campaign = campaign_of(aff, at);
            sqlx::query(
                "INSERT INTO clicks (id, affiliate_id, at, visitor_key, is_unique, is_bot, ip_hash, consent, via, url, referrer, landing, user_agent, \
                 campaign, campaign_name) VALUES ($1, $2, $3, $4, $5, $6, $7, 'granted', 'query', $8, '', '/', $9, $10, $11)",
            )
            .bind(&click_id)
            .bind(aff)
            .bind(at)
            .bind(&visitor)
            .bind(i64::from(!bot && rng.chance(900)))
            .bind(i64::from(bot))
            .bind(&sha256_hex(&format!("ip{}", rng.below(5000)))[..32])
            .bind(match campaign {
                Some(c) => format!("https://shop.example/?ref={aff}&utm_campaign={c}"),
                None => format!("https://shop.example/?ref={aff}"),
            })
            .bind(if bot { "Googlebot/2.1" } else { ua })
            .bind(campaign.map(|c| serde_json::json!({ "utm_campaign": c }).to_string()))
            .bind(campaign)
            .execute(&mut *tx)
            .await?;
            out.clicks += 1;
            if bot {
                continue;
            }
            if rng.chance(15) {
                let lead_id = new_id("lead");
                let email_hash = sha256_hex(&format!("lead{}", rng.next()));
                sqlx::query(
                    "INSERT INTO leads (id, dedupe_key, at, event, email_hash, verified, affiliate_id, attributed_by, click_id) \
                     VALUES ($1, $2, $3, 'signup', $4, 1, $5, 'click_id', $6)",
                )
                .bind(&lead_id)
                .bind(format!("signup\u{1f}e:{email_hash}"))
                .bind(at + 60)
                .bind(&email_hash)
                .bind(aff)
                .bind(&click_id)
                .execute(&mut *tx)
                .await?;
                out.leads += 1;
                let c = if rng.chance(800) {
                    Currency::VND
                } else {
                    Currency::USD
                };
                let amount = p
                    .commission
                    .lead
                    .as_ref()
                    .and_then(|l| l.get(&c))
                    .copied()
                    .unwrap_or(0);
                referral(
                    &mut tx,
                    &mut out,
                    &p,
                    "lead",
                    &lead_id,
                    aff,
                    at + 60,
                    0,
                    c.as_str(),
                    amount,
                    "click_id",
                    &[],
                )
                .await?;
            }
            if rng.chance(sales_per_mille) {
                let usd = rng.chance(250);
                let (sku, cat, vnd, usd_price, cost_permille) =
                    PRODUCTS[usize::try_from(rng.below(6)).unwrap_or(0)];
                let qty = 1 + i64::try_from(rng.below(2)).unwrap_or(0);
                let (currency, price) = if usd {
                    (Currency::USD, usd_price)
                } else {
                    (Currency::VND, vnd)
                };
                let items = vec![reftrail::commission::Item {
                    sku: sku.into(),
                    category: Some(cat.into()),
                    amount: price,
                    quantity: qty,
                }];
                let amount = price * qty;
                let cost = amount * cost_permille / 1000;
                let order_ref = new_id("ord");
                let order_at = at + 600 + i64::try_from(rng.below(3600)).unwrap_or(0);
                let by = if AFFILIATES[ai].2 == "coupon" && rng.chance(600) {
                    "coupon"
                } else {
                    "cookie"
                };
                sqlx::query(
                    "INSERT INTO orders (id, order_id, at, amount, currency, shipping, tax, items, verified, affiliate_id, attributed_by, click_id, cost) \
                     VALUES ($1, $2, $3, $4, $5, 0, 0, $6, 1, $7, $8, $9, $10)",
                )
                .bind(&order_ref)
                .bind(format!("DEMO-{}", order_ref))
                .bind(order_at)
                .bind(amount)
                .bind(currency.as_str())
                .bind(serde_json::json!([{"sku": sku, "category": cat, "amount": price, "quantity": qty}]).to_string())
                .bind(aff)
                .bind(by)
                .bind(&click_id)
                .bind(cost)
                .execute(&mut *tx)
                .await?;
                out.orders += 1;
                let aid = AffiliateId::parse(aff)
                    .ok_or_else(|| AppError::Internal("bad seed id".into()))?;
                let order = Order {
                    amount,
                    currency,
                    shipping: 0,
                    tax: 0,
                    items: &items,
                    renewal: None,
                };
                let c = commissions::compute(
                    &p.commission,
                    &commissions::input(
                        aid,
                        Some(AFFILIATES[ai].2.to_owned()),
                        &order,
                        Default::default(),
                    )?,
                )?;
                let flags: &[&str] = if rng.chance(20) {
                    &["self_referral"]
                } else {
                    &[]
                };
                let rid = referral(
                    &mut tx,
                    &mut out,
                    &p,
                    "sale",
                    &order_ref,
                    aff,
                    order_at,
                    amount,
                    currency.as_str(),
                    c.amount,
                    by,
                    flags,
                )
                .await?;
                if rng.chance(50) {
                    let refund = if rng.chance(500) { amount } else { amount / 2 };
                    sqlx::query("INSERT INTO refunds (id, refund_key, order_ref, amount, currency, at, cost) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                        .bind(new_id("rfd"))
                        .bind(format!("demo:{order_ref}"))
                        .bind(&order_ref)
                        .bind(refund)
                        .bind(currency.as_str())
                        .bind(order_at + 3 * DAY)
                        .bind(reftrail::commission::reverse_part(cost, amount, 0, 0, refund))
                        .execute(&mut *tx)
                        .await?;
                    out.refunds += 1;
                    let rev = reftrail::commission::reverse_part(c.amount, amount, 0, 0, refund);
                    let status: String =
                        sqlx::query_scalar("SELECT status FROM referrals WHERE id = $1")
                            .bind(&rid)
                            .fetch_one(&mut *tx)
                            .await?;
                    let from = if status == "pending" {
                        bucket::PENDING
                    } else {
                        bucket::APPROVED
                    };
                    ledger::append(
                        &mut tx,
                        Entry {
                            affiliate: aff,
                            referral: Some(&rid),
                            bonus: None,
                            recruiter_commission: None,
                            payout: None,
                            bucket: from,
                            entry: "reversal",
                            amount: -rev,
                            currency: currency.as_str(),
                        },
                    )
                    .await?;
                    crate::recruiters::refunded(&mut tx, &rid, c.amount - rev, refund == amount)
                        .await?;
                    if refund == amount {
                        sqlx::query("UPDATE referrals SET status = 'reversed' WHERE id = $1")
                            .bind(&rid)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
            }
        }
        // Store orders nobody referred.
        for _ in 0..(5 * scale) {
            let amount = 300_000 + i64::try_from(rng.below(2_000_000)).unwrap_or(0);
            let order_ref = new_id("ord");
            sqlx::query(
                "INSERT INTO orders (id, order_id, at, amount, currency, shipping, tax, verified) VALUES ($1, $2, $3, $4, 'VND', 0, 0, 1)",
            )
            .bind(&order_ref)
            .bind(format!("DEMO-{order_ref}"))
            .bind(day_start + i64::try_from(rng.below(DAY as u64)).unwrap_or(0))
            .bind(amount)
            .execute(&mut *tx)
            .await?;
            out.orders += 1;
        }
    }
    crate::click_writer::rebuild_click_daily(&mut tx).await?;
    crate::campaigns::rebuild_daily(&mut tx).await?;
    crate::creative_clicks::rebuild_daily(&mut tx).await?;
    crate::campaigns::referrals_from_clicks(&mut tx).await?;
    crate::rollups::rebuild(&mut tx).await?;
    request_payout(&mut tx, "alice", "VND", t_end - 3600).await?;
    tx.commit().await?;
    Ok(out)
}

/// An open request of `affiliate` to be paid their approved balance in `currency`, asked at
/// `at`, so that the demo's Payouts page shows one waiting (none when nothing is approved).
async fn request_payout(
    tx: &mut crate::db::Tx,
    affiliate: &str,
    currency: &str,
    at: i64,
) -> Result<(), AppError> {
    let approved: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM ledger \
         WHERE affiliate_id = $1 AND currency = $2 AND bucket = 'approved'",
    )
    .bind(affiliate)
    .bind(currency)
    .fetch_one(&mut **tx)
    .await?;
    if approved > 0 {
        sqlx::query(
            "INSERT INTO payout_requests (id, affiliate_id, currency, amount, status, at) VALUES ($1, $2, $3, $4, 'open', $5)",
        )
        .bind(new_id("prq"))
        .bind(affiliate)
        .bind(currency)
        .bind(approved)
        .bind(at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn referral(
    tx: &mut crate::db::Tx,
    out: &mut Seeded,
    p: &Program,
    kind: &str,
    source: &str,
    affiliate: &str,
    at: i64,
    amount: i64,
    currency: &str,
    commission: i64,
    by: &str,
    flags: &[&str],
) -> Result<String, AppError> {
    let id = new_id("ref");
    let hold_until = at + p.hold_days * DAY;
    let approved = hold_until <= now() && flags.is_empty();
    sqlx::query(
        "INSERT INTO referrals (id, kind, source_id, affiliate_id, at, amount, currency, commission, status, verified, attributed_by, flags, hold_until, decided_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $11, $12, $13)",
    )
    .bind(&id)
    .bind(kind)
    .bind(source)
    .bind(affiliate)
    .bind(at)
    .bind(amount)
    .bind(currency)
    .bind(commission)
    .bind(if approved { "approved" } else { "pending" })
    .bind(by)
    .bind(serde_json::to_string(flags)?)
    .bind(hold_until)
    .bind(approved.then_some(hold_until))
    .execute(&mut **tx)
    .await?;
    let e = |bucket, entry, amount| Entry {
        affiliate,
        referral: Some(&id),
        bonus: None,
        recruiter_commission: None,
        payout: None,
        bucket,
        entry,
        amount,
        currency,
    };
    ledger::append(tx, e(bucket::PENDING, "commission", commission)).await?;
    if approved {
        ledger::append(tx, e(bucket::PENDING, "approval", -commission)).await?;
        ledger::append(tx, e(bucket::APPROVED, "approval", commission)).await?;
    }
    // The demo's shares are history: nobody is told of them.
    crate::recruiters::created(tx, p.recruiter_rate_bps, &id).await?;
    out.referrals += 1;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_bank_accounts_are_saved_as_they_are() {
        for (id, bank, account, holder) in BANK_ACCOUNTS {
            assert!(AFFILIATES.iter().any(|a| a.0 == id), "{id}");
            let a =
                reftrail::bank_transfer::Account::new("vietqr", Some(bank), account, Some(holder))
                    .unwrap_or_else(|e| panic!("{id}: {e:?}"));
            assert_eq!(
                (a.account.as_str(), a.name.as_deref()),
                (account, Some(holder))
            );
        }
    }
}
