//! Who is asking, as one value the services take: the viewer (nobody, or an account), the
//! client's address, the request's id, and the meter the rate limits report into (the HTTP
//! layer turns it into `RateLimit-Policy` / `RateLimit` headers).

use std::net::{IpAddr, Ipv4Addr};
use std::ops::Deref;
use std::sync::{Arc, Mutex};

use super::Access;

/// A rate limit's state after this request, as the IETF RateLimit fields tell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    /// The policy's name (`"login"`, `"comments"`...).
    pub policy: &'static str,
    pub quota: u32,
    pub window_secs: u64,
    pub remaining: u32,
    /// Seconds until the quota is whole again (or, refused, until the next request may pass).
    pub reset_secs: u64,
}

/// The tightest limit a request met. A GraphQL request may meet several (a login and a
/// comment): the one with the least left is what the client must watch.
#[derive(Debug, Default)]
pub struct Meter(Mutex<Option<Report>>);

impl Meter {
    pub fn record(&self, report: Report) {
        let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let tighter = match *slot {
            None => true,
            Some(current) => {
                (report.remaining, std::cmp::Reverse(report.reset_secs))
                    <= (current.remaining, std::cmp::Reverse(current.reset_secs))
            }
        };
        if tighter {
            *slot = Some(report);
        }
    }

    pub fn report(&self) -> Option<Report> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers), when a
    /// limit was met.
    pub fn headers(&self) -> Option<(String, String)> {
        self.report().map(|r| {
            (
                format!("\"{}\";q={};w={}", r.policy, r.quota, r.window_secs),
                format!("\"{}\";r={};t={}", r.policy, r.remaining, r.reset_secs),
            )
        })
    }
}

/// Where a request comes from: known before its token is checked.
#[derive(Debug)]
pub struct Client {
    /// The peer, or the client a trusted proxy names.
    pub addr: IpAddr,
    /// The request's id in the logs.
    pub request_id: String,
    pub meter: Meter,
    /// Work this machine's operator started (the command line, the demo content): no rate
    /// limit or spam check applies.
    pub local: bool,
}

impl Client {
    pub fn new(addr: IpAddr, request_id: String) -> Arc<Self> {
        Arc::new(Client {
            addr,
            request_id,
            meter: Meter::default(),
            local: false,
        })
    }

    /// The command line and tests calling services directly: this machine's operator.
    pub fn local() -> Arc<Self> {
        Arc::new(Client {
            addr: IpAddr::V4(Ipv4Addr::LOCALHOST),
            request_id: String::new(),
            meter: Meter::default(),
            local: true,
        })
    }
}

/// The request context every use-case is given. It reads as the viewer (`Deref`), so rules
/// written for a viewer take it as it is.
#[derive(Debug, Clone)]
pub struct Caller {
    pub viewer: Access,
    pub client: Arc<Client>,
}

impl Caller {
    pub fn new(viewer: Access, client: Arc<Client>) -> Self {
        Caller { viewer, client }
    }

    /// Work started on this machine (the command line, tests), not by a request.
    pub fn local(viewer: Access) -> Self {
        Caller::new(viewer, Client::local())
    }

    pub fn meter(&self) -> &Meter {
        &self.client.meter
    }
}

impl Deref for Caller {
    type Target = Access;

    fn deref(&self) -> &Access {
        &self.viewer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(policy: &'static str, remaining: u32, reset_secs: u64) -> Report {
        Report {
            policy,
            quota: 5,
            window_secs: 60,
            remaining,
            reset_secs,
        }
    }

    #[test]
    fn the_meter_keeps_the_tightest_limit_and_renders_the_ietf_fields() {
        let m = Meter::default();
        assert_eq!(m.headers(), None);
        m.record(report("writes", 4, 10));
        m.record(report("comments", 1, 30));
        m.record(report("reads", 3, 5));
        assert_eq!(
            m.headers(),
            Some((
                "\"comments\";q=5;w=60".to_owned(),
                "\"comments\";r=1;t=30".to_owned()
            ))
        );
    }
}
