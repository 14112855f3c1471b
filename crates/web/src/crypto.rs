//! Password hashing with Argon2id, off the async runtime, on a few threads of its own.
//!
//! Each digest takes 19 MiB and a core's worth of time for a moment. A burst of sign-ins (a
//! company's proxy at 9:00 brings hundreds at once) used to run one digest per request on the
//! runtime's blocking threads: gigabytes of memory, kept by the allocator's per-thread arenas,
//! and every core busy while database connections timed out. Here at most one digest per core
//! runs at a time, always on the same threads, each reusing its own Argon2 working memory; the
//! others wait their turn for a bounded time, then get « come back in a few seconds » (503)
//! rather than a failure.
//!
//! Reusing the working memory matters as much as the bound: glibc's allocator raises its mmap
//! threshold after the first 19 MiB block is freed, so the next ones come from the thread's arena
//! and stay resident after a burst (275 MB ten seconds after five bursts of 200 sign-ins).
//! Allocated once per thread, they cost a fixed 19 MiB per core.

use std::cell::RefCell;
use std::sync::{LazyLock, Mutex, mpsc};
use std::time::Duration;

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use domain::password::Password;
use tokio::sync::{Semaphore, oneshot};

use crate::error::AppError;

/// How long a request waits for a hashing thread before it is told to come back.
const QUEUE_WAIT: Duration = Duration::from_secs(10);

/// A digest of a password nobody knows, verified when the account does not exist so that a
/// sign-in with an unknown address takes as long as one with a wrong password.
static DUMMY_HASH: LazyLock<Option<String>> = LazyLock::new(|| digest_new(b"espace-formation: aucun compte").ok());

thread_local! {
    /// This thread's Argon2 working memory, grown to the default parameters' size once.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Runs Argon2 with `argon`'s parameters into `out`, in this thread's reused working memory when
/// the parameters fit the default size (a digest with larger parameters, from elsewhere, gets
/// memory of its own for this call only).
fn fill(argon: &Argon2<'_>, password: &[u8], salt: &[u8], out: &mut [u8]) -> argon2::Result<()> {
    let blocks = argon.params().block_count();
    if blocks > Params::default().block_count() {
        return argon.hash_password_into(password, salt, out);
    }
    MEMORY.with_borrow_mut(|memory| {
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        argon.hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
    })
}

/// A new PHC digest of `password` (Argon2id, default parameters, random 16-byte salt).
fn digest_new(password: &[u8]) -> Result<String, String> {
    let argon = Argon2::default();
    let salt = argon2::password_hash::try_generate_salt().map_err(|e| e.to_string())?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    fill(&argon, password, &salt, &mut out).map_err(|e| e.to_string())?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(argon.params()).map_err(|e| e.to_string())?,
        salt: Some(Salt::new(&salt).map_err(|e| e.to_string())?),
        hash: Some(Output::new(&out).map_err(|e| e.to_string())?),
    };
    Ok(phc.to_string())
}

/// Whether `password` gives the PHC digest `stored` (with the algorithm, version and parameters
/// it names); a digest that does not parse matches nothing.
fn digest_matches(password: &[u8], stored: &str) -> bool {
    let Ok(phc) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&phc.salt, &phc.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(phc.algorithm.as_str()) else {
        return false;
    };
    let Ok(version) = phc.version.map_or(Ok(Version::default()), Version::try_from) else {
        return false;
    };
    let Ok(params) = Params::try_from(&phc) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    if fill(&Argon2::new(algorithm, version, params), password, salt, &mut out).is_err() {
        return false;
    }
    // Output's equality is constant-time.
    Output::new(&out).is_ok_and(|computed| &computed == expected)
}

/// The process's hashing threads, one per core.
static HASHERS: LazyLock<Hashers> = LazyLock::new(|| {
    let threads = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    Hashers::new(threads, QUEUE_WAIT)
});

type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of threads running CPU- and memory-heavy jobs, with admission: at most one job
/// per thread is admitted at a time; a caller waits up to `wait` for its turn.
#[derive(Debug)]
struct Hashers {
    jobs: Mutex<mpsc::Sender<Job>>,
    turns: Semaphore,
    wait: Duration,
}

impl Hashers {
    fn new(threads: usize, wait: Duration) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = std::sync::Arc::new(Mutex::new(queue));
        for n in 0..threads {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new().name(format!("argon2-{n}")).spawn(move || {
                loop {
                    // The lock is held only to take the next job, not while running it.
                    let next = match queue.lock() {
                        Ok(receiver) => receiver.recv(),
                        Err(_) => return,
                    };
                    match next {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                }
            });
            if let Err(err) = spawned {
                tracing::error!(error = %err, "could not start a password hashing thread");
            }
        }
        Self { jobs: Mutex::new(jobs), turns: Semaphore::new(threads), wait }
    }

    /// Runs `work` on a hashing thread once it is this caller's turn.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
        let Ok(Ok(_turn)) = tokio::time::timeout(self.wait, self.turns.acquire()).await else {
            tracing::warn!("password hashing saturated: request asked to come back");
            return Err(AppError::Unavailable);
        };
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(work());
        });
        self.jobs
            .lock()
            .map_err(|_| AppError::internal("hashing queue poisoned"))?
            .send(job)
            .map_err(|_| AppError::internal("no password hashing thread"))?;
        result.await.map_err(|_| AppError::internal("password hashing job lost"))
    }
}

/// Hashes a password (Argon2id, default parameters: 19 MiB, 2 passes).
///
/// # Errors
/// [`AppError::Unavailable`] when every hashing thread stayed busy too long;
/// [`AppError::Internal`] when hashing fails.
pub async fn hash(password: Password) -> Result<String, AppError> {
    HASHERS
        .run(move || digest_new(password.expose().as_bytes()).map_err(|e| AppError::internal(format!("argon2: {e}"))))
        .await?
}

/// Whether `password` matches `digest`. With no digest (unknown account, or no password set),
/// spends the same time and answers `false`.
///
/// # Errors
/// [`AppError::Unavailable`] when every hashing thread stayed busy too long.
pub async fn verify(password: Password, digest: Option<String>) -> Result<bool, AppError> {
    HASHERS
        .run(move || {
            let known = digest.is_some();
            let Some(stored) = digest.or_else(|| DUMMY_HASH.clone()) else {
                return false;
            };
            let matches = digest_matches(password.expose().as_bytes(), &stored);
            known && matches
        })
        .await
}

/// Computes the dummy digest and starts the hashing threads now, so the first sign-in is not
/// slower.
pub fn warm_up() {
    LazyLock::force(&DUMMY_HASH);
    LazyLock::force(&HASHERS);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_beyond_the_threads_wait_their_turn_then_are_told_to_come_back() {
        let pool = std::sync::Arc::new(Hashers::new(1, Duration::from_millis(200)));
        let slow = {
            let pool = pool.clone();
            tokio::spawn(async move { pool.run(|| std::thread::sleep(Duration::from_millis(600))).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        // A short job queued behind the slow one waits 200 ms, then is refused with a 503.
        let refused = pool.run(|| 1).await;
        assert!(matches!(refused, Err(AppError::Unavailable)), "{refused:?}");
        assert!(matches!(slow.await, Ok(Ok(()))));
        // Once the thread is free, jobs run again.
        assert_eq!(pool.run(|| 2).await.ok(), Some(2));
    }

    #[tokio::test]
    async fn at_most_one_job_per_thread_runs_at_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let pool = std::sync::Arc::new(Hashers::new(2, Duration::from_secs(10)));
        let running = std::sync::Arc::new(AtomicUsize::new(0));
        let most = std::sync::Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..12 {
            let (pool, running, most) = (pool.clone(), running.clone(), most.clone());
            tasks.push(tokio::spawn(async move {
                pool.run(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(20));
                    running.fetch_sub(1, Ordering::SeqCst);
                })
                .await
            }));
        }
        for task in tasks {
            assert!(matches!(task.await, Ok(Ok(()))));
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_password_verifies_against_its_own_digest_only() {
        let digest = hash(Password::new("cheval batterie agrafe")).await.ok();
        assert!(digest.is_some());
        assert_eq!(verify(Password::new("cheval batterie agrafe"), digest.clone()).await.ok(), Some(true));
        assert_eq!(verify(Password::new("autre chose"), digest).await.ok(), Some(false));
        assert_eq!(verify(Password::new("cheval batterie agrafe"), None).await.ok(), Some(false));
    }

    #[test]
    fn digests_agree_with_the_argon2_crates_own_hasher_and_verifier() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        // Ours, checked by the crate's verifier.
        let ours = digest_new(b"cheval batterie agrafe").unwrap_or_default();
        let parsed = PasswordHash::new(&ours);
        assert!(parsed.is_ok(), "{ours}");
        if let Ok(parsed) = parsed {
            assert!(Argon2::default().verify_password(b"cheval batterie agrafe", &parsed).is_ok());
            assert!(Argon2::default().verify_password(b"autre", &parsed).is_err());
        }
        // The crate's, with other parameters (smaller and larger than ours), checked by ours.
        for (m_cost, t_cost) in [(8 * 1024, 3), (24 * 1024, 1)] {
            let params = Params::new(m_cost, t_cost, 1, None).unwrap_or_default();
            let theirs = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
                .hash_password(b"cheval batterie agrafe")
                .map(|h| h.to_string())
                .unwrap_or_default();
            assert!(digest_matches(b"cheval batterie agrafe", &theirs), "{theirs}");
            assert!(!digest_matches(b"cheval batterie agrafE", &theirs), "{theirs}");
        }
        assert!(!digest_matches(b"x", "pas un condensat"));
        assert!(!digest_matches(b"x", "$argon2id$v=19$m=19456,t=2,p=1"));
    }
}
