//! Running a campaign's workers: the lanes and shared state made first, the workers run
//! (on the calling task, or spread over threads with a runtime each), the summary made last.

use std::sync::atomic::Ordering;
use std::time::Instant;

use super::lane::{self, Lane};
use super::report::peak_memory;
use super::worker::Shared;
use super::{
    Access, Budget, Campaign, CampaignError, DEADLINE_GRACE, Endpoint, Endpoints, Event, Finding,
    Operations, REPORT_FORMAT_VERSION, RootCause, ShrinkShare, Summary,
};

/// The threads to spread a campaign's workers over (see [`Campaign::run_on_threads`]):
/// `TRESPASS_THREADS` when it is a number from 1, else one per core.
pub fn worker_threads() -> usize {
    std::env::var("TRESPASS_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n >= 1)
        .unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        })
}

/// A campaign ready to run: one lane per worker, the state its workers share.
pub(super) struct Ready {
    pub(super) lanes: Vec<Lane>,
    pub(super) shared: Shared,
    started: Instant,
}

impl Campaign {
    /// Makes the lanes (resets, logins) and the shared state of a run on `endpoints`.
    pub(super) async fn prepare(&self, endpoints: Endpoints) -> Result<Ready, CampaignError> {
        if endpoints.is_empty() {
            return Err(CampaignError::NoEndpoint);
        }
        let workers = self.settings.workers.max(1);
        let exclusive = endpoints
            .iter()
            .filter(|(_, a)| *a == Access::Exclusive)
            .count();
        if exclusive > 0 && endpoints.len() < workers {
            return Err(CampaignError::TooFewEndpoints {
                workers,
                endpoints: endpoints.len(),
            });
        }
        // One lane (own sessions) per worker; the lanes of one endpoint share its gate, and
        // the first of them makes the initial reset.
        let all: Vec<(&Endpoint, Access)> = endpoints.iter().collect();
        let gates: Vec<std::sync::Arc<lane::Gate>> =
            all.iter().map(|_| Default::default()).collect();
        let mut lanes = Vec::with_capacity(workers);
        for w in 0..workers {
            let (endpoint, access) = all[w % all.len()];
            let gate = gates[w % all.len()].clone();
            let mut lane = self
                .lane(endpoint, access, gate, w + 1, w < all.len())
                .await?;
            lane.supervisor = endpoints.supervisor(w % all.len()).cloned();
            lanes.push(lane);
        }
        let started = Instant::now();
        let budget = Budget::start(self.settings.cases, self.settings.duration, started);
        self.polite.set_deadline(budget.deadline());
        let mut shared = Shared::new(
            budget,
            ShrinkShare::new(self.settings.duration, self.settings.shrink_share),
            Operations::of_model(&self.model, &self.exclusions),
            self.settings.feedback,
        );
        self.resume_into(&mut shared);
        Ok(Ready {
            lanes,
            shared,
            started,
        })
    }

    /// Runs the campaign as [`Campaign::run`] does, with its workers spread over up to
    /// `threads` threads (worker `w` on thread `w % threads`), so that a machine with more
    /// than one core runs their generation, judging and HTTP in parallel. The set-up runs on
    /// `runtime`, and so do the first thread's workers, on the calling thread; every other
    /// thread has a current-thread runtime of its own, and its lanes a connection pool of
    /// their own (a connection is a task of the runtime that opened it). Cases are numbered
    /// from one counter whatever thread runs them, so a case is the same sequence as on one
    /// thread.
    pub fn run_on_threads(
        &self,
        runtime: &tokio::runtime::Runtime,
        endpoints: impl Into<Endpoints>,
        on_event: &(dyn Fn(Event<'_>) + Send + Sync),
        threads: usize,
    ) -> Result<Summary, CampaignError> {
        let mut ready = runtime.block_on(self.prepare(endpoints.into()))?;
        let wanted = threads.clamp(1, ready.lanes.len().max(1));
        // A thread whose runtime cannot start is not used: its workers run on the others.
        let mut runtimes = Vec::with_capacity(wanted - 1);
        for _ in 1..wanted {
            match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => runtimes.push(rt),
                Err(e) => {
                    tracing::debug!("cannot start a worker thread's runtime: {e}");
                    break;
                }
            }
        }
        let threads = runtimes.len() + 1;
        for (w, lane) in ready.lanes.iter_mut().enumerate() {
            if w % threads != 0 {
                lane.sessions.use_fresh_pool()?;
            }
        }
        let cut = {
            let shared = &ready.shared;
            let groups: Vec<Vec<&Lane>> = (0..threads)
                .map(|t| ready.lanes.iter().skip(t).step_by(threads).collect())
                .collect();
            std::thread::scope(|scope| {
                let others: Vec<_> = runtimes
                    .into_iter()
                    .zip(&groups[1..])
                    .map(|(rt, group)| {
                        scope.spawn(move || rt.block_on(self.run_workers(group, shared, on_event)))
                    })
                    .collect();
                let mut cut = runtime.block_on(self.run_workers(&groups[0], shared, on_event));
                for other in others {
                    cut |= other
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                }
                cut
            })
        };
        Ok(self.finish(ready, cut))
    }

    /// Runs the workers of `lanes` on the calling task until the budget ends; `true` when
    /// the duration ran out with work in flight, which was dropped after a short grace.
    pub(super) async fn run_workers(
        &self,
        lanes: &[&Lane],
        shared: &Shared,
        on_event: &(dyn Fn(Event<'_>) + Send + Sync),
    ) -> bool {
        let runs = lanes.iter().map(|lane| self.worker(lane, shared, on_event));
        let runs = futures_util::future::join_all(runs);
        match shared.budget.deadline() {
            // The duration is a hard budget: what is still running at the deadline (a case on
            // a slow target, a confirmation, a shrink) gets a short grace and is then dropped.
            // Every finding is saved before it is confirmed further or shrunk, so nothing found
            // is lost; the summary counts what finished.
            Some(deadline) => {
                let wall = tokio::time::Instant::from_std(deadline + DEADLINE_GRACE);
                tokio::time::timeout_at(wall, runs).await.is_err()
            }
            None => {
                runs.await;
                false
            }
        }
    }

    /// The summary of a run whose workers are done (`cut`: see [`Campaign::run_workers`]).
    pub(super) fn finish(&self, ready: Ready, cut: bool) -> Summary {
        if cut {
            tracing::warn!(
                "the duration ran out with work in flight; stopped it {} s after the deadline \
                 (findings found so far are saved)",
                DEADLINE_GRACE.as_secs()
            );
        }
        let Ready {
            shared, started, ..
        } = ready;
        self.write_state(&shared);
        let resets_failed = shared.resets_failed.load(Ordering::Relaxed);
        if resets_failed > 0 {
            tracing::warn!(
                "{resets_failed} case(s) were given up because the target's reset failed \
                 (TRESPASS_LOG=debug shows each try)"
            );
        }
        let unshrunk = shared.shrink_share.skipped();
        if unshrunk > 0 {
            tracing::warn!(
                "{unshrunk} finding(s) saved as found, not shrunk: shrinking used its share \
                 ({} % of the duration, --shrink-share); `trespass shrink FILE` shrinks one later",
                self.settings.shrink_share
            );
        }
        let findings: Vec<Finding> = shared
            .findings
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .into_values()
            .collect();
        let (rejected, rejections) = shared.rejections.into_counts();
        let sharing = shared.sharing.counts();
        Summary {
            transport: shared.transport.into_counts(),
            peak_memory: peak_memory(),
            format_version: REPORT_FORMAT_VERSION,
            seed: self.settings.seed,
            shards: self.settings.shard.into_iter().collect(),
            cases: shared.cases_done.into_inner(),
            requests: shared.requests.into_inner(),
            rejected,
            rejections,
            sharing,
            elapsed: started.elapsed(),
            oracles: self.oracles.iter().map(|o| o.name().to_string()).collect(),
            root_causes: RootCause::group(&findings),
            findings,
            interrupted: crate::interrupt::stop_requested(),
            feedback: Some(shared.feedback.summary()),
            coverage: shared
                .coverage
                .into_inner()
                .unwrap_or_else(|e| e.into_inner()),
            operations: shared
                .operations
                .into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .judged(),
        }
    }
}
