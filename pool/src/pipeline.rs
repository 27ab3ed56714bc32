//! Pipelines: a source, stages and a sink connected by bounded
//! `crossbeam-channel` channels, run as jobs of the pool.
//!
//! ```text
//! source ──chan 0──▶ stage 0 ──chan 1──▶ stage 1 ── … ──chan n──▶ sink
//! ```
//!
//! # No stage ever waits
//!
//! A stage is not a thread, nor a job that loops on `recv`. Every unit of
//! work is one **task**: "pull the next source item", "run stage `k` on this
//! item", "hand these items to the sink". A task is started only when it can
//! finish without waiting for another task: its input item is already taken
//! out of the channel, and a slot for its output is already *reserved* in
//! the next channel. So a task runs straight through (the parallel calls
//! inside a stage function wait the pool's usual way, running other jobs),
//! and a stage with nothing to do occupies no worker at all. With more
//! stages than workers, or a pipeline started from inside a one-worker pool,
//! every worker stays available to whatever work is queued.
//!
//! # Scheduling
//!
//! One mutex (`Shared::sched`) holds the scheduler's counters: per channel
//! the slots reserved by running producers, per stage the tasks running,
//! whether the source and the sink are running, and the items in flight. All
//! channel operations happen under it too, so `len()` is exact, `try_recv`
//! never finds a channel empty when the scheduler counted an item, and
//! `try_send` never finds it full (`len + reserved ≤ capacity`, and every
//! sender holds a reservation).
//!
//! Every change of state — a task finished, an item sent — is made under
//! the mutex and followed, in the same critical section, by `schedule`,
//! which starts every task that can start: the sink if its channel holds
//! items, each stage (downstream first) while it has an input, a free worker
//! slot and room in its output channel, and the source while the in-flight
//! bound, the first channel and the error policy allow. Since the decision
//! reads only state that is changed under the same mutex, and every change
//! re-runs the decision, no task that could start is ever left unstarted —
//! the lost-wake-up question of a hand-off reduces to "every critical
//! section ends with `schedule`". The tasks it returns are spawned into one
//! scope (after the lock is released; the finishing task runs one of them
//! itself), and the pipeline's call returns when that scope's count reaches
//! zero: then nothing runs and nothing can start.
//!
//! # Bounds
//!
//! A running stage task holds a slot of its *output* channel, so items in
//! the channels and in stages never exceed the sum of the channel
//! capacities, and a full channel stops its producer (back-pressure) without
//! anyone blocking. With ordered output, items that reach the sink out of
//! order wait in its reorder buffer; the source admits a new item only while
//! fewer than `max_in_flight` (default: the sum of the capacities) are
//! between the source and the sink, reorder buffer included, which bounds
//! everything. The sink drains its channel whatever the order, so the oldest
//! item always gets through (an ordered pipeline cannot deadlock on a full
//! channel of younger items).
//!
//! # Errors, panics, cancellation
//!
//! Stage functions return `Result`; an `Err` skips the later stages and
//! reaches the sink with its index. [`OnError::Stop`] stops the source at
//! the first error (items in flight still finish). [`CancelToken::cancel`],
//! the sink returning [`Flow::Stop`], or a panic in the source, a stage or
//! the sink *cancel*: the source stops, queued items are dropped unprocessed,
//! running tasks finish and their results are dropped; a panic then resumes
//! in the caller.

use crate::cap::OpCtx;
use crate::job::CtxScope;
use crate::pool::{global_registry, Pool};
use crate::registry::{Registry, WorkerThread};
use crate::scope::{in_place_scope_on, Kind, Scope};
use crate::sync::{Arc, Mutex};
use crossbeam_channel::{bounded, Receiver, Sender};
use std::any::Any;
use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

type Item = Box<dyn Any + Send>;
type StageFn<'a, E> = Box<dyn Fn(Item) -> Result<Item, E> + Send + Sync + 'a>;
type Source<'a> = Box<dyn Iterator<Item = Item> + Send + 'a>;

/// What the sink wants after an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Keep going.
    Continue,
    /// Cancel the pipeline (see [`CancelToken::cancel`]).
    Stop,
}

/// What the pipeline does after an item fails in a stage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnError {
    /// The error goes to the sink; everything else carries on.
    #[default]
    Continue,
    /// The error goes to the sink; the source produces no more items
    /// (items already in flight still finish and reach the sink).
    Stop,
}

/// Cancels a running pipeline from anywhere (another thread, a stage, the
/// sink): the source stops, queued items are dropped unprocessed, and the
/// pipeline's call returns once the running tasks have finished.
///
/// ```
/// use amrkit_pool::pipeline::{CancelToken, Flow, Pipeline};
/// let pool = amrkit_pool::Pool::builder().num_threads(2).build().unwrap();
/// let cancel = CancelToken::new();
/// let c = cancel.clone();
/// // An endless source: the stage cancels once it has seen item 10.
/// let report = Pipeline::on(&pool, 0u64..)
///     .stage(move |x| { if x == 10 { c.cancel(); } Ok::<_, ()>(x) })
///     .cancel_token(&cancel)
///     .for_each(|_, _| Flow::Continue);
/// assert!(report.cancelled && report.delivered <= 10 + 4);
/// ```
#[derive(Clone, Debug, Default)]
pub struct CancelToken(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl CancelToken {
    /// A token not yet cancelled.
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// Cancels every pipeline this token was given to.
    pub fn cancel(&self) {
        // Relaxed: the flag guards no data. It is read by the scheduler
        // under its mutex and by tasks when they finish; seeing it late only
        // means a few more items are processed, and once set it stays set.
        // (A std atomic on purpose, also under loom: the token is a user
        // value that may live outside a model, and nothing waits on it.)
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Options of one stage ([`Pipeline::stage_with`]).
#[derive(Clone, Copy, Debug)]
#[must_use]
pub struct Stage {
    workers: usize,
    max_threads: Option<usize>,
    capacity: Option<usize>,
}

impl Default for Stage {
    fn default() -> Self {
        Stage::new()
    }
}

impl Stage {
    /// One item at a time, no cap of its own, the pipeline's capacity.
    pub fn new() -> Stage {
        Stage {
            workers: 1,
            max_threads: None,
            capacity: None,
        }
    }

    /// Items this stage processes at once (at least 1; default 1).
    pub fn workers(mut self, n: usize) -> Stage {
        self.workers = n.max(1);
        self
    }

    /// The `max_threads` cap under which the stage function runs on each
    /// item: parallel calls inside it inherit it, as for
    /// [`Par::max_threads`](crate::Par::max_threads). A stage with
    /// `workers(w)` uses at most `w × k` threads at once.
    pub fn max_threads(mut self, k: usize) -> Stage {
        self.max_threads = Some(k.max(1));
        self
    }

    /// Capacity of the channel *into* this stage (at least 1).
    pub fn capacity(mut self, n: usize) -> Stage {
        self.capacity = Some(n.max(1));
        self
    }
}

/// What a pipeline run did ([`Pipeline::for_each`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Items handed to the sink (errors included).
    pub delivered: usize,
    /// Of those, how many were errors.
    pub errors: usize,
    /// Items the source produced.
    pub produced: usize,
    /// Whether the run was cancelled (token, [`Flow::Stop`], or a panic).
    pub cancelled: bool,
    /// Whether [`OnError::Stop`] stopped the source.
    pub stopped: bool,
    /// Most items in flight at once (source to sink, reorder buffer
    /// included).
    pub peak_in_flight: usize,
}

struct StageSpec<'a, E> {
    opts: Stage,
    f: StageFn<'a, E>,
}

/// A pipeline under construction: a source, then stages added with
/// [`stage`](Self::stage), run by [`for_each`](Self::for_each) or
/// [`collect`](Self::collect). `T` is the item type the last stage yields,
/// `E` the error type every stage shares.
///
/// ```
/// use amrkit_pool::pipeline::Pipeline;
/// let pool = amrkit_pool::Pool::builder().num_threads(2).build().unwrap();
/// let out = Pipeline::on(&pool, 1..=5u32)
///     .stage(|x| if x == 3 { Err(format!("item {x} is bad")) } else { Ok(x * 10) })
///     .stage(|x| Ok(x + 1))
///     .collect();
/// assert_eq!(out[1], (1, Ok(21)));
/// assert_eq!(out[2], (2, Err("item 3 is bad".to_string())));
/// assert_eq!(out.len(), 5);
/// ```
#[must_use = "a pipeline does nothing until for_each or collect runs it"]
pub struct Pipeline<'a, T, E> {
    registry: Option<Arc<Registry>>,
    source: Source<'a>,
    stages: Vec<StageSpec<'a, E>>,
    capacity: usize,
    ordered: bool,
    on_error: OnError,
    max_in_flight: Option<usize>,
    cancel: CancelToken,
    out: PhantomData<fn() -> T>,
}

impl<'a, T: Send + 'static, E: Send + 'a> Pipeline<'a, T, E> {
    /// A pipeline over `items` on the current pool (the global pool off any
    /// pool).
    pub fn new<I>(items: I) -> Self
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: Send + 'a,
    {
        Pipeline {
            registry: None,
            source: Box::new(items.into_iter().map(|x| Box::new(x) as Item)),
            stages: Vec::new(),
            capacity: 2,
            ordered: true,
            on_error: OnError::Continue,
            max_in_flight: None,
            cancel: CancelToken::new(),
            out: PhantomData,
        }
    }

    /// A pipeline over `items` on `pool`.
    pub fn on<I>(pool: &Pool, items: I) -> Self
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: Send + 'a,
    {
        let mut p = Self::new(items);
        p.registry = Some(pool.registry().clone());
        p
    }

    /// Adds a stage with default options ([`Stage::new`]).
    pub fn stage<U, F>(self, f: F) -> Pipeline<'a, U, E>
    where
        U: Send + 'static,
        F: Fn(T) -> Result<U, E> + Send + Sync + 'a,
    {
        self.stage_with(Stage::new(), f)
    }

    /// Adds a stage with options `opts`.
    pub fn stage_with<U, F>(mut self, opts: Stage, f: F) -> Pipeline<'a, U, E>
    where
        U: Send + 'static,
        F: Fn(T) -> Result<U, E> + Send + Sync + 'a,
    {
        self.stages.push(StageSpec {
            opts,
            f: Box::new(move |x: Item| {
                let x = *x
                    .downcast::<T>()
                    .expect("pipeline: item of the stage's input type");
                f(x).map(|u| Box::new(u) as Item)
            }),
        });
        Pipeline {
            registry: self.registry,
            source: self.source,
            stages: self.stages,
            capacity: self.capacity,
            ordered: self.ordered,
            on_error: self.on_error,
            max_in_flight: self.max_in_flight,
            cancel: self.cancel,
            out: PhantomData,
        }
    }

    /// Default capacity of every channel (at least 1; default 2): the
    /// channel into a stage without [`Stage::capacity`], and the one into
    /// the sink.
    pub fn capacity(mut self, n: usize) -> Self {
        self.capacity = n.max(1);
        self
    }

    /// Items reach the sink in source order (default), or as they finish.
    pub fn ordered(mut self, ordered: bool) -> Self {
        self.ordered = ordered;
        self
    }

    /// What an item's error does to the rest of the run.
    pub fn on_error(mut self, policy: OnError) -> Self {
        self.on_error = policy;
        self
    }

    /// Most items between source and sink at once (at least 1; default and
    /// maximum: the sum of the channel capacities).
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = Some(n.max(1));
        self
    }

    /// Cancels the run when `token` is cancelled.
    pub fn cancel_token(mut self, token: &CancelToken) -> Self {
        self.cancel = token.clone();
        self
    }

    /// Runs the pipeline, handing each item's result and source index to
    /// `sink` (one call at a time, on some worker), and returns when every
    /// item is through or the run was cancelled. A panic in the source, a
    /// stage or the sink cancels the run and resumes here once every task
    /// has stopped.
    pub fn for_each<S>(self, mut sink: S) -> Report
    where
        S: FnMut(usize, Result<T, E>) -> Flow + Send,
    {
        let mut erased = move |seq: usize, r: Result<Item, E>| {
            let r = r.map(|x| {
                *x.downcast::<T>()
                    .expect("pipeline: item of the output type")
            });
            sink(seq, r)
        };
        self.run(&mut erased)
    }

    /// Runs the pipeline and returns every item's `(index, result)`, in
    /// source order (or finishing order, with `ordered(false)`).
    pub fn collect(self) -> Vec<(usize, Result<T, E>)> {
        let mut out = Vec::new();
        self.for_each(|i, r| {
            out.push((i, r));
            Flow::Continue
        });
        out
    }

    fn run(self, sink: &mut (dyn FnMut(usize, Result<Item, E>) -> Flow + Send)) -> Report {
        let registry = match self.registry {
            Some(r) => r,
            None => {
                let wt = WorkerThread::current();
                // SAFETY: non-null means this thread's own live worker.
                match unsafe { wt.as_ref() } {
                    Some(w) => w.registry().clone(),
                    None => global_registry().clone(),
                }
            }
        };
        let n = self.stages.len();
        // caps[k]: capacity of channel k, the input of stage k (k = n: the
        // sink's input).
        let caps: Vec<usize> = (0..=n)
            .map(|k| {
                self.stages
                    .get(k)
                    .and_then(|s| s.opts.capacity)
                    .unwrap_or(self.capacity)
            })
            .collect();
        let total: usize = caps.iter().sum();
        let shared = Shared {
            source: Mutex::new(self.source),
            chans: caps.iter().map(|&c| bounded(c)).collect(),
            caps,
            stages: self.stages,
            sched: Mutex::new(Sched {
                reserved: vec![0; n + 1],
                running: vec![0; n],
                source_running: false,
                source_done: false,
                sink_running: false,
                stopped: false,
                in_flight: 0,
                peak_in_flight: 0,
                produced: 0,
            }),
            sink: Mutex::new(SinkState {
                f: sink,
                reorder: BTreeMap::new(),
                next: 0,
                delivered: 0,
                errors: 0,
            }),
            cancel: self.cancel,
            ordered: self.ordered,
            on_error: self.on_error,
            max_in_flight: self.max_in_flight.unwrap_or(total).min(total),
            panic: Mutex::new(None),
        };
        let sh = &shared;
        in_place_scope_on(&registry, Kind::Plain, |s| {
            let tasks = sh.schedule(&mut sh.sched.lock());
            for t in tasks {
                s.spawn(move |s| run_task(sh, s, t));
            }
        });
        if let Some(p) = shared.panic.lock().take() {
            resume_unwind(p);
        }
        let st = shared.sched.lock();
        let sink = shared.sink.lock();
        Report {
            delivered: sink.delivered,
            errors: sink.errors,
            produced: st.produced,
            cancelled: shared.cancel.is_cancelled(),
            stopped: st.stopped,
            peak_in_flight: st.peak_in_flight,
        }
    }
}

/// Both ends of one channel.
type Chan<E> = (Sender<Env<E>>, Receiver<Env<E>>);

/// An item and its index in the source.
struct Env<E> {
    seq: usize,
    item: Result<Item, E>,
}

/// One unit of work; see the module notes.
enum Task<E> {
    /// Pull the next item from the source (a slot of channel 0 reserved).
    Source,
    /// Run stage `k` on an item (a slot of channel `k + 1` reserved).
    Stage(usize, Env<E>),
    /// Hand these items (taken from the last channel) to the sink.
    Sink(Vec<Env<E>>),
}

/// The scheduler's state; only touched under `Shared::sched`.
struct Sched {
    /// Slots of channel k reserved by running producers (the source for
    /// k = 0, stage k - 1 otherwise).
    reserved: Vec<usize>,
    /// Tasks of stage k running.
    running: Vec<usize>,
    source_running: bool,
    source_done: bool,
    sink_running: bool,
    /// `OnError::Stop` saw an error: the source produces no more.
    stopped: bool,
    /// Items admitted by the source and not yet delivered or dropped.
    in_flight: usize,
    peak_in_flight: usize,
    produced: usize,
}

struct SinkState<'s, E> {
    f: &'s mut (dyn FnMut(usize, Result<Item, E>) -> Flow + Send),
    /// Ordered output: items that arrived before an older one.
    reorder: BTreeMap<usize, Result<Item, E>>,
    /// Ordered output: the index the sink waits for.
    next: usize,
    delivered: usize,
    errors: usize,
}

struct Shared<'a, 's, E> {
    /// Touched only by the source task, of which at most one runs.
    source: Mutex<Source<'a>>,
    stages: Vec<StageSpec<'a, E>>,
    /// Channel k feeds stage k; channel n feeds the sink.
    chans: Vec<Chan<E>>,
    caps: Vec<usize>,
    sched: Mutex<Sched>,
    /// Touched only by the sink task, of which at most one runs.
    sink: Mutex<SinkState<'s, E>>,
    cancel: CancelToken,
    ordered: bool,
    on_error: OnError,
    max_in_flight: usize,
    /// The first panic of the source, a stage or the sink.
    panic: Mutex<Option<Box<dyn Any + Send>>>,
}

/// Runs `task`, then the tasks its completion made startable: one here, the
/// others spawned into the pipeline's scope.
fn run_task<'x, E: Send>(sh: &'x Shared<'_, '_, E>, s: &Scope<'x>, mut task: Task<E>) {
    loop {
        let next = match task {
            Task::Source => sh.run_source(),
            Task::Stage(k, env) => sh.run_stage(k, env),
            Task::Sink(batch) => sh.run_sink(batch),
        };
        let mut next = next.into_iter();
        let Some(first) = next.next() else {
            return;
        };
        for t in next {
            s.spawn(move |s| run_task(sh, s, t));
        }
        task = first;
    }
}

impl<E: Send> Shared<'_, '_, E> {
    fn cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    fn record_panic(&self, p: Box<dyn Any + Send>) {
        self.cancel.cancel();
        let mut slot = self.panic.lock();
        if slot.is_none() {
            *slot = Some(p);
        } else {
            drop(slot);
            crate::job::drop_quietly(p);
        }
    }

    fn run_source(&self) -> Vec<Task<E>> {
        let next = if self.cancelled() {
            Ok(None)
        } else {
            catch_unwind(AssertUnwindSafe(|| self.source.lock().next()))
        };
        let mut st = self.sched.lock();
        st.source_running = false;
        st.reserved[0] -= 1;
        match next {
            Ok(Some(x)) if !self.cancelled() => {
                let seq = st.produced;
                st.produced += 1;
                self.send(0, Env { seq, item: Ok(x) });
            }
            Ok(Some(_)) => st.in_flight -= 1,
            Ok(None) => {
                st.source_done = true;
                st.in_flight -= 1;
            }
            Err(p) => {
                st.source_done = true;
                st.in_flight -= 1;
                self.record_panic(p);
            }
        }
        self.schedule(&mut st)
    }

    fn run_stage(&self, k: usize, env: Env<E>) -> Vec<Task<E>> {
        let Env { seq, item } = env;
        let out = match item {
            Ok(x) if !self.cancelled() => {
                match catch_unwind(AssertUnwindSafe(|| self.call_stage(k, x))) {
                    Ok(r) => Some(r),
                    Err(p) => {
                        self.record_panic(p);
                        None
                    }
                }
            }
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        };
        let mut st = self.sched.lock();
        st.running[k] -= 1;
        st.reserved[k + 1] -= 1;
        match out {
            Some(r) if !self.cancelled() => {
                if r.is_err() && self.on_error == OnError::Stop {
                    st.stopped = true;
                }
                self.send(k + 1, Env { seq, item: r });
            }
            _ => st.in_flight -= 1,
        }
        self.schedule(&mut st)
    }

    /// Stage `k`'s function on `x`, under the stage's cap.
    fn call_stage(&self, k: usize, x: Item) -> Result<Item, E> {
        let f = &self.stages[k].f;
        let Some(cap) = self.stages[k].opts.max_threads else {
            return f(x);
        };
        let wt = WorkerThread::current();
        // SAFETY: tasks are jobs of the pipeline's scope, which run only on
        // its pool's workers; the pointer is this thread's live worker.
        let w = unsafe { &*wt };
        let parent = w.ctx();
        // As `Par::run_on_worker`: a cap at or above the one in force, or
        // the pool's size, changes nothing.
        if cap < OpCtx::cap_of(parent) && cap < w.registry().num_threads() {
            let ctx = OpCtx::new(cap, parent);
            let _scope = CtxScope::enter(wt, &ctx);
            f(x)
        } else {
            f(x)
        }
    }

    fn run_sink(&self, batch: Vec<Env<E>>) -> Vec<Task<E>> {
        let mut done = 0;
        {
            let mut sink = self.sink.lock();
            for Env { seq, item } in batch {
                if self.ordered {
                    sink.reorder.insert(seq, item);
                    while !self.cancelled() {
                        let next = sink.next;
                        let Some(item) = sink.reorder.remove(&next) else {
                            break;
                        };
                        sink.next += 1;
                        done += 1;
                        self.deliver(&mut sink, next, item);
                    }
                } else {
                    done += 1;
                    if !self.cancelled() {
                        self.deliver(&mut sink, seq, item);
                    }
                }
            }
            if self.cancelled() {
                done += sink.reorder.len();
                sink.reorder.clear();
            }
        }
        let mut st = self.sched.lock();
        st.sink_running = false;
        st.in_flight -= done;
        self.schedule(&mut st)
    }

    fn deliver(&self, sink: &mut SinkState<'_, E>, seq: usize, item: Result<Item, E>) {
        sink.delivered += 1;
        if item.is_err() {
            sink.errors += 1;
        }
        match catch_unwind(AssertUnwindSafe(|| (sink.f)(seq, item))) {
            Ok(Flow::Continue) => {}
            Ok(Flow::Stop) => self.cancel.cancel(),
            Err(p) => self.record_panic(p),
        }
    }

    /// Sends into channel `k` under the scheduler's lock, where the sender
    /// held a reservation: there is room.
    fn send(&self, k: usize, env: Env<E>) {
        if self.chans[k].0.try_send(env).is_err() {
            unreachable!("pipeline: channel {k} full although a slot was reserved");
        }
    }

    /// Starts every task that can start; called at the end of every
    /// critical section of `sched` (module notes).
    fn schedule(&self, st: &mut Sched) -> Vec<Task<E>> {
        let mut tasks = Vec::new();
        let n = self.stages.len();
        if self.cancelled() {
            // Drop what is queued; running tasks drop their own results.
            for (_, rx) in &self.chans {
                while rx.try_recv().is_ok() {
                    st.in_flight -= 1;
                }
            }
            return tasks;
        }
        // The sink first (it frees the most), then the stages downstream
        // first: taking an item out of channel k makes room for stage k - 1,
        // which is looked at next, so one pass reaches the fixed point.
        let rx = &self.chans[n].1;
        if !st.sink_running && !rx.is_empty() {
            st.sink_running = true;
            tasks.push(Task::Sink(rx.try_iter().collect()));
        }
        for k in (0..n).rev() {
            let (rx, out) = (&self.chans[k].1, &self.chans[k + 1].1);
            while st.running[k] < self.stages[k].opts.workers
                && !rx.is_empty()
                && out.len() + st.reserved[k + 1] < self.caps[k + 1]
            {
                let Ok(env) = rx.try_recv() else {
                    unreachable!("pipeline: channel {k} empty although len > 0")
                };
                st.running[k] += 1;
                st.reserved[k + 1] += 1;
                tasks.push(Task::Stage(k, env));
            }
        }
        if !st.source_running
            && !st.source_done
            && !st.stopped
            && st.in_flight < self.max_in_flight
            && self.chans[0].1.len() + st.reserved[0] < self.caps[0]
        {
            st.source_running = true;
            st.reserved[0] += 1;
            st.in_flight += 1;
            st.peak_in_flight = st.peak_in_flight.max(st.in_flight);
            tasks.push(Task::Source);
        }
        tasks
    }
}
