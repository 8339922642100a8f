//! LCMScheduler: a consistency-model step, then fresh noise for every step but the last.

use candle_core::{Result, Tensor};

use super::common::{self, mul, BetaSpec};
use super::ddim::{clip_setting, predict, Prediction};
use super::{Scheduler, SchedulerConfig, SchedulerError, TorchGenerator};

pub(crate) struct Lcm {
    timesteps: Vec<i64>,
    timesteps_f: Vec<f64>,
    alphas_cumprod: Vec<f32>,
    final_alpha_cumprod: f32,
    prediction: Prediction,
    clip: Option<f32>,
    timestep_scaling: f32,
}

impl Lcm {
    pub fn new(cfg: &SchedulerConfig, steps: usize) -> std::result::Result<Self, SchedulerError> {
        let spec = BetaSpec::resolve(cfg, 0.00085, 0.012, "scaled_linear");
        let ac = spec.alphas_cumprod(false)?;
        let prediction = Prediction::resolve(cfg, Prediction::ALL_NAMES)?;
        let clip = clip_setting(cfg, false)?;
        let n = spec.num_train_timesteps;
        let original = cfg.original_inference_steps.unwrap_or(50);
        if original > n || original == 0 {
            return Err(SchedulerError::unsupported(
                "original_inference_steps",
                original.to_string(),
                &format!("use a value between 1 and num_train_timesteps = {n}"),
            ));
        }
        let k = (n / original) as i64;
        let mut origin: Vec<i64> = (1..=original as i64).map(|i| i * k - 1).collect();
        if steps > n || origin.len() / steps < 1 || steps > original {
            return Err(SchedulerError::Steps {
                steps,
                reason: format!("LCM allows at most original_inference_steps = {original} steps"),
            });
        }
        origin.reverse();
        let len = origin.len();
        let ratio = len as f64 / steps as f64;
        let timesteps: Vec<i64> = (0..steps)
            .map(|i| origin[(i as f64 * ratio).floor() as usize])
            .collect();
        let final_alpha_cumprod = common::final_alpha_cumprod(cfg, &ac, true);
        let tf: Vec<f64> = timesteps.iter().map(|&t| t as f64).collect();
        common::check_first_timestep_unique(&tf, steps)?;
        Ok(Self {
            timesteps_f: timesteps.iter().map(|&t| t as f64).collect(),
            timesteps,
            alphas_cumprod: ac,
            final_alpha_cumprod,
            prediction,
            clip,
            timestep_scaling: cfg.timestep_scaling.unwrap_or(10.0) as f32,
        })
    }
}

impl Scheduler for Lcm {
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
        let prev_t = self.timesteps.get(i + 1).copied().unwrap_or(t);
        let (a, a_prev) =
            common::alphas_at(&self.alphas_cumprod, t, prev_t, self.final_alpha_cumprod)?;
        let b = 1.0 - a;
        let b_prev = 1.0 - a_prev;
        // sigma_data = 0.5; the int64 timestep times a float promotes to float32.
        let scaled = t as f32 * self.timestep_scaling;
        let c_skip = (1.0 / (scaled * scaled + 0.25)) * 0.25;
        let c_out = scaled / (scaled * scaled + 0.25).sqrt();
        let (mut x0, _) = predict(self.prediction, model_output, sample, a, b)?;
        if let Some(r) = self.clip {
            x0 = x0.clamp(-r, r)?;
        }
        let denoised = (mul(&x0, c_out)? + mul(sample, c_skip)?)?;
        if i + 1 != self.timesteps.len() {
            let noise = rng.randn_tensor(model_output.dims(), model_output.device())?;
            mul(&denoised, a_prev.sqrt())? + mul(&noise, b_prev.sqrt())?
        } else {
            Ok(denoised)
        }
    }
}
