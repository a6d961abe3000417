//! The users behind bearer tokens, kept for a moment so that a request does not read its user
//! again from the database. An entry is forgotten when the user changes: at once on the
//! instance that made the change, and on every other instance when the change's event reaches
//! it through the event log (milliseconds). A maximum age (2 s by default) bounds how long an entry can outlive a
//! change whose event is late, say while the database is away.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::api::User;
use crate::store::{Store, StoreResult};

/// The longest a user is served from memory without reading it again, unless configured.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(2);
/// Past this many entries, the stale ones are dropped before another is added.
const SWEEP_ABOVE: usize = 4096;

pub struct SignedInUsers {
    max_age: Duration,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    users: HashMap<i64, (User, Instant)>,
    /// Counts the forgets: a read that began before one must not store what it read.
    generation: u64,
}

impl SignedInUsers {
    pub fn new(max_age: Duration) -> SignedInUsers {
        SignedInUsers {
            max_age,
            inner: Mutex::default(),
        }
    }

    /// The user with this id, from memory when read within the maximum age, else from `store`.
    /// None when there is no such user.
    pub async fn get(&self, store: &Store, id: i64) -> StoreResult<Option<User>> {
        let generation = {
            let inner = self.lock();
            if let Some((user, read_at)) = inner.users.get(&id) {
                if read_at.elapsed() < self.max_age {
                    return Ok(Some(user.clone()));
                }
            }
            inner.generation
        };
        let read_at = Instant::now();
        let user = store.get_user(id).await?;
        let mut inner = self.lock();
        if inner.generation == generation {
            match &user {
                Some(user) => {
                    if inner.users.len() >= SWEEP_ABOVE {
                        inner
                            .users
                            .retain(|_, (_, read_at)| read_at.elapsed() < self.max_age);
                    }
                    inner.users.insert(id, (user.clone(), read_at));
                }
                None => {
                    inner.users.remove(&id);
                }
            }
        }
        Ok(user)
    }

    /// Drops what is kept of this user: it has changed, or may have.
    pub fn forget(&self, id: i64) {
        let mut inner = self.lock();
        inner.users.remove(&id);
        inner.generation = inner.generation.wrapping_add(1);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain data behind; it is still usable.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
