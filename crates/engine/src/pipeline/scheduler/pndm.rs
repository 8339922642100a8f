//! PNDMScheduler. With `skip_prk_steps` (what Stable Diffusion ships) it is PLMS only: N steps
//! make N + 1 UNet calls, because the second timestep is repeated to bootstrap the linear
//! multistep history. Without it (the class default), 12 Runge-Kutta calls on the four
//! largest timesteps come first, then PLMS on the rest.

use candle_core::{Result, Tensor};

use super::common::{self, div, mul, BetaSpec};
use super::{Scheduler, SchedulerConfig, SchedulerError, TorchGenerator};

pub(crate) struct Pndm {
    timesteps: Vec<i64>,
    timesteps_f: Vec<f64>,
    alphas_cumprod: Vec<f32>,
    final_alpha_cumprod: f32,
    step_ratio: i64,
    v_prediction: bool,
    /// The Runge-Kutta warm-up calls (empty with skip_prk_steps).
    prk_timesteps: Vec<i64>,
    ets: Vec<Tensor>,
    cur_sample: Option<Tensor>,
    cur_model_output: Option<Tensor>,
    counter: usize,
}

impl Pndm {
    pub fn new(cfg: &SchedulerConfig, steps: usize) -> std::result::Result<Self, SchedulerError> {
        // PNDMScheduler has no rescale_betas_zero_snr option: diffusers ignores the field.
        let spec = BetaSpec {
            rescale_betas_zero_snr: false,
            ..BetaSpec::resolve(cfg, 0.0001, 0.02, "linear")
        };
        let ac = spec.alphas_cumprod(false)?;
        let v_prediction =
            common::prediction_type(cfg, &["epsilon", "v_prediction"])? == "v_prediction";
        let skip_prk = cfg.skip_prk_steps.unwrap_or(false);
        if !skip_prk && steps < 4 {
            return Err(SchedulerError::Steps {
                steps,
                reason: "PNDM with Runge-Kutta warm-up (skip_prk_steps: false) needs at least 4 \
                         steps; diffusers fails below that too"
                    .into(),
            });
        }
        let n = spec.num_train_timesteps;
        let spacing = cfg.timestep_spacing.as_deref().unwrap_or("leading");
        // Ascending base timesteps, as `_timesteps` in diffusers.
        let base: Vec<i64> = match spacing {
            "linspace" => common::np_linspace(0.0, (n - 1) as f64, steps)
                .into_iter()
                .map(|x| common::np_round(x) as i64)
                .collect(),
            "leading" => {
                let ratio = (n / steps) as i64;
                (0..steps as i64)
                    .map(|i| i * ratio + cfg.steps_offset.unwrap_or(0))
                    .collect()
            }
            "trailing" => {
                let mut v: Vec<i64> =
                    common::np_arange_f64(n as f64, 0.0, -(n as f64 / steps as f64))
                        .into_iter()
                        .map(|x| common::np_round(x) as i64 - 1)
                        .collect();
                v.reverse();
                v
            }
            other => return Err(common::spacing_error(other)),
        };
        let len = base.len();
        let (prk, plms) = if skip_prk {
            let mut plms: Vec<i64> = base[..len.saturating_sub(1)].to_vec();
            if len >= 2 {
                plms.push(base[len - 2]);
            }
            plms.extend_from_slice(&base[len.saturating_sub(1)..]);
            plms.reverse();
            (Vec::new(), plms)
        } else {
            // Each of the 4 largest timesteps t gives t and t + half a step; then every value
            // but the last is doubled and the ends trimmed, as diffusers' repeat/tile does.
            let half = (n / steps / 2) as i64;
            let last4 = &base[len.saturating_sub(4)..];
            let pairs: Vec<i64> = last4.iter().flat_map(|&t| [t, t + half]).collect();
            let doubled: Vec<i64> = pairs[..pairs.len() - 1]
                .iter()
                .flat_map(|&t| [t, t])
                .collect();
            let mut prk = doubled[1..doubled.len() - 1].to_vec();
            prk.reverse();
            let mut plms: Vec<i64> = base[..len.saturating_sub(3)].to_vec();
            plms.reverse();
            (prk, plms)
        };
        let all: Vec<i64> = prk.iter().chain(&plms).copied().collect();
        let final_alpha_cumprod = common::final_alpha_cumprod(cfg, &ac, false);
        Ok(Self {
            timesteps_f: all.iter().map(|&t| t as f64).collect(),
            timesteps: all,
            prk_timesteps: prk,
            alphas_cumprod: ac,
            final_alpha_cumprod,
            step_ratio: (n / steps) as i64,
            v_prediction,
            ets: Vec::new(),
            cur_sample: None,
            cur_model_output: None,
            counter: 0,
        })
    }

    fn prev_sample(
        &self,
        sample: &Tensor,
        t: i64,
        prev_t: i64,
        model_output: &Tensor,
    ) -> std::result::Result<Tensor, candle_core::Error> {
        let (a, a_prev) =
            common::alphas_at(&self.alphas_cumprod, t, prev_t, self.final_alpha_cumprod)?;
        let b = 1.0 - a;
        let b_prev = 1.0 - a_prev;
        let model_output = if self.v_prediction {
            (mul(model_output, a.sqrt())? + mul(sample, b.sqrt())?)?
        } else {
            model_output.clone()
        };
        let sample_coeff = (a_prev / a).sqrt();
        let denom = a * b_prev.sqrt() + (a * b * a_prev).sqrt();
        let rhs = div(&mul(&model_output, a_prev - a)?, denom)?;
        mul(sample, sample_coeff)? - rhs
    }
}

impl Scheduler for Pndm {
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
        if self.counter < self.prk_timesteps.len() {
            self.step_prk(model_output, i, sample)
        } else {
            self.step_plms(model_output, i, sample)
        }
    }
}

impl Pndm {
    /// One Runge-Kutta sub-step: calls 0..3 of each group of four evaluate the model at the
    /// group's start, midpoint (twice) and end; the fourth combines them 1/6, 1/3, 1/3, 1/6.
    fn step_prk(&mut self, model_output: &Tensor, i: usize, sample: &Tensor) -> Result<Tensor> {
        let half = self.step_ratio / 2;
        let diff_to_prev = if self.counter % 2 == 1 { 0 } else { half };
        let prev_t = self.timesteps[i] - diff_to_prev;
        let t = self.prk_timesteps[self.counter / 4 * 4];
        let sixth = (1.0f64 / 6.0) as f32;
        let third = (1.0f64 / 3.0) as f32;
        let acc = |cur: Option<Tensor>, m: Tensor| -> Result<Tensor> {
            match cur {
                Some(c) => c + m,
                None => Ok(m),
            }
        };
        let mut mo = model_output.clone();
        match self.counter % 4 {
            0 => {
                let c = acc(self.cur_model_output.take(), mul(model_output, sixth)?)?;
                self.cur_model_output = Some(c);
                self.ets.push(model_output.clone());
                self.cur_sample = Some(sample.clone());
            }
            1 | 2 => {
                let c = acc(self.cur_model_output.take(), mul(model_output, third)?)?;
                self.cur_model_output = Some(c);
            }
            _ => {
                mo = acc(self.cur_model_output.take(), mul(model_output, sixth)?)?;
            }
        }
        let cur_sample = self.cur_sample.clone().unwrap_or_else(|| sample.clone());
        let out = self.prev_sample(&cur_sample, t, prev_t, &mo)?;
        self.counter += 1;
        Ok(out)
    }

    fn step_plms(&mut self, model_output: &Tensor, i: usize, sample: &Tensor) -> Result<Tensor> {
        let mut t = self.timesteps[i];
        let mut prev_t = t - self.step_ratio;
        if self.counter != 1 {
            if self.ets.len() > 3 {
                self.ets.drain(..self.ets.len() - 3);
            }
            self.ets.push(model_output.clone());
        } else {
            prev_t = t;
            t += self.step_ratio;
        }
        let ets = &self.ets;
        let n = ets.len();
        let mut sample = sample.clone();
        let mo = if n == 1 && self.counter == 0 {
            self.cur_sample = Some(sample.clone());
            model_output.clone()
        } else if n == 1 && self.counter == 1 {
            if let Some(cur) = self.cur_sample.take() {
                sample = cur;
            }
            div(&(model_output + &ets[n - 1])?, 2.0)?
        } else if n == 2 {
            div(&(mul(&ets[n - 1], 3.0)? - &ets[n - 2])?, 2.0)?
        } else if n == 3 {
            let s =
                ((mul(&ets[n - 1], 23.0)? - mul(&ets[n - 2], 16.0)?)? + mul(&ets[n - 3], 5.0)?)?;
            div(&s, 12.0)?
        } else {
            let s = (((mul(&ets[n - 1], 55.0)? - mul(&ets[n - 2], 59.0)?)?
                + mul(&ets[n - 3], 37.0)?)?
                - mul(&ets[n - 4], 9.0)?)?;
            mul(&s, (1.0f64 / 24.0) as f32)?
        };
        let out = self.prev_sample(&sample, t, prev_t, &mo)?;
        self.counter += 1;
        Ok(out)
    }
}
