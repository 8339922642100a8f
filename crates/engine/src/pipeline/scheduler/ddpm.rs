//! DDPMScheduler: ancestral sampling with one noise draw per step while t > 0.

use candle_core::{Result, Tensor};

use super::common::{self, mul, BetaSpec};
use super::ddim::{clip_setting, int_timesteps, predict, Prediction};
use super::{Scheduler, SchedulerConfig, SchedulerError, TorchGenerator};

#[derive(Clone, Copy)]
enum Variance {
    Small,
    SmallLog,
    Large,
}

pub(crate) struct Ddpm {
    timesteps: Vec<i64>,
    timesteps_f: Vec<f64>,
    alphas_cumprod: Vec<f32>,
    prediction: Prediction,
    clip: Option<f32>,
    variance: Variance,
}

impl Ddpm {
    pub fn new(cfg: &SchedulerConfig, steps: usize) -> std::result::Result<Self, SchedulerError> {
        let spec = BetaSpec::resolve(cfg, 0.0001, 0.02, "linear");
        let ac = spec.alphas_cumprod(false)?;
        let prediction = Prediction::resolve(cfg, Prediction::ALL_NAMES)?;
        let clip = clip_setting(cfg, true)?;
        let variance = match cfg.variance_type.as_deref().unwrap_or("fixed_small") {
            "fixed_small" => Variance::Small,
            "fixed_small_log" => Variance::SmallLog,
            "fixed_large" => Variance::Large,
            other => {
                return Err(SchedulerError::unsupported(
                    "variance_type",
                    other.into(),
                    "use fixed_small, fixed_small_log or fixed_large",
                ))
            }
        };
        let timesteps = int_timesteps(cfg, spec.num_train_timesteps, steps, "leading")?;
        Ok(Self {
            timesteps_f: timesteps.iter().map(|&t| t as f64).collect(),
            timesteps,
            alphas_cumprod: ac,
            prediction,
            clip,
            variance,
        })
    }
}

impl Scheduler for Ddpm {
    fn timesteps(&self) -> &[f64] {
        &self.timesteps_f
    }

    fn add_noise(&self, original: &Tensor, noise: &Tensor, i: usize) -> Result<Tensor> {
        super::add_noise_at_timestep(&self.alphas_cumprod, self.timesteps[i], original, noise)
    }

    fn step(
        &mut self,
        model_output: &Tensor,
        i: usize,
        sample: &Tensor,
        rng: &mut TorchGenerator,
    ) -> Result<Tensor> {
        let t = self.timesteps[i];
        let prev_t = self.timesteps.get(i + 1).copied().unwrap_or(-1);
        let (a, a_prev) = common::alphas_at(&self.alphas_cumprod, t, prev_t, 1.0)?;
        let b = 1.0 - a;
        let b_prev = 1.0 - a_prev;
        let cur_alpha = a / a_prev;
        let cur_beta = 1.0 - cur_alpha;
        let (mut x0, _) = predict(self.prediction, model_output, sample, a, b)?;
        if let Some(r) = self.clip {
            x0 = x0.clamp(-r, r)?;
        }
        let x0_coeff = a_prev.sqrt() * cur_beta / b;
        let sample_coeff = cur_alpha.sqrt() * b_prev / b;
        let prev = (mul(&x0, x0_coeff)? + mul(sample, sample_coeff)?)?;
        if t <= 0 {
            return Ok(prev);
        }
        let noise = rng.randn_tensor(model_output.dims(), model_output.device())?;
        let var = ((1.0 - a_prev) / (1.0 - a) * cur_beta).max(1e-20);
        let scale = match self.variance {
            Variance::Small => var.sqrt(),
            Variance::SmallLog => (0.5 * var.ln()).exp(),
            Variance::Large => cur_beta.sqrt(),
        };
        prev + mul(&noise, scale)?
    }
}
