//! Who the client is: the peer address, or, when the peer is a trusted proxy, the right-most
//! address of `Forwarded` / `X-Forwarded-For` that no trusted proxy added. Headers from an
//! untrusted peer are never read: anyone can write them.

use std::net::{IpAddr, Ipv4Addr};
use std::str::FromStr;

use actix_web::http::header::{HeaderMap, HeaderName};
use ipnet::IpNet;

/// The proxies whose forwarding headers are believed (`NEWSDESK_TRUSTED_PROXIES`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses a comma-separated list of addresses and CIDRs, IPv4 or IPv6.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let net = IpNet::from_str(item)
                .or_else(|_| IpAddr::from_str(item).map(IpNet::from))
                .map_err(|_| {
                    format!(
                        "NEWSDESK_TRUSTED_PROXIES must list addresses or CIDRs \
                         (like 10.0.0.0/8, ::1), not {item:?}"
                    )
                })?;
            nets.push(net.trunc());
        }
        Ok(TrustedProxies(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, addr: IpAddr) -> bool {
        let addr = unmapped(addr);
        self.0.iter().any(|n| n.contains(&addr))
    }

    /// The client of a request that came from `peer` with `headers`.
    pub fn client(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> IpAddr {
        let peer = unmapped(peer.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        if self.0.is_empty() || !self.trusts(peer) {
            return peer;
        }
        // `Forwarded` (RFC 7239) when present, else `X-Forwarded-For`; each hop appends, so
        // the chain is read right to left from the peer.
        let chain = forwarded_for(headers).unwrap_or_else(|| x_forwarded_for(headers));
        let mut client = peer;
        for hop in chain.iter().rev() {
            match hop {
                // A hop that names no address ("unknown", an obfuscated name) ends what
                // can be known: the last trusted proxy stands for the client.
                None => break,
                Some(addr) => {
                    client = *addr;
                    if !self.trusts(*addr) {
                        break;
                    }
                }
            }
        }
        client
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) as the IPv4 address they carry.
fn unmapped(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

fn header_values<'a>(headers: &'a HeaderMap, name: &'static str) -> impl Iterator<Item = &'a str> {
    headers
        .get_all(HeaderName::from_static(name))
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
}

/// The `for=` of each element of every `Forwarded` header, in order; `None` when there is no
/// such header.
fn forwarded_for(headers: &HeaderMap) -> Option<Vec<Option<IpAddr>>> {
    let mut seen = false;
    let hops: Vec<Option<IpAddr>> = header_values(headers, "forwarded")
        .map(|element| {
            seen = true;
            element
                .split(';')
                .filter_map(|pair| pair.split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("for"))
                .and_then(|(_, v)| node_address(v))
        })
        .collect();
    seen.then_some(hops)
}

fn x_forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    header_values(headers, "x-forwarded-for")
        .map(node_address)
        .collect()
}

/// An address from a node as proxies write it: `1.2.3.4`, `1.2.3.4:80`, `"[2001:db8::1]:80"`,
/// `2001:db8::1`. Anything else (`unknown`, `_hidden`) is `None`.
fn node_address(raw: &str) -> Option<IpAddr> {
    let s = raw.trim().trim_matches('"').trim();
    if let Ok(addr) = IpAddr::from_str(s) {
        return Some(unmapped(addr));
    }
    if let Some(rest) = s.strip_prefix('[') {
        let inner = rest.split(']').next()?;
        return IpAddr::from_str(inner).ok().map(unmapped);
    }
    let (host, port) = s.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    IpAddr::from_str(host).ok().map(unmapped)
}

/// The part of an address that one client is held to: the whole IPv4 address, or an IPv6
/// /64 (one subscriber's prefix; a client holding a /64 must not count as 2^64 clients).
pub fn limit_key(addr: IpAddr) -> u128 {
    match unmapped(addr) {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => (u128::from(v6) >> 64) | (1 << 127),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_static(k),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_says() {
        let none = TrustedProxies::default();
        let h = headers(&[("x-forwarded-for", "1.1.1.1"), ("forwarded", "for=2.2.2.2")]);
        assert_eq!(none.client(Some(ip("9.9.9.9")), &h), ip("9.9.9.9"));
        let some = TrustedProxies::parse("10.0.0.0/8").unwrap();
        assert_eq!(some.client(Some(ip("9.9.9.9")), &h), ip("9.9.9.9"));
    }

    #[test]
    fn a_trusted_proxy_names_the_right_most_untrusted_hop() {
        let t = TrustedProxies::parse("10.0.0.0/8, 2001:db8::/32").unwrap();
        // The client wrote a fake first hop; the proxy appended the real one.
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 203.0.113.7, 10.1.1.1")]);
        assert_eq!(t.client(Some(ip("10.0.0.1")), &h), ip("203.0.113.7"));
        let h = headers(&[(
            "forwarded",
            "for=6.6.6.6, for=\"[2001:db9::5]:4711\";proto=https, for=10.2.2.2",
        )]);
        assert_eq!(t.client(Some(ip("2001:db8::1")), &h), ip("2001:db9::5"));
        // Only trusted hops: the left-most is as far as it goes.
        let h = headers(&[("x-forwarded-for", "10.9.9.9")]);
        assert_eq!(t.client(Some(ip("10.0.0.1")), &h), ip("10.9.9.9"));
        // No header: the proxy itself.
        assert_eq!(
            t.client(Some(ip("10.0.0.1")), &HeaderMap::new()),
            ip("10.0.0.1")
        );
        // `unknown` stops at the last trusted hop.
        let h = headers(&[("forwarded", "for=unknown, for=10.3.3.3")]);
        assert_eq!(t.client(Some(ip("10.0.0.1")), &h), ip("10.3.3.3"));
        // Forwarded wins over X-Forwarded-For when both are there.
        let h = headers(&[("forwarded", "for=7.7.7.7"), ("x-forwarded-for", "8.8.8.8")]);
        assert_eq!(t.client(Some(ip("10.0.0.1")), &h), ip("7.7.7.7"));
        // Ports and mapped addresses are read.
        let h = headers(&[("x-forwarded-for", "5.5.5.5:1234")]);
        assert_eq!(t.client(Some(ip("::ffff:10.0.0.1")), &h), ip("5.5.5.5"));
    }

    #[test]
    fn bad_proxy_lists_are_refused_and_single_addresses_taken() {
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("proxy.local").is_err());
        let t = TrustedProxies::parse("127.0.0.1,::1").unwrap();
        assert!(t.trusts(ip("127.0.0.1")) && t.trusts(ip("::1")) && !t.trusts(ip("127.0.0.2")));
    }

    #[test]
    fn an_ipv6_client_is_limited_by_its_64() {
        assert_eq!(
            limit_key(ip("2001:db8:1:2::1")),
            limit_key(ip("2001:db8:1:2:ffff::9"))
        );
        assert_ne!(
            limit_key(ip("2001:db8:1:2::1")),
            limit_key(ip("2001:db8:1:3::1"))
        );
        assert_ne!(limit_key(ip("0.0.0.1")), limit_key(ip("::1")));
    }
}
