//! amrkit-kernels' integration tests, one binary (`cargo test -p
//! amrkit-kernels`): the kernels against yt's figures and maps on the real
//! outputs, sums that do not depend on how the CPU files are shared out,
//! and the 1D/2D/3D synthetic writer through the kernels.

mod partition_independent;
mod real_data;
mod writer_nd;
