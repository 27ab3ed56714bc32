//! The job queues, behind a small interface so the model checker can see them.
//!
//! In normal builds each worker owns a `crossbeam_deque::Worker` (LIFO for
//! the owner, FIFO for thieves) and there is one shared `Injector` for work
//! that arrives from outside the pool. crossbeam's lock-free deque is not
//! instrumented for loom, so under `cfg(loom)` the same interface is backed
//! by a `Mutex<VecDeque>`; loom then checks the pool's *protocol* (sleep
//! counters, fences, latches, termination), while the deque's own correctness
//! rests on crossbeam's tests.

/// Outcome of one steal attempt.
pub(crate) enum Stolen<T> {
    Empty,
    /// Lost a race; try again (never produced by the loom queues).
    #[cfg_attr(loom, allow(dead_code))]
    Retry,
    Success(T),
}

#[cfg(not(loom))]
mod imp {
    use super::Stolen;
    use crossbeam_deque as cb;

    fn convert<T>(s: cb::Steal<T>) -> Stolen<T> {
        match s {
            cb::Steal::Empty => Stolen::Empty,
            cb::Steal::Retry => Stolen::Retry,
            cb::Steal::Success(v) => Stolen::Success(v),
        }
    }

    /// The owner's end of a worker deque.
    pub(crate) struct LocalQueue<T>(cb::Worker<T>);
    /// A thief's handle on another worker's deque.
    pub(crate) struct StealQueue<T>(cb::Stealer<T>);
    /// The shared queue for work injected from outside the pool.
    pub(crate) struct GlobalQueue<T>(cb::Injector<T>);

    pub(crate) fn local_queue<T>() -> (LocalQueue<T>, StealQueue<T>) {
        let w = cb::Worker::new_lifo();
        let s = w.stealer();
        (LocalQueue(w), StealQueue(s))
    }

    impl<T> LocalQueue<T> {
        #[inline]
        pub(crate) fn push(&self, value: T) {
            self.0.push(value)
        }
        #[inline]
        pub(crate) fn pop(&self) -> Option<T> {
            self.0.pop()
        }
        #[inline]
        pub(crate) fn is_empty(&self) -> bool {
            self.0.is_empty()
        }
    }

    impl<T> StealQueue<T> {
        pub(crate) fn steal(&self) -> Stolen<T> {
            convert(self.0.steal())
        }
        pub(crate) fn is_empty(&self) -> bool {
            self.0.is_empty()
        }
    }

    impl<T> GlobalQueue<T> {
        pub(crate) fn new() -> Self {
            GlobalQueue(cb::Injector::new())
        }
        pub(crate) fn push(&self, value: T) {
            self.0.push(value)
        }
        pub(crate) fn steal(&self) -> Stolen<T> {
            convert(self.0.steal())
        }
        pub(crate) fn is_empty(&self) -> bool {
            self.0.is_empty()
        }
    }
}

#[cfg(loom)]
mod imp {
    use super::Stolen;
    use crate::sync::{Arc, Mutex};
    use std::collections::VecDeque;

    pub(crate) struct LocalQueue<T>(Arc<Mutex<VecDeque<T>>>);
    pub(crate) struct StealQueue<T>(Arc<Mutex<VecDeque<T>>>);
    pub(crate) struct GlobalQueue<T>(Mutex<VecDeque<T>>);

    pub(crate) fn local_queue<T>() -> (LocalQueue<T>, StealQueue<T>) {
        let q = Arc::new(Mutex::new(VecDeque::new()));
        (LocalQueue(q.clone()), StealQueue(q))
    }

    impl<T> LocalQueue<T> {
        pub(crate) fn push(&self, value: T) {
            self.0.lock().push_back(value)
        }
        pub(crate) fn pop(&self) -> Option<T> {
            self.0.lock().pop_back()
        }
        pub(crate) fn is_empty(&self) -> bool {
            self.0.lock().is_empty()
        }
    }

    impl<T> StealQueue<T> {
        pub(crate) fn steal(&self) -> Stolen<T> {
            match self.0.lock().pop_front() {
                Some(v) => Stolen::Success(v),
                None => Stolen::Empty,
            }
        }
        pub(crate) fn is_empty(&self) -> bool {
            self.0.lock().is_empty()
        }
    }

    impl<T> GlobalQueue<T> {
        pub(crate) fn new() -> Self {
            GlobalQueue(Mutex::new(VecDeque::new()))
        }
        pub(crate) fn push(&self, value: T) {
            self.0.lock().push_back(value)
        }
        pub(crate) fn steal(&self) -> Stolen<T> {
            match self.0.lock().pop_front() {
                Some(v) => Stolen::Success(v),
                None => Stolen::Empty,
            }
        }
        pub(crate) fn is_empty(&self) -> bool {
            self.0.lock().is_empty()
        }
    }
}

pub(crate) use imp::{local_queue, GlobalQueue, LocalQueue, StealQueue};
