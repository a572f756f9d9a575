//! A slowly changing value computed once for everyone: the first computation is waited for
//! by concurrent callers (one computes, the rest wait for its answer), and once the value is
//! older than its lifetime one caller recomputes it while the others go on with the previous
//! value. Never N identical computations at once (issue 12: each minute, every concurrent
//! related-articles request recounted the tags at once).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Memo<T> {
    ttl: Duration,
    value: Mutex<Option<(Instant, Arc<T>)>>,
    /// Held while the first value is computed.
    first: Mutex<()>,
    /// Set while one caller recomputes an expired value.
    refreshing: AtomicBool,
}

/// Clears a "recomputing" flag however the recomputation ends (a panic included): the
/// memo's `refreshing`, the response cache's `recounting`.
pub(super) struct Refreshing<'a>(pub(super) &'a AtomicBool);

impl Drop for Refreshing<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl<T> Memo<T> {
    pub fn new(ttl: Duration) -> Self {
        Memo {
            ttl,
            value: Mutex::new(None),
            first: Mutex::new(()),
            refreshing: AtomicBool::new(false),
        }
    }

    fn current(&self) -> Option<(Instant, Arc<T>)> {
        self.value.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn store(&self, value: T) -> Arc<T> {
        let value = Arc::new(value);
        *self.value.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((Instant::now(), value.clone()));
        value
    }

    /// The value, computing it when there is none yet or it has expired (see the module).
    /// A failed recomputation keeps the previous value in use; a failed first computation
    /// is the caller's error.
    pub fn get<E>(&self, compute: impl FnOnce() -> Result<T, E>) -> Result<Arc<T>, E> {
        if let Some((at, value)) = self.current() {
            if at.elapsed() < self.ttl {
                return Ok(value);
            }
            if self.refreshing.swap(true, Ordering::AcqRel) {
                // Another caller is recomputing it: the previous value serves meanwhile.
                return Ok(value);
            }
            let _refreshing = Refreshing(&self.refreshing);
            return Ok(match compute() {
                Ok(fresh) => self.store(fresh),
                Err(_) => value,
            });
        }
        let _first = self.first.lock().unwrap_or_else(|p| p.into_inner());
        // Computed while this caller waited its turn.
        if let Some((_, value)) = self.current() {
            return Ok(value);
        }
        Ok(self.store(compute()?))
    }

    /// Forgets the value (a cold start, for measurements).
    pub fn clear(&self) {
        *self.value.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn concurrent_callers_compute_once_and_an_expired_value_serves_while_one_refreshes() {
        let memo = Arc::new(Memo::new(Duration::from_millis(200)));
        let computed = Arc::new(AtomicUsize::new(0));
        let slow = |memo: Arc<Memo<usize>>, computed: Arc<AtomicUsize>| {
            std::thread::spawn(move || {
                memo.get(|| {
                    std::thread::sleep(Duration::from_millis(100));
                    Ok::<_, ()>(computed.fetch_add(1, Ordering::SeqCst) + 1)
                })
                .map(|v| *v)
            })
        };
        let first: Vec<_> = (0..8)
            .map(|_| slow(memo.clone(), computed.clone()))
            .collect();
        for t in first {
            assert_eq!(t.join().unwrap(), Ok(1));
        }
        assert_eq!(computed.load(Ordering::SeqCst), 1, "one first computation");
        std::thread::sleep(Duration::from_millis(250));
        // Expired: one caller recomputes (100 ms); the others get the previous value at once.
        let refresh: Vec<_> = (0..8)
            .map(|_| slow(memo.clone(), computed.clone()))
            .collect();
        let got: Vec<usize> = refresh
            .into_iter()
            .map(|t| t.join().unwrap().unwrap())
            .collect();
        assert_eq!(computed.load(Ordering::SeqCst), 2, "one refresh");
        assert_eq!(got.iter().filter(|v| **v == 1).count(), 7);
        assert_eq!(*memo.get(|| Err::<usize, ()>(())).unwrap(), 2);
    }

    #[test]
    fn a_failed_refresh_keeps_the_previous_value() {
        let memo = Memo::new(Duration::ZERO);
        assert_eq!(*memo.get(|| Ok::<_, ()>(1)).unwrap(), 1);
        assert_eq!(*memo.get(|| Err::<i32, ()>(())).unwrap(), 1);
        let empty: Memo<i32> = Memo::new(Duration::ZERO);
        assert!(empty.get(|| Err::<i32, ()>(())).is_err());
    }
}
