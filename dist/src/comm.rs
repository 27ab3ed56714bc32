//! The few collective operations amrkit needs, over MPI or within one
//! process.
//!
//! Every call is collective: every process makes it, in the same order,
//! from its main thread only (MPI is initialised with
//! `MPI_THREAD_FUNNELED`: the pool's workers never call MPI).

/// A group of processes that share an output's files.
pub trait Comm {
    /// This process's number, 0 to `size() - 1`.
    fn rank(&self) -> usize;
    /// How many processes there are.
    fn size(&self) -> usize;
    /// Every process's bytes, in rank order, on rank 0 (`None` elsewhere).
    fn gather(&self, mine: &[u8]) -> Option<Vec<Vec<u8>>>;
    /// Rank 0's `bytes` on every process (the others pass anything).
    fn broadcast(&self, bytes: Vec<u8>) -> Vec<u8>;
    /// Waits until every process has called it.
    fn barrier(&self);
    /// Whether this is the process that prints and writes the results.
    fn is_root(&self) -> bool {
        self.rank() == 0
    }
}

/// One process alone (the plain binary, or a run without `mpirun`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Single;

impl Comm for Single {
    fn rank(&self) -> usize {
        0
    }
    fn size(&self) -> usize {
        1
    }
    fn gather(&self, mine: &[u8]) -> Option<Vec<Vec<u8>>> {
        Some(vec![mine.to_vec()])
    }
    fn broadcast(&self, bytes: Vec<u8>) -> Vec<u8> {
        bytes
    }
    fn barrier(&self) {}
}

#[cfg(feature = "mpi")]
pub use self::mpi_comm::Mpi;

#[cfg(feature = "mpi")]
mod mpi_comm {
    use super::Comm;
    use mpi::datatype::PartitionMut;
    use mpi::topology::SimpleCommunicator;
    use mpi::traits::*;
    use mpi::Count;

    /// The processes of `MPI_COMM_WORLD`. Holds the MPI environment:
    /// dropping it finalises MPI.
    pub struct Mpi {
        // Field order: the communicator goes before the universe.
        world: SimpleCommunicator,
        _universe: mpi::environment::Universe,
    }

    impl Mpi {
        /// Initialises MPI with `MPI_THREAD_FUNNELED` (only the main thread
        /// calls MPI). `Err` when MPI cannot start or gives less.
        pub fn init() -> Result<Mpi, String> {
            let (universe, threading) = mpi::initialize_with_threading(mpi::Threading::Funneled)
                .ok_or("MPI could not be initialised (already initialised?)")?;
            if threading < mpi::Threading::Funneled {
                return Err(format!(
                    "the MPI library gives {threading:?} threading; amrkit needs Funneled"
                ));
            }
            Ok(Mpi {
                world: universe.world(),
                _universe: universe,
            })
        }
    }

    impl Comm for Mpi {
        fn rank(&self) -> usize {
            self.world.rank() as usize
        }

        fn size(&self) -> usize {
            self.world.size() as usize
        }

        fn gather(&self, mine: &[u8]) -> Option<Vec<Vec<u8>>> {
            let root = self.world.process_at_rank(0);
            // MPI counts are C ints: one process's share must stay under
            // 2 GiB (a caller that could exceed it splits its message).
            let n = Count::try_from(mine.len()).expect("a message under 2 GiB");
            if self.rank() != 0 {
                root.gather_into(&n);
                root.gather_varcount_into(mine);
                return None;
            }
            let mut counts: Vec<Count> = vec![0; self.size()];
            root.gather_into_root(&n, &mut counts[..]);
            let mut displs = Vec::with_capacity(counts.len());
            let mut at: usize = 0;
            for &c in &counts {
                displs.push(Count::try_from(at).expect("messages under 2 GiB in all"));
                at += c as usize;
            }
            let mut buf = vec![0u8; at];
            {
                let mut part = PartitionMut::new(&mut buf[..], &counts[..], &displs[..]);
                root.gather_varcount_into_root(mine, &mut part);
            }
            let mut out = Vec::with_capacity(counts.len());
            let mut at = 0;
            for &c in &counts {
                out.push(buf[at..at + c as usize].to_vec());
                at += c as usize;
            }
            Some(out)
        }

        fn barrier(&self) {
            self.world.barrier();
        }

        fn broadcast(&self, mut bytes: Vec<u8>) -> Vec<u8> {
            let root = self.world.process_at_rank(0);
            let mut n: u64 = bytes.len() as u64;
            root.broadcast_into(&mut n);
            bytes.resize(n as usize, 0);
            // Nothing to send for an empty message (an empty Vec's pointer
            // is not one MPI accepts).
            if n > 0 {
                root.broadcast_into(&mut bytes[..]);
            }
            bytes
        }
    }
}
