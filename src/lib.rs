//! # archinfer
//!
//! Fast task-aware neural architecture inference (Kokiopoulou et al.): a deep value network
//! `v(u, z)` over a continuous architecture encoding `u` and a task embedding `z`, trained on a
//! life-long database of child trainings, and gradient ascent on `u` for a new task.
//!
//! This facade re-exports the workspace crates:
//!
//! - [`encoding`]: the architecture space, α/β/γ encodings, child networks;
//! - [`data`]: tasks, the one reader of a user's data (`read_user_data`: images, texts),
//!   image loaders and embedding modules;
//! - [`text`]: text loaders and text embedding modules;
//! - [`train`]: child training;
//! - [`store`]: the experiment store;
//! - [`metafeatures`]: task meta-features (DeepSets, statistics);
//! - [`dvn`]: the deep value network;
//! - [`infer`]: multi-start gradient ascent (Algorithm 2);
//! - [`app`]: what a program embeds: a fitted model (`FittedModel`: fit, save, load, predict),
//!   tasks and trainings recorded in the life-long database, its settings, pool and workers;
//! - [`eval`]: the evaluations, one module each (predict, search, compare with its
//!   `Baseline` trait, ceiling, diversity, trade-off), their statistics and runner; the
//!   application's names are re-exported there too, as before they moved.
//!
//! The charts of the evaluations are the separate crate `archinfer-plots`, so this facade does
//! not pull in plotters.
//!
//! Backends are cargo features: `flex` (pure-Rust CPU, default), `ndarray`, `wgpu`. Library
//! code takes a [`Device`]; [`default_device`] picks the one the
//! enabled features offer.
//!
//! ```
//! let device = archinfer::default_device();
//! let task = archinfer::data::Blobs::new(2, 40, 3).task().unwrap();
//! let prepared = archinfer::train::PreparedTask::new(&task, &device);
//! assert_eq!(prepared.num_classes(), 2);
//! ```

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub use archinfer_adapt as adapt;
pub use archinfer_app as app;
pub use archinfer_classic as classic;
pub use archinfer_data as data;
pub use archinfer_dvn as dvn;
pub use archinfer_eval as eval;
pub use archinfer_encoding as encoding;
pub use archinfer_infer as infer;
pub use archinfer_metafeatures as metafeatures;
pub use archinfer_store as store;
pub use archinfer_text as text;
pub use archinfer_train as train;
pub use burn;

use burn::tensor::Device;

/// Which backend [`device_for`] should use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Pure-Rust CPU (`flex` feature).
    Flex,
    /// ndarray CPU (`ndarray` feature).
    NdArray,
    /// GPU through wgpu (`wgpu` feature).
    Wgpu,
}

/// Errors of the facade.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The backend was not compiled in.
    #[error("backend {0:?} is not enabled: rebuild with `--features {1}`")]
    BackendDisabled(Backend, &'static str),
    /// A backend name that is not known.
    #[error("unknown backend `{0}` (expected flex, ndarray or wgpu)")]
    UnknownBackend(String),
}

impl std::str::FromStr for Backend {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.to_ascii_lowercase().as_str() {
            "flex" | "cpu" => Ok(Backend::Flex),
            "ndarray" => Ok(Backend::NdArray),
            "wgpu" | "gpu" => Ok(Backend::Wgpu),
            other => Err(Error::UnknownBackend(other.to_string())),
        }
    }
}

/// The device of `backend`, if its feature is enabled.
///
/// # Errors
/// [`Error::BackendDisabled`] when the backend's feature was not compiled in.
#[allow(unreachable_code, deprecated)]
pub fn device_for(backend: Backend) -> Result<Device, Error> {
    match backend {
        Backend::Flex => {
            #[cfg(feature = "flex")]
            return Ok(Device::flex());
            Err(Error::BackendDisabled(backend, "flex"))
        }
        Backend::NdArray => {
            #[cfg(feature = "ndarray")]
            return Ok(Device::ndarray());
            Err(Error::BackendDisabled(backend, "ndarray"))
        }
        Backend::Wgpu => {
            #[cfg(feature = "wgpu")]
            return Ok(Device::wgpu(Default::default()));
            Err(Error::BackendDisabled(backend, "wgpu"))
        }
    }
}

/// The CPU device of the default `flex` feature, else whatever burn's default is (the first
/// enabled backend, GPUs first, or the one `BURN_DEVICE` names).
pub fn default_device() -> Device {
    device_for(Backend::Flex).unwrap_or_default()
}

/// The backends this build was compiled with, in [`Backend`] order (what `db manifest` reports
/// beside the data it describes).
pub fn built_backends() -> Vec<Backend> {
    let mut b = Vec::new();
    if cfg!(feature = "flex") {
        b.push(Backend::Flex);
    }
    if cfg!(feature = "ndarray") {
        b.push(Backend::NdArray);
    }
    if cfg!(feature = "wgpu") {
        b.push(Backend::Wgpu);
    }
    b
}

/// The cargo features of this build that select backends and stores, by name.
pub fn built_features() -> Vec<&'static str> {
    [("flex", cfg!(feature = "flex")), ("ndarray", cfg!(feature = "ndarray")), ("wgpu", cfg!(feature = "wgpu")), ("postgres", cfg!(feature = "postgres"))]
        .into_iter()
        .filter_map(|(n, on)| on.then_some(n))
        .collect()
}

#[cfg(test)]
mod build_tests {
    #[test]
    fn the_default_build_reports_flex() {
        // `cargo test` builds the default features.
        if cfg!(feature = "flex") {
            assert_eq!(super::built_backends().first(), Some(&super::Backend::Flex));
            assert!(super::built_features().contains(&"flex"));
        }
    }
}
