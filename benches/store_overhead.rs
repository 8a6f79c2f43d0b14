//! What the store costs per child, with the training taken out: W worker threads, each with
//! its own connection, drain planned trials with a no-op trainer, doing per trial exactly the
//! store calls `build-db`'s worker loop makes (`requeue_stale`, `claim`, `complete`). Reported
//! as time per trial (and trials per second) at 1, 4 and 16 concurrent workers, for SQLite
//! (one WAL file) and, when `ARCHINFER_BENCH_POSTGRES` names a server, PostgreSQL.
//!
//! ```text
//! ARCHINFER_BENCH_POSTGRES=postgres://archinfer:archinfer@localhost/archinfer \
//!     cargo bench --bench store_overhead --features postgres
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use archinfer::store::{ExperimentStore, PlannedTrial, SqliteStore, TaskRecord, TrialResult};
use criterion::{BenchmarkId, Criterion, Throughput};

/// One no-op training's result.
fn result() -> TrialResult {
    TrialResult { val_accuracy: 0.5, test_accuracy: 0.5, seconds: 0.0, num_params: 1, epochs_run: 1 }
}

/// A database with task `bench`, opened `workers` times (a connection per worker).
struct Setup {
    stores: Vec<Arc<dyn ExperimentStore>>,
    next_index: AtomicUsize,
}

impl Setup {
    fn new(open: &dyn Fn() -> Arc<dyn ExperimentStore>, workers: usize) -> Self {
        let stores: Vec<Arc<dyn ExperimentStore>> = (0..workers).map(|_| open()).collect();
        stores[0].add_task(&TaskRecord::new("bench", "bench", 2)).expect("add the bench task");
        let next_index = AtomicUsize::new(stores[0].trials(Some("bench")).map(|t| t.len()).unwrap_or(0));
        Self { stores, next_index }
    }

    /// Plans `n` trials, then times the workers draining them.
    fn drain(&self, n: u64) -> Duration {
        let first = self.next_index.fetch_add(n as usize, Ordering::SeqCst);
        let plan: Vec<PlannedTrial> =
            (first..first + n as usize).map(|i| PlannedTrial { trial_index: i, architecture: "{}".into(), seed: i as u64 }).collect();
        for chunk in plan.chunks(1000) {
            self.stores[0].plan("bench", chunk).expect("plan");
        }
        let barrier = Arc::new(Barrier::new(self.stores.len() + 1));
        let handles: Vec<_> = self
            .stores
            .iter()
            .enumerate()
            .map(|(w, s)| {
                let (s, barrier) = (s.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let name = format!("bench:{w}");
                    barrier.wait();
                    loop {
                        s.requeue_stale(Duration::from_secs(30)).expect("requeue");
                        let Some(t) = s.claim(&name).expect("claim") else { break };
                        assert!(s.complete(t.id, &name, Ok(result())).expect("complete"));
                    }
                })
            })
            .collect();
        barrier.wait();
        let start = Instant::now();
        for h in handles {
            h.join().expect("a worker panicked");
        }
        start.elapsed()
    }
}

fn bench_store(c: &mut Criterion, name: &str, open: &dyn Fn() -> Arc<dyn ExperimentStore>) {
    let mut group = c.benchmark_group(format!("store_overhead/{name}"));
    group.sample_size(10).measurement_time(Duration::from_secs(6)).warm_up_time(Duration::from_secs(1));
    group.throughput(Throughput::Elements(1));
    for workers in [1usize, 4, 16] {
        let setup = Setup::new(open, workers);
        group.bench_with_input(BenchmarkId::new("workers", workers), &workers, |b, _| b.iter_custom(|n| setup.drain(n)));
    }
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("bench.sqlite");
    bench_store(&mut c, "sqlite", &|| Arc::new(SqliteStore::open(&path).expect("open SQLite")));
    #[cfg(feature = "postgres")]
    match std::env::var("ARCHINFER_BENCH_POSTGRES") {
        Ok(url) => {
            let url = format!("{url}{}schema=bench_store_overhead", if url.contains('?') { '&' } else { '?' });
            archinfer::store::PostgresStore::connect(&url).expect("connect").drop_schema().expect("drop the old bench schema");
            bench_store(&mut c, "postgres", &|| Arc::new(archinfer::store::PostgresStore::connect(&url).expect("connect")));
        }
        Err(_) => println!("postgres: skipped (set ARCHINFER_BENCH_POSTGRES to a postgres:// URL)"),
    }
    #[cfg(not(feature = "postgres"))]
    println!("postgres: skipped (build with --features postgres)");
    c.final_summary();
}
