//! FIFO spawns on top of LIFO deques (`spawn_fifo`, `Scope::spawn_fifo`).
//!
//! A worker's own deque is LIFO: the newest entry runs first, which keeps a
//! recursion depth first and its data in cache. A FIFO spawn keeps that
//! deque and changes what an entry *means*: the job goes to the back of a
//! [`JobFifo`] (a FIFO queue owned by a scope, or by the spawning worker for
//! spawns outside any FIFO scope), and the deque receives a **ticket**, a
//! job reference to the queue itself. Running a ticket — whoever runs it,
//! the spawning worker popping its newest entry or a thief taking its
//! oldest — runs the job at the *front* of that queue. So the jobs a thread
//! spawned into one queue start in the order they were spawned, and a
//! thief still takes what is oldest. Tickets are two words like any entry:
//! the fast path of `join` and the deque protocol are unchanged.
//!
//! Every ticket is pushed after its job, and each ticket takes exactly one
//! job, so a ticket never finds its queue empty (see [`JobFifo::push`]).
//! Design notes: `docs/pool.md`, "FIFO spawns".

use crate::deque::Injector;
use crate::job::{Job, JobRef};

/// A FIFO queue of jobs reached through tickets (module notes).
pub(crate) struct JobFifo {
    jobs: Injector,
}

impl JobFifo {
    pub(crate) fn new() -> JobFifo {
        JobFifo {
            jobs: Injector::new(),
        }
    }

    /// Appends `job` and returns its ticket, to be queued where the job
    /// itself would have gone.
    ///
    /// Why the ticket always finds a job: the job is pushed under the
    /// queue's mutex *before* the ticket exists, so before the ticket is
    /// queued; whoever takes the ticket from a queue does so after that
    /// push in happens-before order (the deque's or injector's own hand-off),
    /// and takes the queue's mutex after it. Each ticket removes one job and
    /// each job has one ticket, so when a ticket runs, the jobs already
    /// removed belong to other tickets, and at least its own job's worth is
    /// left. (Queuing the ticket first lets a thief run it against an empty
    /// queue: mutation `fifo-ticket-before-job`.)
    ///
    /// # Safety
    /// The queue outlives every ticket's run: it belongs to a scope that
    /// waits for all its jobs (a ticket touches the queue only before it
    /// runs its job), or to the registry, which the running worker keeps
    /// alive.
    pub(crate) unsafe fn push(&self, job: JobRef) -> JobRef {
        self.jobs.push(job.to_words(false));
        // SAFETY: the caller keeps `self` alive until the ticket has run.
        unsafe { JobRef::new(self) }
    }
}

impl Job for JobFifo {
    unsafe fn execute(this: *const ()) {
        // SAFETY: a ticket points to a live queue (`push`'s contract).
        let fifo = unsafe { &*(this as *const JobFifo) };
        // The oldest job: FIFO among the jobs of this queue. (Taking the
        // newest instead turns FIFO spawns into LIFO ones: mutation
        // `fifo-ticket-takes-newest`.)
        let Some(w) = fifo.jobs.pop_locked() else {
            unreachable!("amrkit-pool: a FIFO ticket found its queue empty")
        };
        // SAFETY: the words came from `to_words` on a live job that has not
        // run: each job is removed from the queue once, here.
        unsafe { JobRef::from_words(w, false).execute() }
    }
}
