//! Abuse resistance (API.md): rate limits per client and per account (GCRA, `governor`),
//! failed-login throttling with a growing delay, views and shares counted once per client,
//! and the comment spam check. Every rule lives here; the use-cases ask before they act.
//!
//! Memory is bounded: limiter keys are hashed addresses and accounts, and keys whose state is
//! back to fresh are dropped every minute ([`Abuse::evict`]); the other memories are moka
//! caches with a capacity. Each node limits on its own.

pub mod spam;

use std::hash::{BuildHasher, Hash};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};

use super::caller::{Caller, Meter, Report};
use crate::config::{AbuseSettings, Rate};
use crate::error::{AppError, AppResult};

/// The longest a client or an account is kept waiting after failed logins.
const MAX_LOGIN_DELAY: Duration = Duration::from_secs(60 * 60);
/// Entries of each memory (counted views, login lockouts, seen comment bodies): enough for
/// a busy hour of one node, small enough to stay a few MB under a flood of addresses.
const MEMORY_ENTRIES: u64 = 100_000;

type Keyed = RateLimiter<u64, DashMapStateStore<u64>, DefaultClock, StateInformationMiddleware>;

/// One keyed GCRA limit: `rate.limit` at once, refilled evenly over `rate.window`.
struct Bucket {
    policy: &'static str,
    rate: Rate,
    /// The time one unit takes to come back.
    period: Duration,
    limiter: Keyed,
}

impl Bucket {
    fn new(policy: &'static str, rate: Rate) -> Self {
        let limit = rate.limit.max(1);
        let period = (rate.window / limit).max(Duration::from_millis(1));
        let quota = Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::new(limit).unwrap_or(NonZeroU32::MIN));
        Bucket {
            policy,
            rate,
            period,
            limiter: RateLimiter::dashmap(quota).with_middleware::<StateInformationMiddleware>(),
        }
    }

    fn report(&self, remaining: u32, reset: Duration) -> Report {
        Report {
            policy: self.policy,
            quota: self.rate.limit,
            window_secs: self.rate.window.as_secs(),
            remaining,
            reset_secs: reset.as_secs_f64().ceil() as u64,
        }
    }

    /// Reports `left` units to `meter`, with the time until the quota is whole again.
    fn record_left(&self, left: u32, meter: &Meter) {
        let refill = self.period * self.rate.limit.saturating_sub(left);
        meter.record(self.report(left, refill));
    }

    /// Takes one unit for `key`: what is left, or how long until one is back.
    fn take(&self, key: u64) -> Result<u32, Duration> {
        match self.limiter.check_key(&key) {
            Ok(state) => Ok(state.remaining_burst_capacity()),
            Err(not_until) => Err(not_until.wait_time_from(self.limiter.clock().now())),
        }
    }

    /// Takes one unit, reporting to `meter`; refused with 429 when none is left.
    fn admit(&self, key: u64, meter: &Meter, what: &str) -> AppResult<()> {
        match self.take(key) {
            Ok(left) => {
                self.record_left(left, meter);
                Ok(())
            }
            Err(wait) => {
                meter.record(self.report(0, wait));
                Err(refused(what, wait))
            }
        }
    }
}

fn refused(what: &str, wait: Duration) -> AppError {
    let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
    AppError::RateLimited {
        detail: format!("too many {what}; try again in {secs} s"),
        retry_after: secs,
    }
}

/// A key's lockout after its failures ran out.
#[derive(Debug, Clone, Copy)]
struct Lockout {
    until: Instant,
    /// Lockouts in a row: each doubles the delay.
    strikes: u32,
}

/// Failures (not attempts) counted per key; past the limit the key is locked out, longer at
/// each lockout. A lockout refuses before any work, right password or not.
struct Throttle {
    bucket: Bucket,
    lockouts: moka::sync::Cache<u64, Lockout>,
}

impl Throttle {
    fn new(policy: &'static str, rate: Rate) -> Self {
        Throttle {
            bucket: Bucket::new(policy, rate),
            lockouts: moka::sync::Cache::builder()
                .max_capacity(MEMORY_ENTRIES)
                // Strikes are forgotten after a quiet stretch as long as the longest delay.
                .time_to_idle(MAX_LOGIN_DELAY * 2)
                .build(),
        }
    }

    fn check(&self, key: u64, meter: &Meter, what: &str) -> AppResult<()> {
        if let Some(lock) = self.lockouts.get(&key) {
            let now = Instant::now();
            if lock.until > now {
                let wait = lock.until - now;
                meter.record(self.bucket.report(0, wait));
                return Err(refused(what, wait));
            }
        }
        Ok(())
    }

    fn failed(&self, key: u64, meter: &Meter) {
        let wait = match self.bucket.take(key) {
            Ok(left) if left > 0 => {
                self.bucket.record_left(left, meter);
                return;
            }
            // The last failure allowed: locked until a unit is back.
            Ok(_) => self.bucket.period,
            Err(wait) => wait,
        };
        let strikes = self.lockouts.get(&key).map_or(0, |l| l.strikes) + 1;
        let growth = 2u32.saturating_pow(strikes.saturating_sub(1).min(16));
        let delay = wait.saturating_mul(growth).min(MAX_LOGIN_DELAY);
        self.lockouts.insert(
            key,
            Lockout {
                until: Instant::now() + delay,
                strikes,
            },
        );
        meter.record(self.bucket.report(0, delay));
    }

    fn succeeded(&self, key: u64) {
        self.lockouts.invalidate(&key);
    }
}

/// Views, shares and the others a client may count once in a while.
#[derive(Debug, Clone, Copy, Hash)]
pub enum Counted {
    View,
    Share(crate::domain::ShareNetwork),
}

/// Every rule of API.md's "Abuse resistance", for one node.
pub struct Abuse {
    settings: AbuseSettings,
    reads: Option<Bucket>,
    writes: Bucket,
    comments: Bucket,
    comments_per_article: Bucket,
    login_accounts: Throttle,
    login_clients: Throttle,
    /// One login at a time per client and per account: concurrent guesses would all be
    /// checked before any of them failed.
    login_turns: moka::sync::Cache<u64, Arc<tokio::sync::Mutex<()>>>,
    counted: moka::sync::Cache<u64, ()>,
    pub spam: spam::Memory,
    /// Keys are hashed with a key of this process: nothing an address could be read back from.
    hasher: std::collections::hash_map::RandomState,
}

/// A login's place in line: while held, no other login of its client or account runs.
pub struct LoginTurn<'a> {
    abuse: &'a Abuse,
    /// Whether the throttle holds for this login (see [`Abuse::applies_to`]).
    applies: bool,
    account: u64,
    client: u64,
    _turns: Option<(
        tokio::sync::OwnedMutexGuard<()>,
        tokio::sync::OwnedMutexGuard<()>,
    )>,
}

impl LoginTurn<'_> {
    /// Refused (429) while the client or the account is locked out: before any hash.
    pub fn check(&self, meter: &Meter) -> AppResult<()> {
        if !self.applies {
            return Ok(());
        }
        self.abuse
            .login_clients
            .check(self.client, meter, "failed logins from this client")?;
        self.abuse
            .login_accounts
            .check(self.account, meter, "failed logins for this account")
    }

    pub fn failed(&self, meter: &Meter) {
        if self.applies {
            self.abuse.login_clients.failed(self.client, meter);
            self.abuse.login_accounts.failed(self.account, meter);
        }
    }

    pub fn succeeded(&self) {
        self.abuse.login_accounts.succeeded(self.account);
    }
}

impl Abuse {
    pub fn new(settings: &AbuseSettings) -> Self {
        let memory = |ttl: Duration| {
            moka::sync::Cache::builder()
                .max_capacity(MEMORY_ENTRIES)
                .time_to_live(ttl)
                .build()
        };
        Abuse {
            reads: settings.reads.map(|r| Bucket::new("reads", r)),
            writes: Bucket::new("writes", settings.writes),
            comments: Bucket::new("comments", settings.comments),
            comments_per_article: Bucket::new(
                "comments-per-article",
                settings.comments_per_article,
            ),
            login_accounts: Throttle::new("login", settings.login_account),
            login_clients: Throttle::new("login-client", settings.login_client),
            login_turns: moka::sync::Cache::builder()
                .max_capacity(MEMORY_ENTRIES)
                .time_to_idle(Duration::from_secs(60))
                .build(),
            counted: memory(settings.count_once),
            spam: spam::Memory::new(MEMORY_ENTRIES),
            hasher: Default::default(),
            settings: settings.clone(),
        }
    }

    /// Whether the rules hold for this caller: limits are on and it is not the operator's
    /// own work (see [`super::caller::Client::local`]).
    pub fn applies_to(&self, caller: &Caller) -> bool {
        self.applies(&caller.client)
    }

    fn applies(&self, client: &super::caller::Client) -> bool {
        self.settings.enabled && !client.local
    }

    fn key(&self, what: impl Hash) -> u64 {
        self.hasher.hash_one(what)
    }

    fn client_key(&self, addr: IpAddr) -> u64 {
        self.key(("client", crate::client::limit_key(addr)))
    }

    /// Refused while the client is locked out for failed logins (tokens presented wrongly
    /// count as failed logins too).
    pub fn credential_check(&self, client: &super::caller::Client) -> AppResult<()> {
        if !self.applies(client) {
            return Ok(());
        }
        self.login_clients.check(
            self.client_key(client.addr),
            &client.meter,
            "failed logins from this client",
        )
    }

    /// A refresh or integration token presented wrongly.
    pub fn credential_failed(&self, client: &super::caller::Client) {
        if self.applies(client) {
            self.login_clients
                .failed(self.client_key(client.addr), &client.meter);
        }
    }

    /// Anonymous reads (only when `NEWSDESK_READ_RATE_LIMIT` sets a rate).
    pub fn read(&self, client: &super::caller::Client) -> AppResult<()> {
        match &self.reads {
            Some(bucket) if self.settings.enabled => {
                bucket.admit(self.client_key(client.addr), &client.meter, "requests")
            }
            _ => Ok(()),
        }
    }

    /// A write by a signed-in account.
    pub fn write(&self, caller: &Caller) -> AppResult<()> {
        let Some(p) = caller.viewer.principal() else {
            return Ok(());
        };
        if !self.applies_to(caller) {
            return Ok(());
        }
        self.writes
            .admit(self.key(("account", p.user_id)), caller.meter(), "writes")
    }

    /// An anonymous comment on the article `slug`: per client, and per client on that
    /// article. Signed-in accounts are held to the write limit instead.
    pub fn comment(&self, caller: &Caller, slug: &str) -> AppResult<()> {
        if caller.viewer.is_signed_in() {
            return self.write(caller);
        }
        if !self.applies_to(caller) {
            return Ok(());
        }
        let client = self.client_key(caller.client.addr);
        self.comments
            .admit(client, caller.meter(), "comments from this client")?;
        self.comments_per_article.admit(
            self.key(("comment", client, slug)),
            caller.meter(),
            "comments on this article from this client",
        )
    }

    /// Waits for this login's turn (one at a time per client and per account).
    pub async fn login_turn(&self, caller: &Caller, email: &str) -> LoginTurn<'_> {
        let account = self.key(("login", email.trim().to_lowercase()));
        let client = self.client_key(caller.client.addr);
        let turns = if self.applies_to(caller) {
            let turn = |k: u64| {
                self.login_turns
                    .get_with(k, || Arc::new(tokio::sync::Mutex::new(())))
            };
            // Always client first, then account: no two logins wait for each other.
            let by_client = turn(client).lock_owned().await;
            let by_account = turn(account).lock_owned().await;
            Some((by_client, by_account))
        } else {
            None
        };
        LoginTurn {
            abuse: self,
            applies: turns.is_some(),
            account,
            client,
            _turns: turns,
        }
    }

    /// Whether this client's view or share of `article_id` counts: once per client per
    /// article per `count_once` (always, with limits off).
    pub fn first_count(&self, caller: &Caller, article_id: i64, what: Counted) -> bool {
        if !self.applies_to(caller) {
            return true;
        }
        let key = self.key((
            crate::client::limit_key(caller.client.addr),
            article_id,
            what,
        ));
        self.counted.entry(key).or_insert(()).is_fresh()
    }

    /// Drops limiter keys back at their fresh state (run every minute).
    pub fn evict(&self) {
        let buckets = [
            Some(&self.writes),
            Some(&self.comments),
            Some(&self.comments_per_article),
            Some(&self.login_accounts.bucket),
            Some(&self.login_clients.bucket),
            self.reads.as_ref(),
        ];
        for b in buckets.into_iter().flatten() {
            b.limiter.retain_recent();
            b.limiter.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(addr: &str) -> Caller {
        Caller::new(
            super::super::Access::Anonymous,
            super::super::caller::Client::new(addr.parse().unwrap(), String::new()),
        )
    }

    #[test]
    fn a_bucket_refuses_past_its_limit_and_says_when_to_come_back() {
        let b = Bucket::new("comments", Rate::new(3, 60));
        let m = Meter::default();
        for left in [2, 1, 0] {
            b.admit(7, &m, "comments").unwrap();
            assert_eq!(m.report().unwrap().remaining, left);
        }
        let e = b.admit(7, &m, "comments").unwrap_err();
        let AppError::RateLimited { retry_after, .. } = e else {
            panic!("{e:?}")
        };
        assert!((1..=20).contains(&retry_after), "{retry_after}");
        // Another key has its own quota.
        b.admit(8, &m, "comments").unwrap();
    }

    #[test]
    fn failures_lock_out_with_a_growing_delay() {
        let t = Throttle::new("login", Rate::new(2, 60));
        let m = Meter::default();
        t.check(1, &m, "x").unwrap();
        t.failed(1, &m);
        t.check(1, &m, "x").unwrap();
        t.failed(1, &m);
        assert!(t.check(1, &m, "x").is_err());
        let first = t.lockouts.get(&1).unwrap();
        assert_eq!(first.strikes, 1);
        // Once the lockout is over, the next failure locks out for twice as long.
        t.lockouts.insert(
            1,
            Lockout {
                until: Instant::now(),
                strikes: 1,
            },
        );
        t.failed(1, &m);
        let second = t.lockouts.get(&1).unwrap();
        assert_eq!(second.strikes, 2);
        assert!(second.until > first.until);
        // Another key is untouched.
        t.check(2, &m, "x").unwrap();
    }

    #[test]
    fn a_view_counts_once_per_client_and_article() {
        let a = Abuse::new(&AbuseSettings::default());
        let (one, two) = (caller("203.0.113.1"), caller("203.0.113.2"));
        assert!(a.first_count(&one, 1, Counted::View));
        assert!(!a.first_count(&one, 1, Counted::View));
        assert!(a.first_count(&one, 2, Counted::View));
        assert!(a.first_count(&two, 1, Counted::View));
        let off = Abuse::new(&AbuseSettings {
            enabled: false,
            ..Default::default()
        });
        assert!(off.first_count(&one, 1, Counted::View));
        assert!(off.first_count(&one, 1, Counted::View));
    }
}
