//! DDIMScheduler (eta = 0, as diffusers' pipelines call it: deterministic, draws nothing).

use candle_core::{Result, Tensor};

use super::common::{self, div, mul, BetaSpec};
use super::{Scheduler, SchedulerConfig, SchedulerError, TorchGenerator};

pub(crate) struct Ddim {
    timesteps: Vec<i64>,
    timesteps_f: Vec<f64>,
    alphas_cumprod: Vec<f32>,
    final_alpha_cumprod: f32,
    step_ratio: i64,
    prediction: Prediction,
    clip: Option<f32>,
}

#[derive(Clone, Copy)]
pub(crate) enum Prediction {
    Epsilon,
    Sample,
    V,
}

impl Prediction {
    /// Every prediction type the alpha- and sigma-parameterised samplers understand.
    pub const ALL_NAMES: &'static [&'static str] = &["epsilon", "sample", "v_prediction"];

    /// The config's `prediction_type` (default epsilon), refused unless it is in `allowed`.
    pub fn resolve(
        cfg: &SchedulerConfig,
        allowed: &[&str],
    ) -> std::result::Result<Self, SchedulerError> {
        Ok(Self::parse(common::prediction_type(cfg, allowed)?))
    }

    pub fn parse(p: &str) -> Self {
        match p {
            "sample" => Prediction::Sample,
            "v_prediction" => Prediction::V,
            _ => Prediction::Epsilon,
        }
    }
}

/// diffusers' integer timesteps for DDIM / DDPM: the shared spacing, cast to int64.
pub(crate) fn int_timesteps(
    cfg: &SchedulerConfig,
    num_train: usize,
    steps: usize,
    default_spacing: &str,
) -> std::result::Result<Vec<i64>, SchedulerError> {
    if steps > num_train {
        return Err(SchedulerError::Steps {
            steps,
            reason: format!("at most num_train_timesteps = {num_train}"),
        });
    }
    let spacing = cfg.timestep_spacing.as_deref().unwrap_or(default_spacing);
    let t = common::spaced_timesteps(spacing, num_train, steps, cfg.steps_offset.unwrap_or(0))?;
    Ok(t.into_iter()
        .map(|x| {
            if spacing == "linspace" {
                common::np_round(x) as i64
            } else {
                x as i64
            }
        })
        .collect())
}

/// `pred_original_sample` clipping shared by DDIM, DDPM and LCM.
pub(crate) fn clip_setting(
    cfg: &SchedulerConfig,
    default_clip: bool,
) -> std::result::Result<Option<f32>, SchedulerError> {
    common::reject_true(
        cfg.thresholding,
        "thresholding",
        "dynamic thresholding is not implemented; set it to false",
    )?;
    Ok(if cfg.clip_sample.unwrap_or(default_clip) {
        Some(cfg.clip_sample_range.unwrap_or(1.0) as f32)
    } else {
        None
    })
}

impl Ddim {
    pub fn new(cfg: &SchedulerConfig, steps: usize) -> std::result::Result<Self, SchedulerError> {
        let spec = BetaSpec::resolve(cfg, 0.0001, 0.02, "linear");
        let ac = spec.alphas_cumprod(false)?;
        let prediction = Prediction::resolve(cfg, Prediction::ALL_NAMES)?;
        let clip = clip_setting(cfg, true)?;
        let timesteps = int_timesteps(cfg, spec.num_train_timesteps, steps, "leading")?;
        let final_alpha_cumprod = common::final_alpha_cumprod(cfg, &ac, true);
        Ok(Self {
            timesteps_f: timesteps.iter().map(|&t| t as f64).collect(),
            timesteps,
            alphas_cumprod: ac,
            final_alpha_cumprod,
            step_ratio: (spec.num_train_timesteps / steps) as i64,
            prediction,
            clip,
        })
    }
}

/// Returns (pred_original_sample, pred_epsilon) for the alpha-parameterised schedulers.
pub(crate) fn predict(
    prediction: Prediction,
    model_output: &Tensor,
    sample: &Tensor,
    alpha_prod_t: f32,
    beta_prod_t: f32,
) -> Result<(Tensor, Tensor)> {
    let (sa, sb) = (alpha_prod_t.sqrt(), beta_prod_t.sqrt());
    Ok(match prediction {
        Prediction::Epsilon => (
            div(&(sample - mul(model_output, sb)?)?, sa)?,
            model_output.clone(),
        ),
        Prediction::Sample => (
            model_output.clone(),
            div(&(sample - mul(model_output, sa)?)?, sb)?,
        ),
        Prediction::V => (
            (mul(sample, sa)? - mul(model_output, sb)?)?,
            (mul(model_output, sa)? + mul(sample, sb)?)?,
        ),
    })
}

impl Scheduler for Ddim {
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
        _rng: &mut TorchGenerator,
    ) -> Result<Tensor> {
        let t = self.timesteps[i];
        let prev_t = t - self.step_ratio;
        let (a, a_prev) =
            common::alphas_at(&self.alphas_cumprod, t, prev_t, self.final_alpha_cumprod)?;
        let b = 1.0 - a;
        let (mut x0, eps) = predict(self.prediction, model_output, sample, a, b)?;
        if let Some(r) = self.clip {
            x0 = x0.clamp(-r, r)?;
        }
        // eta = 0: std_dev_t = 0, so the direction coefficient is sqrt(1 - alpha_prev).
        let direction = mul(&eps, (1.0 - a_prev).sqrt())?;
        mul(&x0, a_prev.sqrt())? + direction
    }
}
