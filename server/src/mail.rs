//! Email over SMTP (`--smtp-url`): the affiliate portal's sign-in links, the messages of
//! `affiliate_mail` (new referrals, payouts), and invitations to the merchant's team.
//!
//! The link's address comes from `--public-url`, never from the request's `Host` header: a
//! forged host would otherwise send a person a link that hands their code to someone else.

use anyhow::Context as _;
use lettre::message::{header::ContentType, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// How to send mail and where links point.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The server's public address (`https://track.shop.example`), without a trailing `/`.
    pub public_url: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The transport holds the SMTP credentials: they stay out of logs.
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// `smtp_url`: `smtp://[user:pass@]host[:port][?tls=required]` (STARTTLS) or
    /// `smtps://…` (TLS); `from`: `Shop <affiliates@shop.example>`; `public_url`: an http(s)
    /// URL the portal is served under (`/portal/`).
    pub fn new(smtp_url: &str, from: &str, public_url: &str) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .context("--smtp-url must look like smtp://user:pass@host:587 or smtps://host")?
            .build();
        let from: Mailbox = from
            .parse()
            .context("--mail-from must be an address like `Shop <affiliates@shop.example>`")?;
        let public_url = public_url.trim_end_matches('/');
        anyhow::ensure!(
            (public_url.starts_with("https://") || public_url.starts_with("http://"))
                && !public_url.contains(['?', '#', ' ']),
            "--public-url must be an http(s) address without query or fragment"
        );
        Ok(Mailer {
            transport,
            from,
            public_url: public_url.to_owned(),
        })
    }

    /// The portal address that signs in with `code`.
    pub fn sign_in_url(&self, code: &str) -> String {
        format!("{}/portal/#code={code}", self.public_url)
    }

    /// Sends `to` (an affiliate's address) the sign-in link, in `locale` (en, vi, th).
    pub async fn send_sign_in_link(
        &self,
        to: &str,
        name: &str,
        program: &str,
        code: &str,
        locale: &str,
    ) -> anyhow::Result<()> {
        let text = sign_in_text(locale, name, program, &self.sign_in_url(code));
        self.send(to, text).await
    }

    /// The dashboard address where an invited team member sets their password.
    pub fn invite_url(&self, token: &str) -> String {
        format!("{}{}", self.public_url, crate::team::invite_path(token))
    }

    /// The dashboard's address, for links in the team's messages.
    pub fn dashboard_url(&self) -> String {
        format!("{}/dashboard/", self.public_url)
    }

    /// The portal's address, for links in messages.
    pub fn portal_url(&self) -> String {
        format!("{}/portal/", self.public_url)
    }

    /// Sends `text` to `to` (an affiliate's address) as plain text.
    pub async fn send(&self, to: &str, text: Text) -> anyhow::Result<()> {
        let to: Mailbox = to.parse().context("the affiliate's email")?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(text.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(text.body)
            .context("building the message")?;
        self.transport
            .send(message)
            .await
            .context("sending through SMTP")?;
        Ok(())
    }
}

/// A message's words.
pub struct Text {
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// The sign-in message in `locale` (English when it is none of en, vi, th).
pub fn sign_in_text(locale: &str, name: &str, program: &str, url: &str) -> Text {
    let (subject, hello, body, expiry, ignore) = match locale {
        "vi" => (
            "Liên kết đăng nhập cổng cộng tác viên",
            "Xin chào",
            "Mở liên kết này để đăng nhập cổng cộng tác viên của",
            "Liên kết dùng được một lần và hết hạn sau 15 phút.",
            "Nếu bạn không yêu cầu, hãy bỏ qua email này.",
        ),
        "th" => (
            "ลิงก์เข้าสู่ระบบพอร์ทัลพาร์ทเนอร์",
            "สวัสดี",
            "เปิดลิงก์นี้เพื่อเข้าสู่ระบบพอร์ทัลพาร์ทเนอร์ของ",
            "ลิงก์นี้ใช้ได้ครั้งเดียวและหมดอายุใน 15 นาที",
            "หากคุณไม่ได้ขอ โปรดละเว้นอีเมลนี้",
        ),
        _ => (
            "Your affiliate portal sign-in link",
            "Hello",
            "Open this link to sign in to the affiliate portal of",
            "The link works once and expires in 15 minutes.",
            "If you did not ask for it, ignore this email.",
        ),
    };
    Text {
        subject: format!("{subject}: {program}"),
        body: format!("{hello} {name},\n\n{body} {program}:\n\n{url}\n\n{expiry}\n{ignore}\n"),
    }
}

/// The invitation to the team of `program`'s dashboard as `role`, in `locale` (English when
/// it is none of en, vi, th). `url` sets the password; it works once, for seven days.
pub fn invite_text(locale: &str, name: &str, program: &str, role: &str, url: &str) -> Text {
    let (subject, hello, body, as_role, expiry, ignore) = match locale {
        "vi" => (
            "Lời mời vào trang quản lý chương trình cộng tác viên",
            "Xin chào",
            "Bạn được mời vào trang quản lý chương trình cộng tác viên của",
            match role {
                "owner" => "với vai trò chủ sở hữu",
                "manager" => "với vai trò quản lý",
                _ => "với vai trò người xem",
            },
            "Mở liên kết để đặt mật khẩu. Liên kết dùng được một lần và hết hạn sau 7 ngày.",
            "Nếu bạn không mong đợi lời mời này, hãy bỏ qua email này.",
        ),
        "th" => (
            "คำเชิญเข้าสู่แดชบอร์ดโปรแกรมพาร์ทเนอร์",
            "สวัสดี",
            "คุณได้รับเชิญเข้าสู่แดชบอร์ดโปรแกรมพาร์ทเนอร์ของ",
            match role {
                "owner" => "ในบทบาทเจ้าของ",
                "manager" => "ในบทบาทผู้จัดการ",
                _ => "ในบทบาทผู้ดู",
            },
            "เปิดลิงก์เพื่อตั้งรหัสผ่าน ลิงก์นี้ใช้ได้ครั้งเดียวและหมดอายุใน 7 วัน",
            "หากคุณไม่ได้คาดหวังคำเชิญนี้ โปรดละเว้นอีเมลนี้",
        ),
        _ => (
            "Your invitation to the affiliate program's dashboard",
            "Hello",
            "You are invited to the affiliate program dashboard of",
            match role {
                "owner" => "as an owner",
                "manager" => "as a manager",
                _ => "as a viewer",
            },
            "Open the link to set your password. It works once and expires in 7 days.",
            "If you did not expect this invitation, ignore this email.",
        ),
    };
    Text {
        subject: format!("{subject}: {program}"),
        body: format!(
            "{hello} {name},\n\n{body} {program} {as_role}.\n\n{url}\n\n{expiry}\n{ignore}\n"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invitations_name_the_program_and_the_role_in_each_language() {
        let url = "https://t.shop.test/dashboard/#invite=ti_x";
        let en = invite_text("en", "Lan", "Shoe Shop", "manager", url);
        assert_eq!(
            en.subject,
            "Your invitation to the affiliate program's dashboard: Shoe Shop"
        );
        assert!(en.body.starts_with("Hello Lan,\n"));
        assert!(en.body.contains(
            "dashboard of Shoe Shop as a manager.\n\nhttps://t.shop.test/dashboard/#invite=ti_x\n"
        ));
        let vi = invite_text("vi", "Lan", "Giày", "viewer", url);
        assert!(
            vi.body.contains("của Giày với vai trò người xem."),
            "{}",
            vi.body
        );
        let th = invite_text("th", "สมชาย", "ร้านรองเท้า", "owner", url);
        assert!(
            th.body.contains("ของ ร้านรองเท้า ในบทบาทเจ้าของ."),
            "{}",
            th.body
        );
        assert!(th.body.contains("7 วัน"));
    }

    // The SMTP pool starts a task: the mailer is built inside the runtime, as `serve` does.
    #[tokio::test]
    async fn settings_are_checked_at_start() {
        let ok = Mailer::new(
            "smtp://127.0.0.1:2525",
            "Shop <a@shop.test>",
            "https://t.shop.test/",
        )
        .expect("valid");
        assert_eq!(ok.public_url, "https://t.shop.test");
        assert_eq!(
            ok.sign_in_url("abc"),
            "https://t.shop.test/portal/#code=abc"
        );
        assert!(format!("{ok:?}").contains("a@shop.test"));
        for (url, from, public) in [
            ("ftp://x", "a@shop.test", "https://t.test"),
            ("smtp://127.0.0.1", "not an address", "https://t.test"),
            ("smtp://127.0.0.1", "a@shop.test", "t.test"),
            ("smtp://127.0.0.1", "a@shop.test", "https://t.test/?x=1"),
        ] {
            assert!(
                Mailer::new(url, from, public).is_err(),
                "{url} {from} {public}"
            );
        }
    }

    #[test]
    fn the_message_speaks_the_program_language() {
        let en = sign_in_text("en", "Alice", "Shop", "https://t/portal/#code=c");
        assert!(en.subject.ends_with(": Shop"));
        assert!(en.body.contains("https://t/portal/#code=c") && en.body.starts_with("Hello Alice"));
        let vi = sign_in_text("vi", "An", "Cửa hàng", "u");
        assert!(vi.body.starts_with("Xin chào An") && vi.subject.contains("Cửa hàng"));
        let th = sign_in_text("th", "Somchai", "Shop", "u");
        assert!(th.body.starts_with("สวัสดี Somchai"));
        assert_eq!(
            sign_in_text("fr", "A", "S", "u").subject,
            en.subject.replace("Shop", "S")
        );
    }
}
