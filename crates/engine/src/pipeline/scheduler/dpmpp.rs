//! DPMSolverMultistepScheduler as DPM++ 2M ("dpmsolver++", second order, midpoint or heun
//! solver), optionally with Karras sigmas. Deterministic: draws nothing.

use candle_core::{Result, Tensor};

use super::common::{self, div, mul, BetaSpec};
use super::ddim::Prediction;
use super::{Scheduler, SchedulerConfig, SchedulerError, TorchGenerator};

pub(crate) struct DpmSolverMultistep {
    timesteps: Vec<f64>,
    sigmas_f32: Vec<f32>,
    sigmas: Vec<f64>,
    prediction: Prediction,
    heun: bool,
    solver_order: usize,
    lower_order_final: bool,
    euler_at_final: bool,
    final_zero: bool,
    model_outputs: Vec<Tensor>,
    lower_order_nums: usize,
}

/// (alpha_t, sigma_t) of the VP schedule for a Karras-style sigma, float32.
fn alpha_sigma(sigma: f32) -> (f32, f32) {
    let alpha = 1.0 / (sigma * sigma + 1.0).sqrt();
    (alpha, sigma * alpha)
}

fn lambda(alpha: f32, sigma: f32) -> f32 {
    alpha.ln() - sigma.ln()
}

impl DpmSolverMultistep {
    /// `karras`: the sampler name asks for Karras sigmas (overriding the file's value, as
    /// `from_config(config, use_karras_sigmas=...)` would).
    pub fn new(
        cfg: &SchedulerConfig,
        steps: usize,
        karras: bool,
    ) -> std::result::Result<Self, SchedulerError> {
        let spec = BetaSpec::resolve(cfg, 0.0001, 0.02, "linear");
        let ac = spec.alphas_cumprod(true)?;
        let prediction = Prediction::resolve(cfg, Prediction::ALL_NAMES)?;
        common::reject_true(
            cfg.thresholding,
            "thresholding",
            "not implemented; set it to false",
        )?;
        let spacing_kind = common::SigmaSpacing::resolve(cfg, karras)?;
        for (v, f) in [
            (cfg.use_lu_lambdas, "use_lu_lambdas"),
            (cfg.use_flow_sigmas, "use_flow_sigmas"),
            (cfg.use_dynamic_shifting, "use_dynamic_shifting"),
        ] {
            common::reject_true(v, f, "not implemented for dpmpp-2m; set it to false")?;
        }
        // DPM-Solver only acts on learned variances (it slices the model output); other values
        // (e.g. DDPM's fixed_small kept by from_config) are read and ignored.
        if let Some(v @ ("learned" | "learned_range")) = cfg.variance_type.as_deref() {
            return Err(SchedulerError::unsupported(
                "variance_type",
                v.into(),
                "learned variance is not implemented; remove the field",
            ));
        }
        let heun = match cfg.solver_type.as_deref().unwrap_or("midpoint") {
            "midpoint" | "logrho" | "bh1" | "bh2" => false,
            "heun" => true,
            other => {
                return Err(SchedulerError::unsupported(
                    "solver_type",
                    other.into(),
                    "use midpoint or heun",
                ))
            }
        };
        // The sampler names fix algorithm_type = dpmsolver++ and solver_order = 2.
        let solver_order = 2;
        let final_zero = match cfg.final_sigmas_type.as_deref().unwrap_or("zero") {
            "zero" => true,
            "sigma_min" => false,
            other => {
                return Err(SchedulerError::unsupported(
                    "final_sigmas_type",
                    other.into(),
                    "use zero or sigma_min",
                ))
            }
        };
        let n = spec.num_train_timesteps;
        // searchsorted(flip(lambda_t), lambda_min_clipped): how many lambdas lie below it.
        let lambda_t: Vec<f32> = ac
            .iter()
            .map(|&a| lambda(a.sqrt(), (1.0 - a).sqrt()))
            .collect();
        let clip = cfg.lambda_min_clipped.unwrap_or(f64::NEG_INFINITY) as f32;
        let clipped_idx = lambda_t.iter().filter(|&&l| l < clip).count();
        let last_timestep = n - clipped_idx;
        let spacing = cfg.timestep_spacing.as_deref().unwrap_or("linspace");
        let offset = cfg.steps_offset.unwrap_or(0);
        let mut timesteps: Vec<f64> = match spacing {
            "linspace" => {
                let mut v = common::np_linspace(0.0, last_timestep as f64 - 1.0, steps + 1);
                v.reverse();
                v.pop();
                v.into_iter().map(common::np_round).collect()
            }
            "leading" => {
                let ratio = (last_timestep / (steps + 1)) as f64;
                (1..=steps)
                    .rev()
                    .map(|i| common::np_round(i as f64 * ratio) + offset as f64)
                    .collect()
            }
            "trailing" => {
                common::np_arange_f64(last_timestep as f64, 0.0, -(n as f64 / steps as f64))
                    .into_iter()
                    .map(|x| common::np_round(x) - 1.0)
                    .collect()
            }
            other => return Err(common::spacing_error(other)),
        };
        let train = common::train_sigmas(&ac);
        let log_sigmas = common::log_sigmas_f32(&train);
        let mut sigmas: Vec<f64> =
            match spacing_kind.respace(cfg, train[0] as f64, train[n - 1] as f64, steps) {
                Some(s) => {
                    timesteps = s
                        .iter()
                        .map(|&x| {
                            let t = common::sigma_to_t(x, &log_sigmas);
                            // diffusers rounds Karras timesteps, except on the cosine schedule;
                            // exponential ones are only truncated by the int64 cast.
                            if spacing_kind == common::SigmaSpacing::Karras
                                && spec.beta_schedule != "squaredcos_cap_v2"
                            {
                                common::np_round(t)
                            } else {
                                t
                            }
                        })
                        .collect();
                    s
                }
                None => timesteps
                    .iter()
                    .map(|&t| common::np_interp_index(t, &train))
                    .collect(),
            };
        sigmas.push(if final_zero {
            0.0
        } else {
            ((1.0 - ac[0]) / ac[0]).sqrt() as f64
        });
        let sigmas_f32: Vec<f32> = sigmas.iter().map(|&s| s as f32).collect();
        // int64 in diffusers: fractional Karras timesteps are truncated.
        let timesteps: Vec<f64> = timesteps.iter().map(|t| t.trunc()).collect();
        common::check_first_timestep_unique(&timesteps, steps)?;
        Ok(Self {
            timesteps,
            sigmas: sigmas_f32.iter().map(|&s| s as f64).collect(),
            sigmas_f32,
            prediction,
            heun,
            solver_order,
            lower_order_final: cfg.lower_order_final.unwrap_or(true),
            euler_at_final: cfg.euler_at_final.unwrap_or(false),
            final_zero,
            model_outputs: Vec::new(),
            lower_order_nums: 0,
        })
    }

    /// The data prediction x0 (dpmsolver++ works on x0).
    fn convert(&self, model_output: &Tensor, sample: &Tensor, i: usize) -> Result<Tensor> {
        let (alpha_t, sigma_t) = alpha_sigma(self.sigmas_f32[i]);
        match self.prediction {
            Prediction::Epsilon => div(&(sample - mul(model_output, sigma_t)?)?, alpha_t),
            Prediction::Sample => Ok(model_output.clone()),
            Prediction::V => mul(sample, alpha_t)? - mul(model_output, sigma_t)?,
        }
    }
}

impl Scheduler for DpmSolverMultistep {
    fn timesteps(&self) -> &[f64] {
        &self.timesteps
    }

    /// `alpha_t * original + sigma_t * noise` at sigma[i] (DPM-Solver's `add_noise`).
    fn add_noise(&self, original: &Tensor, noise: &Tensor, i: usize) -> Result<Tensor> {
        let (alpha_t, sigma_t) = alpha_sigma(self.sigmas_f32[i]);
        mul(original, alpha_t)? + mul(noise, sigma_t)?
    }

    fn step(
        &mut self,
        model_output: &Tensor,
        i: usize,
        sample: &Tensor,
        _rng: &mut TorchGenerator,
    ) -> Result<Tensor> {
        let len = self.timesteps.len();
        let lower_order_final = i == len - 1
            && (self.euler_at_final || (self.lower_order_final && len < 15) || self.final_zero);
        let x0 = self.convert(model_output, sample, i)?;
        self.model_outputs.push(x0);
        if self.model_outputs.len() > self.solver_order {
            self.model_outputs.remove(0);
        }
        let (alpha_t, sigma_t) = alpha_sigma(self.sigmas_f32[i + 1]);
        let (alpha_s0, sigma_s0) = alpha_sigma(self.sigmas_f32[i]);
        let lambda_t = lambda(alpha_t, sigma_t);
        let lambda_s0 = lambda(alpha_s0, sigma_s0);
        let h = lambda_t - lambda_s0;
        let m0 = &self.model_outputs[self.model_outputs.len() - 1];
        let coef = alpha_t * ((-h).exp() - 1.0);
        let first = (mul(sample, sigma_t / sigma_s0)? - mul(m0, coef)?)?;
        let prev = if self.lower_order_nums < 1 || lower_order_final {
            first
        } else {
            let m1 = &self.model_outputs[self.model_outputs.len() - 2];
            let (alpha_s1, sigma_s1) = alpha_sigma(self.sigmas_f32[i - 1]);
            let lambda_s1 = lambda(alpha_s1, sigma_s1);
            let h0 = lambda_s0 - lambda_s1;
            let r0 = h0 / h;
            let d1 = mul(&(m0 - m1)?, 1.0 / r0)?;
            if self.heun {
                let c = alpha_t * (((-h).exp() - 1.0) / h + 1.0);
                (first + mul(&d1, c)?)?
            } else {
                (first - mul(&d1, 0.5 * coef)?)?
            }
        };
        if self.lower_order_nums < self.solver_order {
            self.lower_order_nums += 1;
        }
        Ok(prev)
    }

    fn sigmas(&self) -> Option<&[f64]> {
        Some(&self.sigmas)
    }
}
