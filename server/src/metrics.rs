//! Prometheus metrics, in the text exposition format, without a metrics library.
//!
//! Counters are per process; Prometheus sums them across replicas.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Upper bounds of the latency histogram, seconds.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];

#[derive(Default)]
struct Latency {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The process's metrics.
#[derive(Default)]
pub struct Metrics {
    /// Clicks recorded.
    pub clicks: AtomicU64,
    /// Clicks from bot user agents.
    pub bot_clicks: AtomicU64,
    /// Click cookies that failed verification (forged, tampered, unknown key).
    pub invalid_click_cookies: AtomicU64,
    /// Leads recorded.
    pub leads: AtomicU64,
    /// Sales recorded.
    pub sales: AtomicU64,
    /// Replays answered from the idempotency store.
    pub replays: AtomicU64,
    /// Referrals created.
    pub referrals: AtomicU64,
    /// Referrals flagged by a fraud signal.
    pub flagged: AtomicU64,
    /// Webhook deliveries that succeeded.
    pub webhooks_delivered: AtomicU64,
    /// Webhook delivery attempts that failed.
    pub webhooks_failed: AtomicU64,
    /// Affiliates' postbacks that succeeded.
    pub postbacks_delivered: AtomicU64,
    /// Affiliates' postback attempts that failed.
    pub postbacks_failed: AtomicU64,
    /// Affiliate emails sent.
    pub mails_sent: AtomicU64,
    /// Affiliate email attempts that failed.
    pub mails_failed: AtomicU64,
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Latency>>,
}

impl Metrics {
    /// Records one answered request.
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        if let Ok(mut m) = self.requests.lock() {
            *m.entry((method.to_owned(), route.to_owned(), status))
                .or_default() += 1;
        }
        if let Ok(mut m) = self.latency.lock() {
            let l = m.entry(route.to_owned()).or_default();
            for (i, b) in BUCKETS.iter().enumerate() {
                if seconds <= *b {
                    l.counts[i] += 1;
                }
            }
            l.count += 1;
            l.sum += seconds;
        }
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let counters: [(&str, &str, &AtomicU64); 14] = [
            ("reftrail_clicks_total", "Clicks recorded.", &self.clicks),
            (
                "reftrail_bot_clicks_total",
                "Clicks from known bot user agents.",
                &self.bot_clicks,
            ),
            (
                "reftrail_invalid_click_cookies_total",
                "Click cookies that failed verification.",
                &self.invalid_click_cookies,
            ),
            ("reftrail_leads_total", "Leads recorded.", &self.leads),
            ("reftrail_sales_total", "Sales recorded.", &self.sales),
            (
                "reftrail_idempotent_replays_total",
                "Requests answered from the idempotency store.",
                &self.replays,
            ),
            (
                "reftrail_referrals_total",
                "Referrals created.",
                &self.referrals,
            ),
            (
                "reftrail_flagged_referrals_total",
                "Referrals flagged by a fraud signal.",
                &self.flagged,
            ),
            (
                "reftrail_webhooks_delivered_total",
                "Webhook deliveries that succeeded.",
                &self.webhooks_delivered,
            ),
            (
                "reftrail_webhook_failures_total",
                "Webhook delivery attempts that failed.",
                &self.webhooks_failed,
            ),
            (
                "reftrail_postbacks_delivered_total",
                "Affiliates' postbacks that succeeded.",
                &self.postbacks_delivered,
            ),
            (
                "reftrail_postback_failures_total",
                "Affiliates' postback attempts that failed.",
                &self.postbacks_failed,
            ),
            (
                "reftrail_affiliate_emails_sent_total",
                "Affiliate emails sent.",
                &self.mails_sent,
            ),
            (
                "reftrail_affiliate_email_failures_total",
                "Affiliate email attempts that failed.",
                &self.mails_failed,
            ),
        ];
        for (name, help, v) in counters {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}\n",
                v.load(Ordering::Relaxed)
            ));
        }
        out.push_str("# HELP reftrail_http_requests_total HTTP requests answered.\n# TYPE reftrail_http_requests_total counter\n");
        if let Ok(m) = self.requests.lock() {
            for ((method, route, status), n) in m.iter() {
                out.push_str(&format!(
                    "reftrail_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}\n",
                    escape(route)
                ));
            }
        }
        out.push_str("# HELP reftrail_http_request_duration_seconds Time to answer.\n# TYPE reftrail_http_request_duration_seconds histogram\n");
        if let Ok(m) = self.latency.lock() {
            for (route, l) in m.iter() {
                let r = escape(route);
                for (i, b) in BUCKETS.iter().enumerate() {
                    out.push_str(&format!(
                        "reftrail_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"{b}\"}} {}\n",
                        l.counts[i]
                    ));
                }
                out.push_str(&format!("reftrail_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"+Inf\"}} {}\n", l.count));
                out.push_str(&format!(
                    "reftrail_http_request_duration_seconds_sum{{route=\"{r}\"}} {}\n",
                    l.sum
                ));
                out.push_str(&format!(
                    "reftrail_http_request_duration_seconds_count{{route=\"{r}\"}} {}\n",
                    l.count
                ));
            }
        }
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Adds one to a counter.
pub fn inc(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}
