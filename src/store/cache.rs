//! Bearer tokens lately found, so a request is not a database round trip before it starts (on
//! PostgreSQL the token lookup was one, ahead of every alarm's inbox commit).
//!
//! Tokens are only ever added (there is no revocation command), so a token found stays good; it
//! is kept for at most [`KEEP`] all the same, so a row removed from the database by hand stops
//! working within that. A token not found is not kept: one created a moment later, by this
//! process or the `token create` command, works at once. A live feed looks its token up in the
//! database every ping (`Store::token_afresh`); one found gone there is forgotten here at once,
//! so the stream's reconnect is refused too.

use crate::store::TokenRow;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// How long a token found is kept.
pub const KEEP: Duration = Duration::from_secs(30);

/// Most tokens kept; past it the cache starts over.
const MOST: usize = 10_000;

/// Tokens found, by the hash of their secret, with when each was read.
#[derive(Debug, Default)]
pub(crate) struct Tokens {
    kept: Mutex<HashMap<String, (Instant, TokenRow)>>,
}

impl Tokens {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, TokenRow)>> {
        self.kept.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The token with this hash if it was read within [`KEEP`].
    pub(crate) fn get(&self, hash: &str) -> Option<TokenRow> {
        match self.lock().get(hash) {
            Some((at, token)) if at.elapsed() < KEEP => Some(token.clone()),
            _ => None,
        }
    }

    /// Keeps a token just read.
    pub(crate) fn keep(&self, hash: &str, token: &TokenRow) {
        let mut kept = self.lock();
        if kept.len() >= MOST {
            kept.clear();
        }
        kept.insert(hash.to_owned(), (Instant::now(), token.clone()));
    }

    /// Forgets a token found gone from the database.
    pub(crate) fn forget(&self, hash: &str) {
        self.lock().remove(hash);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Role;

    fn token(id: i64) -> TokenRow {
        TokenRow {
            id,
            role: Role::Integration,
            unit: None,
            label: format!("t{id}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_token_is_kept_for_a_while_then_read_again() {
        let c = Tokens::default();
        assert_eq!(c.get("h"), None);
        c.keep("h", &token(1));
        assert_eq!(c.get("h"), Some(token(1)));
        assert_eq!(c.get("other"), None);
        tokio::time::advance(KEEP - Duration::from_millis(1)).await;
        assert_eq!(c.get("h"), Some(token(1)));
        tokio::time::advance(Duration::from_millis(1)).await;
        assert_eq!(c.get("h"), None, "older than KEEP: read again");
    }

    #[test]
    fn a_token_forgotten_is_read_again() {
        let c = Tokens::default();
        c.keep("h", &token(1));
        c.keep("other", &token(2));
        c.forget("h");
        assert_eq!(c.get("h"), None);
        assert_eq!(c.get("other"), Some(token(2)), "only that token");
    }

    #[test]
    fn a_full_cache_starts_over() {
        let c = Tokens::default();
        for i in 0..MOST {
            c.keep(&i.to_string(), &token(i as i64));
        }
        assert_eq!(c.lock().len(), MOST);
        c.keep("new", &token(-1));
        assert_eq!(c.lock().len(), 1);
        assert_eq!(c.get("new"), Some(token(-1)));
    }
}
