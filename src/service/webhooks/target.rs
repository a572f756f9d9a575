//! Where a webhook may be sent. A URL whose host resolves to a private, loopback,
//! link-local or otherwise non-public address is refused (unless the node allows private
//! targets): the check is on the resolved addresses, at creation and again at every send
//! (the HTTP client's resolver drops such addresses), so a name that later points inside
//! the network reaches nothing there.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use ipnet::{Ipv4Net, Ipv6Net};

/// Addresses that are not the public internet (RFC 6890 and its successors).
fn blocked_v4() -> &'static [Ipv4Net] {
    static NETS: std::sync::OnceLock<Vec<Ipv4Net>> = std::sync::OnceLock::new();
    NETS.get_or_init(|| {
        [
            "0.0.0.0/8",
            "10.0.0.0/8",
            "100.64.0.0/10",
            "127.0.0.0/8",
            "169.254.0.0/16",
            "172.16.0.0/12",
            "192.0.0.0/24",
            "192.0.2.0/24",
            "192.88.99.0/24",
            "192.168.0.0/16",
            "198.18.0.0/15",
            "198.51.100.0/24",
            "203.0.113.0/24",
            "224.0.0.0/4",
            "240.0.0.0/4",
        ]
        .iter()
        .filter_map(|n| n.parse().ok())
        .collect()
    })
}

fn blocked_v6() -> &'static [Ipv6Net] {
    static NETS: std::sync::OnceLock<Vec<Ipv6Net>> = std::sync::OnceLock::new();
    NETS.get_or_init(|| {
        [
            "::/128",
            "::1/128",
            "64:ff9b:1::/48",
            "100::/64",
            "2001::/23",
            "2001:db8::/32",
            "fc00::/7",
            "fe80::/10",
            "fec0::/10",
            "ff00::/8",
        ]
        .iter()
        .filter_map(|n| n.parse().ok())
        .collect()
    })
}

/// Whether `ip` is on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !blocked_v4().iter().any(|n| n.contains(&v4)),
        IpAddr::V6(v6) => {
            // IPv4 written as IPv6 (mapped, or NAT64's well-known prefix) is its IPv4.
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let [a, b, _, _, _, _, c, d] = v6.segments();
            if a == 0x64 && b == 0xff9b && v6.segments()[2..6] == [0, 0, 0, 0] {
                let v4 = Ipv4Addr::new((c >> 8) as u8, c as u8, (d >> 8) as u8, d as u8);
                return is_public(IpAddr::V4(v4));
            }
            !blocked_v6().iter().any(|n| n.contains(&v6))
        }
    }
}

/// Checks a webhook URL: http(s), a host, and (unless `allow_private`) only public
/// addresses behind it. The error says what is wrong, for a 422.
pub async fn check(raw: &str, allow_private: bool) -> Result<url::Url, String> {
    let url = url::Url::parse(raw).map_err(|e| format!("is not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("must be an http or https URL".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry credentials; the signature authenticates deliveries".into());
    }
    let Some(host) = url.host_str() else {
        return Err("must name a host".into());
    };
    if raw.len() > 2000 {
        return Err("must be at most 2000 characters".into());
    }
    if allow_private {
        return Ok(url);
    }
    let port = url.port_or_known_default().unwrap_or(443);
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let addrs: Vec<SocketAddr> = match tokio::time::timeout(
        std::time::Duration::from_secs(5),
        tokio::net::lookup_host((host.as_str(), port)),
    )
    .await
    {
        Ok(Ok(addrs)) => addrs.collect(),
        Ok(Err(_)) | Err(_) => return Err(format!("host {host:?} does not resolve")),
    };
    if addrs.is_empty() {
        return Err(format!("host {host:?} does not resolve"));
    }
    if let Some(a) = addrs.iter().find(|a| !is_public(a.ip())) {
        return Err(format!(
            "resolves to {}, a private, loopback or link-local address; webhooks go to public addresses only",
            a.ip()
        ));
    }
    Ok(url)
}

/// The HTTP client's resolver: only public addresses (unless private ones are allowed).
pub struct PublicOnly {
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let found = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let kept: Vec<SocketAddr> = found
                .filter(|a| allow_private || is_public(a.ip()))
                .collect();
            if kept.is_empty() {
                return Err(format!("{} has no public address", name.as_str()).into());
            }
            Ok(Box::new(kept.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Whether a URL written with an address (no name to resolve) may be sent to.
pub fn literal_allowed(url: &url::Url, allow_private: bool) -> bool {
    if allow_private {
        return true;
    }
    match url.host() {
        Some(url::Host::Ipv4(v4)) => is_public(IpAddr::V4(v4)),
        Some(url::Host::Ipv6(v6)) => is_public(IpAddr::V6(v6)),
        Some(url::Host::Domain(_)) => true,
        None => false,
    }
}

/// The client deliveries go out with: 10 s per request, no redirects (a redirect could
/// lead inside the network), public addresses only.
pub fn client(allow_private: bool) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .connect_timeout(std::time::Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("newsdesk-webhooks/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(PublicOnly { allow_private }))
        .build()
        .map_err(|e| format!("cannot build the webhook client: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip} is not public");
        }
        for ip in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(is_public(ip.parse().unwrap()), "{ip} is public");
        }
    }

    #[tokio::test]
    async fn loopback_targets_are_refused_unless_allowed() {
        assert!(check("http://127.0.0.1:9/hook", false).await.is_err());
        assert!(check("http://localhost:9/hook", false).await.is_err());
        assert!(check("http://[::1]:9/hook", false).await.is_err());
        assert!(check("http://127.0.0.1:9/hook", true).await.is_ok());
        assert!(check("ftp://example.com/", true).await.is_err());
        assert!(check("http://user:pw@example.com/", true).await.is_err());
    }
}
