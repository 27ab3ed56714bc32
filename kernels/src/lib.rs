//! amrkit-kernels
