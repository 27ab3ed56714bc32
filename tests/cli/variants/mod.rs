//! The `amrkit` binary on the real format variants of
//! `../shared/data/ramses-variants/` (group folders, cosmology, clumps,
//! RAMSES-RT, sinks) and on generated outputs of the same kinds, a module
//! per variant: `groups`, `cosmology`, `clumps`, `rt`, `sinks`, then
//! `errors` (what the user typed, named back) and `references` (every 3D
//! variant against its reference stats and maps). The comparison with
//! reference.json's stats is shared with the 1D/2D tests
//! (`crate::reference`).

mod clumps;
mod cosmology;
mod errors;
mod groups;
mod references;
mod rt;
mod sinks;
