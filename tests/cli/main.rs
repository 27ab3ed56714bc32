//! The `amrkit` binary run as a user would, one test binary. A module per
//! command on the shared real outputs (`info_stats`, `project`, `export`,
//! `particles`, `profiles`, `series`, `bench`, `errors`, `views`: slice, center
//! and project along any view; `window_maps`: zoomed and slab projections
//! against an exact overlap sum; `requests`: lengths, units, outputs and
//! argument checks; `nan`: non-finite values shown and drawn; `traps`: the new-user
//! trial's flag traps;
//! `doc_commands`: every command line of README.md and docs/cli.md), then a
//! module per kind of
//! output: the format variants (`variants`), 1D/2D outputs (`dims`; both
//! check stats against reference.json with `reference`),
//! particles without a descriptor (`particles_inferred`), RAMSES-RT (`rt`),
//! results independent of the thread count (`threads_identical`), and
//! `stats`/`project` under a memory limit below their columns
//! (`memory_bound`).
//! The MPI tests are apart (`tests/mpi.rs`, `--features mpi`).

mod bench;
mod doc_commands;
mod errors;
mod export;
mod figures;
mod info_stats;
mod memory_bound;
mod nan;
mod particles;
mod profiles;
mod project;
mod requests;
mod series;
mod traps;
mod views;
mod window_maps;

mod dims;
mod particles_inferred;
mod reference;
mod rt;
mod threads_identical;
mod variants;
