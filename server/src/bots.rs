//! Known bot user agents: their clicks are counted apart and never credited.

/// Lower-case substrings of user agents of crawlers, previewers, monitors and HTTP libraries.
const MARKERS: &[&str] = &[
    "bot",
    "crawler",
    "spider",
    "slurp",
    "crawl",
    "headlesschrome",
    "phantomjs",
    "lighthouse",
    "facebookexternalhit",
    "facebot",
    "embedly",
    "quora link preview",
    "pinterest",
    "vkshare",
    "w3c_validator",
    "whatsapp",
    "skypeuripreview",
    "google-read-aloud",
    "mediapartners-google",
    "adsbot",
    "apis-google",
    "feedfetcher",
    "python-requests",
    "python-urllib",
    "aiohttp",
    "curl/",
    "wget",
    "libwww-perl",
    "go-http-client",
    "java/",
    "okhttp",
    "axios/",
    "node-fetch",
    "scrapy",
    "httpclient",
    "postmanruntime",
    "insomnia",
    "pingdom",
    "uptimerobot",
    "statuscake",
    "site24x7",
    "newrelicpinger",
    "datadog",
    "preview",
    "monitor",
    "archive.org_bot",
    "ia_archiver",
];

/// Whether `user_agent` is a known bot (an empty user agent counts as one).
pub fn is_bot(user_agent: &str) -> bool {
    let ua = user_agent.trim();
    if ua.is_empty() {
        return true;
    }
    let lower = ua.to_ascii_lowercase();
    MARKERS.iter().any(|m| lower.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bots_and_people() {
        for ua in ["Googlebot/2.1 (+http://www.google.com/bot.html)", "curl/8.5.0", "", "facebookexternalhit/1.1",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0 Safari/537.36"] {
            assert!(is_bot(ua), "{ua}");
        }
        for ua in ["Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"] {
            assert!(!is_bot(ua), "{ua}");
        }
    }
}
