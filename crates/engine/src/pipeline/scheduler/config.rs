//! `scheduler_config.json` as diffusers reads it.
//!
//! Every field is an `Option`: diffusers' `NewClass.from_config(old.config)` keeps the values
//! that were in the file and gives every other field the NEW class's default (the defaults
//! the old class filled in are dropped via `_use_default_values`). So each scheduler resolves
//! its own defaults with `unwrap_or`, and switching samplers behaves as in diffusers.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::SchedulerError;

/// Serde mirror of `scheduler/scheduler_config.json`. Unknown fields are ignored, as diffusers
/// ignores them; JSON `null` means "use the class default", as it does in diffusers for these
/// fields.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct SchedulerConfig {
    #[serde(rename = "_class_name")]
    pub class_name: Option<String>,
    pub num_train_timesteps: Option<usize>,
    pub beta_start: Option<f64>,
    pub beta_end: Option<f64>,
    pub beta_schedule: Option<String>,
    pub trained_betas: Option<Vec<f64>>,
    pub prediction_type: Option<String>,
    pub timestep_spacing: Option<String>,
    pub steps_offset: Option<i64>,
    pub set_alpha_to_one: Option<bool>,
    pub clip_sample: Option<bool>,
    pub clip_sample_range: Option<f64>,
    pub thresholding: Option<bool>,
    pub rescale_betas_zero_snr: Option<bool>,
    // PNDM
    pub skip_prk_steps: Option<bool>,
    // Euler / DPM-Solver
    pub interpolation_type: Option<String>,
    pub use_karras_sigmas: Option<bool>,
    pub use_exponential_sigmas: Option<bool>,
    pub use_beta_sigmas: Option<bool>,
    pub use_lu_lambdas: Option<bool>,
    pub use_flow_sigmas: Option<bool>,
    pub use_dynamic_shifting: Option<bool>,
    pub sigma_min: Option<f64>,
    pub sigma_max: Option<f64>,
    pub timestep_type: Option<String>,
    pub final_sigmas_type: Option<String>,
    // DPM-Solver
    pub solver_order: Option<usize>,
    pub algorithm_type: Option<String>,
    pub solver_type: Option<String>,
    pub lower_order_final: Option<bool>,
    pub euler_at_final: Option<bool>,
    pub lambda_min_clipped: Option<f64>,
    pub variance_type: Option<String>,
    // LCM
    pub original_inference_steps: Option<usize>,
    pub timestep_scaling: Option<f64>,
}

impl SchedulerConfig {
    /// Reads `scheduler_config.json`, naming the file and the position on failure.
    pub fn load(path: &Path) -> Result<Self, SchedulerError> {
        let text = std::fs::read_to_string(path).map_err(|source| SchedulerError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json(&text).map_err(|e| match e {
            SchedulerError::Parse { message, .. } => SchedulerError::Parse {
                path: Some(path.to_path_buf()),
                message,
            },
            other => other,
        })
    }

    /// Parses the text of a `scheduler_config.json`.
    pub fn from_json(text: &str) -> Result<Self, SchedulerError> {
        serde_json::from_str(text).map_err(|e| SchedulerError::Parse {
            path: None::<PathBuf>,
            message: e.to_string(),
        })
    }
}
