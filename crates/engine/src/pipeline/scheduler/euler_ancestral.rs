//! EulerAncestralDiscreteScheduler: one latent-shaped noise draw every step, the last included
//! (where it is multiplied by sigma_up = 0), exactly as diffusers draws it.

use candle_core::{Result, Tensor};

use super::common::{self, div, mul, BetaSpec};
use super::ddim::Prediction;
use super::euler::{euler_timesteps, euler_x0, interp_sigmas, SigmaSchedule};
use super::{Scheduler, SchedulerConfig, SchedulerError, TorchGenerator};

pub(crate) struct EulerAncestral {
    schedule: SigmaSchedule,
    prediction: Prediction,
}

impl EulerAncestral {
    pub fn new(cfg: &SchedulerConfig, steps: usize) -> std::result::Result<Self, SchedulerError> {
        let spec = BetaSpec::resolve(cfg, 0.0001, 0.02, "linear");
        let ac = spec.alphas_cumprod(true)?;
        // diffusers raises NotImplementedError for "sample" in this class.
        let prediction = Prediction::resolve(cfg, &["epsilon", "v_prediction"])?;
        let spacing = cfg.timestep_spacing.as_deref().unwrap_or("linspace");
        let timesteps = euler_timesteps(
            spacing,
            spec.num_train_timesteps,
            steps,
            cfg.steps_offset.unwrap_or(0),
        )?;
        let train = common::train_sigmas(&ac);
        let mut sigmas_f32: Vec<f32> = interp_sigmas(&timesteps, &train)
            .into_iter()
            .map(|s| s as f32)
            .collect();
        sigmas_f32.push(0.0);
        Ok(Self {
            schedule: SigmaSchedule::new(&timesteps, sigmas_f32, spacing, steps)?,
            prediction,
        })
    }
}

impl Scheduler for EulerAncestral {
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
        rng: &mut TorchGenerator,
    ) -> Result<Tensor> {
        let sigma = self.schedule.sigmas_f32[i];
        let x0 = euler_x0(self.prediction, model_output, sample, sigma)?;
        let sigma_from = sigma;
        let sigma_to = self.schedule.sigmas_f32[i + 1];
        let sf2 = sigma_from * sigma_from;
        let st2 = sigma_to * sigma_to;
        let sigma_up = (st2 * (sf2 - st2) / sf2).sqrt();
        let sigma_down = (st2 - sigma_up * sigma_up).sqrt();
        let derivative = div(&(sample - x0)?, sigma)?;
        let dt = sigma_down - sigma;
        let prev = (sample + mul(&derivative, dt)?)?;
        let noise = rng.randn_tensor(model_output.dims(), model_output.device())?;
        prev + mul(&noise, sigma_up)?
    }

    fn sigmas(&self) -> Option<&[f64]> {
        Some(self.schedule.sigmas())
    }
}
