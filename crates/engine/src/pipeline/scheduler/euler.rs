//! EulerDiscreteScheduler (s_churn = 0, as the pipelines call it: deterministic).

use candle_core::{Result, Tensor};

use super::common::{self, div, mul, BetaSpec};
use super::{Scheduler, SchedulerConfig, SchedulerError, TorchGenerator};

pub(crate) struct Euler {
    schedule: SigmaSchedule,
    prediction: super::ddim::Prediction,
}

/// The timesteps and sigmas both Euler samplers step through, and the trait methods that only
/// read them (identical for the two classes in diffusers).
pub(crate) struct SigmaSchedule {
    timesteps: Vec<f64>,
    pub sigmas_f32: Vec<f32>,
    sigmas: Vec<f64>,
    init_noise_sigma: f32,
}

impl SigmaSchedule {
    /// timesteps: float32, one per UNet call; sigmas_f32: len = timesteps + 1, last the final
    /// sigma.
    pub fn new(
        timesteps: &[f32],
        sigmas_f32: Vec<f32>,
        spacing: &str,
        steps: usize,
    ) -> std::result::Result<Self, SchedulerError> {
        let timesteps: Vec<f64> = timesteps.iter().map(|&t| t as f64).collect();
        common::check_first_timestep_unique(&timesteps, steps)?;
        Ok(Self {
            timesteps,
            sigmas: sigmas_f32.iter().map(|&s| s as f64).collect(),
            init_noise_sigma: euler_init_sigma(&sigmas_f32, spacing),
            sigmas_f32,
        })
    }

    pub fn timesteps(&self) -> &[f64] {
        &self.timesteps
    }

    pub fn init_noise_sigma(&self) -> f64 {
        self.init_noise_sigma as f64
    }

    pub fn scale_model_input(&self, sample: &Tensor, i: usize) -> Result<Tensor> {
        scale_by_sigma(sample, self.sigmas_f32[i])
    }

    pub fn sigmas(&self) -> &[f64] {
        &self.sigmas
    }

    /// `original + noise * sigma[i]` (the Euler family's `add_noise`).
    pub fn add_noise(&self, original: &Tensor, noise: &Tensor, i: usize) -> Result<Tensor> {
        original + mul(noise, self.sigmas_f32[i])?
    }
}

/// Sigmas at (fractional) training timesteps, interpolated linearly in the training sigmas
/// (`np.interp`), in float64.
pub(crate) fn interp_sigmas(timesteps: &[f32], train: &[f32]) -> Vec<f64> {
    timesteps
        .iter()
        .map(|&t| common::np_interp_index(t as f64, train))
        .collect()
}

/// Euler-style timesteps (float32) for the three spacings, before any sigma conversion.
pub(crate) fn euler_timesteps(
    spacing: &str,
    num_train: usize,
    steps: usize,
    steps_offset: i64,
) -> std::result::Result<Vec<f32>, SchedulerError> {
    Ok(match spacing {
        "linspace" => {
            let mut v: Vec<f32> = common::np_linspace(0.0, (num_train - 1) as f64, steps)
                .into_iter()
                .map(|x| x as f32)
                .collect();
            v.reverse();
            v
        }
        "leading" => {
            let ratio = (num_train / steps) as f64;
            (0..steps)
                .rev()
                .map(|i| common::np_round(i as f64 * ratio) as f32 + steps_offset as f32)
                .collect()
        }
        "trailing" => {
            common::np_arange_f64(num_train as f64, 0.0, -(num_train as f64 / steps as f64))
                .into_iter()
                .map(|x| common::np_round(x) as f32 - 1.0)
                .collect()
        }
        other => return Err(common::spacing_error(other)),
    })
}

/// `init_noise_sigma` of the Euler family: the largest sigma, or sqrt(max^2 + 1) for
/// "leading" spacing (float32, as the torch property computes it).
pub(crate) fn euler_init_sigma(sigmas: &[f32], spacing: &str) -> f32 {
    let m = sigmas.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if spacing == "linspace" || spacing == "trailing" {
        m
    } else {
        (m * m + 1.0).sqrt()
    }
}

impl Euler {
    pub fn new(cfg: &SchedulerConfig, steps: usize) -> std::result::Result<Self, SchedulerError> {
        let spec = BetaSpec::resolve(cfg, 0.0001, 0.02, "linear");
        let ac = spec.alphas_cumprod(true)?;
        let prediction = super::ddim::Prediction::resolve(cfg, super::ddim::Prediction::ALL_NAMES)?;
        let spacing_kind =
            common::SigmaSpacing::resolve(cfg, cfg.use_karras_sigmas.unwrap_or(false))?;
        let spacing = cfg.timestep_spacing.as_deref().unwrap_or("linspace");
        let timestep_type = cfg.timestep_type.as_deref().unwrap_or("discrete");
        if timestep_type != "discrete" && timestep_type != "continuous" {
            return Err(SchedulerError::unsupported(
                "timestep_type",
                timestep_type.into(),
                "use discrete or continuous",
            ));
        }
        let n = spec.num_train_timesteps;
        let mut timesteps = euler_timesteps(spacing, n, steps, cfg.steps_offset.unwrap_or(0))?;
        let train = common::train_sigmas(&ac);
        let log_sigmas = common::log_sigmas_f32(&train);
        let mut sigmas: Vec<f64> = match cfg.interpolation_type.as_deref().unwrap_or("linear") {
            "linear" => interp_sigmas(&timesteps, &train),
            "log_linear" => {
                let lo = (train[n - 1] as f64).ln() as f32;
                let hi = (train[0] as f64).ln() as f32;
                common::torch_linspace_f32(lo as f64, hi as f64, steps + 1)
                    .into_iter()
                    .map(|x| x.exp() as f64)
                    .collect()
            }
            other => {
                return Err(SchedulerError::unsupported(
                    "interpolation_type",
                    other.into(),
                    "use linear or log_linear",
                ))
            }
        };
        if let Some(respaced) =
            spacing_kind.respace(cfg, sigmas[sigmas.len() - 1], sigmas[0], steps)
        {
            sigmas = respaced;
            timesteps = sigmas
                .iter()
                .map(|&s| common::sigma_to_t(s, &log_sigmas) as f32)
                .collect();
        }
        let last = match cfg.final_sigmas_type.as_deref().unwrap_or("zero") {
            "zero" => 0.0,
            "sigma_min" => ((1.0 - ac[0]) / ac[0]).sqrt() as f64,
            other => {
                return Err(SchedulerError::unsupported(
                    "final_sigmas_type",
                    other.into(),
                    "use zero or sigma_min",
                ))
            }
        };
        sigmas.push(last);
        let sigmas_f32: Vec<f32> = sigmas.iter().map(|&s| s as f32).collect();
        if timestep_type == "continuous" && prediction_is_v(cfg) {
            timesteps = sigmas_f32[..sigmas_f32.len() - 1]
                .iter()
                .map(|s| 0.25 * s.ln())
                .collect();
        }
        Ok(Self {
            schedule: SigmaSchedule::new(&timesteps, sigmas_f32, spacing, steps)?,
            prediction,
        })
    }
}

fn prediction_is_v(cfg: &SchedulerConfig) -> bool {
    cfg.prediction_type.as_deref() == Some("v_prediction")
}

/// `sample / (sigma^2 + 1) ** 0.5` in float32.
pub(crate) fn scale_by_sigma(sample: &Tensor, sigma: f32) -> Result<Tensor> {
    div(sample, (sigma * sigma + 1.0).sqrt())
}

/// The Euler family's `pred_original_sample` for epsilon / v-prediction / sample.
pub(crate) fn euler_x0(
    prediction: super::ddim::Prediction,
    model_output: &Tensor,
    sample: &Tensor,
    sigma: f32,
) -> Result<Tensor> {
    use super::ddim::Prediction;
    match prediction {
        Prediction::Epsilon => sample - mul(model_output, sigma)?,
        Prediction::Sample => Ok(model_output.clone()),
        Prediction::V => {
            let c = -sigma / (sigma * sigma + 1.0).sqrt();
            mul(model_output, c)? + div(sample, sigma * sigma + 1.0)?
        }
    }
}

impl Scheduler for Euler {
    fn timesteps(&self) -> &[f64] {
        self.schedule.timesteps()
    }

    fn add_noise(&self, original: &Tensor, noise: &Tensor, i: usize) -> Result<Tensor> {
        self.schedule.add_noise(original, noise, i)
    }

    fn init_noise_sigma(&self) -> f64 {
        self.schedule.init_noise_sigma()
    }

    fn scale_model_input(&self, sample: &Tensor, i: usize) -> Result<Tensor> {
        self.schedule.scale_model_input(sample, i)
    }

    fn step(
        &mut self,
        model_output: &Tensor,
        i: usize,
        sample: &Tensor,
        _rng: &mut TorchGenerator,
    ) -> Result<Tensor> {
        let sigmas = &self.schedule.sigmas_f32;
        let sigma = sigmas[i];
        let sigma_hat = sigma;
        let x0 = euler_x0(self.prediction, model_output, sample, sigma)?;
        let derivative = div(&(sample - x0)?, sigma_hat)?;
        let dt = sigmas[i + 1] - sigma_hat;
        sample + mul(&derivative, dt)?
    }

    fn sigmas(&self) -> Option<&[f64]> {
        Some(self.schedule.sigmas())
    }
}
