//! Prompt encoding as diffusers' pipelines do it (`StableDiffusionPipeline.encode_prompt`,
//! `StableDiffusionXLPipeline.encode_prompt`, diffusers 0.42).
//!
//! - SD 1.x / 2.x: the last hidden state (after the final layer norm) of the one encoder.
//!   SD 2.x checkpoints have 23 of OpenCLIP's 24 layers, so the "penultimate layer" is already
//!   baked in; `clip_skip` is not used.
//! - SDXL: the penultimate hidden states (no final layer norm) of both encoders, concatenated
//!   along the features, and the second encoder's projected pooled output. Without a negative
//!   prompt and with `force_zeros_for_empty_prompt`, the negative conditioning is zeros; an
//!   explicit `""` is encoded.

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;

use super::clip::{ClipOutput, ClipTextModel};
use super::tokenizer::ClipTokenizer;
use super::TextError;
use crate::model::config::{read_json, ClipTextConfig, ModelIndex};
use crate::pipeline::layers::LoadContext;

/// diffusers' `do_classifier_free_guidance`: guidance above 1, and a UNet without guidance
/// embedding (`time_cond_proj_dim`, as in LCM models). Only then is a negative encoded.
pub fn classifier_free_guidance(guidance_scale: f64, time_cond_proj_dim: Option<usize>) -> bool {
    guidance_scale > 1.0 && time_cond_proj_dim.is_none()
}

/// How the hidden states of the encoders become the UNet's `encoder_hidden_states`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptEncoderKind {
    /// SD 1.x / 2.x: `last_hidden_state` of the single encoder.
    LastHiddenState,
    /// SDXL: penultimate states of every encoder, concatenated; pooled output of the one
    /// with a projection.
    PenultimateConcat {
        /// `model_index.json`'s `force_zeros_for_empty_prompt`.
        force_zeros_for_empty_prompt: bool,
    },
}

/// One tokenizer with its text encoder.
#[derive(Debug, Clone)]
pub struct TextEncoderPart {
    pub tokenizer: ClipTokenizer,
    pub model: ClipTextModel,
}

/// The conditioning for one prompt.
#[derive(Debug, Clone)]
pub struct Conditioning {
    /// `[1, 77, D]`: D = 768 (SD 1.x), 1024 (SD 2.x), 2048 (SDXL: 768 + 1280).
    pub cond: Tensor,
    /// `[1, 77, D]`, only with classifier-free guidance.
    pub uncond: Option<Tensor>,
    /// `[1, P]` (SDXL only): the second encoder's projected pooled output.
    pub pooled: Option<Tensor>,
    /// `[1, P]` (SDXL only, with classifier-free guidance).
    pub uncond_pooled: Option<Tensor>,
    /// The end of the prompt that did not fit in 77 tokens, to warn the user.
    pub dropped: Option<String>,
}

/// Turns prompts into conditioning; the pipeline holds one and tests can swap in another.
pub trait TextEncoder {
    /// `negative`: `None` means "no negative prompt" (SDXL then uses zeros), `Some("")` is
    /// an explicit empty prompt and is encoded. `guidance`: whether to make `uncond`, see
    /// [`classifier_free_guidance`].
    fn encode(
        &self,
        prompt: &str,
        negative: Option<&str>,
        guidance: bool,
    ) -> Result<Conditioning, TextError>;
}

/// The text side of an SD, SD 2 or SDXL pipeline.
#[derive(Debug, Clone)]
pub struct PromptEncoder {
    parts: Vec<TextEncoderPart>,
    kind: PromptEncoderKind,
    device: Device,
}

fn weights_file(dir: &Path) -> Result<PathBuf, TextError> {
    for name in ["model.safetensors", "model.fp16.safetensors"] {
        let p = dir.join(name);
        if p.is_file() {
            return Ok(p);
        }
    }
    Err(TextError::MissingWeights {
        dir: dir.to_path_buf(),
    })
}

/// Loads `<root>/<encoder>` (config and weights) with `<root>/<tokenizer>`.
pub fn load_part(
    root: &Path,
    encoder: &str,
    tokenizer: &str,
    dtype: DType,
    device: &Device,
    ctx: &LoadContext,
) -> Result<TextEncoderPart, TextError> {
    let dir = root.join(encoder);
    let config_path = dir.join("config.json");
    let cfg: ClipTextConfig = read_json(&config_path, "CLIP text encoder config")?;
    let weights = weights_file(&dir)?;
    let bytes = std::fs::read(&weights).map_err(|source| TextError::Read {
        path: weights.clone(),
        source,
    })?;
    let bad = |e: candle_core::Error| TextError::Weights {
        path: weights.clone(),
        config: config_path.clone(),
        message: e.to_string(),
    };
    let vb = VarBuilder::from_buffered_safetensors(bytes, dtype, device).map_err(bad)?;
    let model = ClipTextModel::load(vb, &cfg, ctx).map_err(bad)?;
    let tokenizer = ClipTokenizer::from_dir(&root.join(tokenizer))?;
    Ok(TextEncoderPart { tokenizer, model })
}

impl PromptEncoder {
    /// Loads the tokenizer(s) and text encoder(s) of a diffusers model folder; SDXL when
    /// `model_index.json` names a `text_encoder_2`.
    /// `ctx`: the kernels and weight storage the encoders are built with.
    pub fn load(
        root: &Path,
        dtype: DType,
        device: &Device,
        ctx: &LoadContext,
    ) -> Result<Self, TextError> {
        let index: ModelIndex = read_json(&root.join("model_index.json"), "model_index.json")?;
        let has_first = matches!(&index.text_encoder, Some((Some(_), Some(_))));
        if index.has_text_encoder_2() {
            let mut parts = Vec::new();
            if has_first {
                parts.push(load_part(
                    root,
                    "text_encoder",
                    "tokenizer",
                    dtype,
                    device,
                    ctx,
                )?);
            }
            parts.push(load_part(
                root,
                "text_encoder_2",
                "tokenizer_2",
                dtype,
                device,
                ctx,
            )?);
            let kind = PromptEncoderKind::PenultimateConcat {
                force_zeros_for_empty_prompt: index.force_zeros_for_empty_prompt.unwrap_or(true),
            };
            Self::from_parts(parts, kind, device)
        } else if has_first {
            let part = load_part(root, "text_encoder", "tokenizer", dtype, device, ctx)?;
            Self::from_parts(vec![part], PromptEncoderKind::LastHiddenState, device)
        } else {
            Err(TextError::MissingComponent {
                dir: root.to_path_buf(),
                what: "text encoder",
                hint: "model_index.json lists neither text_encoder nor text_encoder_2; \
                       reportfig needs a Stable Diffusion model with its text encoder",
            })
        }
    }

    /// Assembles an encoder from loaded parts (in pipeline order: `text_encoder`, then
    /// `text_encoder_2`).
    pub fn from_parts(
        parts: Vec<TextEncoderPart>,
        kind: PromptEncoderKind,
        device: &Device,
    ) -> Result<Self, TextError> {
        let ok = match kind {
            PromptEncoderKind::LastHiddenState => parts.len() == 1,
            PromptEncoderKind::PenultimateConcat { .. } => {
                !parts.is_empty() && parts.iter().any(|p| p.model.has_projection())
            }
        };
        if !ok {
            return Err(TextError::MissingComponent {
                dir: PathBuf::from("(model)"),
                what: "usable text encoder set",
                hint: "SD 1.x/2.x needs exactly one text encoder; SDXL needs one with a \
                       projection (CLIPTextModelWithProjection in text_encoder_2)",
            });
        }
        Ok(Self {
            parts,
            kind,
            device: device.clone(),
        })
    }

    pub fn kind(&self) -> PromptEncoderKind {
        self.kind
    }

    pub fn parts(&self) -> &[TextEncoderPart] {
        &self.parts
    }

    /// Runs every encoder on `text`; returns the outputs and what the first tokenizer dropped.
    fn run(&self, text: &str) -> Result<(Vec<ClipOutput>, Option<String>), TextError> {
        let mut outs = Vec::with_capacity(self.parts.len());
        let mut dropped = None;
        for (i, part) in self.parts.iter().enumerate() {
            let tok = part.tokenizer.encode(text)?;
            if i == 0 {
                dropped = tok.dropped;
            }
            let n = tok.ids.len();
            let ids = Tensor::from_vec(tok.ids, (1, n), &self.device)?;
            outs.push(part.model.forward(&ids)?);
        }
        Ok((outs, dropped))
    }

    /// `[1, 77, D]` hidden states and, for SDXL, the `[1, P]` pooled output of one text.
    fn embed(&self, text: &str) -> Result<(Tensor, Option<Tensor>, Option<String>), TextError> {
        let (outs, dropped) = self.run(text)?;
        match self.kind {
            PromptEncoderKind::LastHiddenState => {
                Ok((outs[0].last_hidden_state.clone(), None, dropped))
            }
            PromptEncoderKind::PenultimateConcat { .. } => {
                let states: Vec<&Tensor> = outs.iter().map(|o| &o.penultimate).collect();
                let cond = Tensor::cat(&states, 2)?;
                // diffusers keeps the pooled output of the first encoder whose output is 2-D,
                // i.e. the first with a projection.
                let pooled = self
                    .parts
                    .iter()
                    .zip(&outs)
                    .find(|(p, _)| p.model.has_projection())
                    .map(|(_, o)| o.pooled.clone());
                Ok((cond, pooled, dropped))
            }
        }
    }
}

impl TextEncoder for PromptEncoder {
    fn encode(
        &self,
        prompt: &str,
        negative: Option<&str>,
        guidance: bool,
    ) -> Result<Conditioning, TextError> {
        let (cond, pooled, dropped) = self.embed(prompt)?;
        let (uncond, uncond_pooled) = match (guidance, self.kind, negative) {
            (false, _, _) => (None, None),
            (
                true,
                PromptEncoderKind::PenultimateConcat {
                    force_zeros_for_empty_prompt: true,
                },
                None,
            ) => (
                Some(cond.zeros_like()?),
                pooled.as_ref().map(Tensor::zeros_like).transpose()?,
            ),
            (true, _, negative) => {
                let (u, up, _) = self.embed(negative.unwrap_or(""))?;
                (Some(u), up)
            }
        };
        Ok(Conditioning {
            cond,
            uncond,
            pooled,
            uncond_pooled,
            dropped,
        })
    }
}
