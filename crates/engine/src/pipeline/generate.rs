//! `Pipeline`: load a diffusers-layout model once, then turn requests into images, following
//! diffusers' `StableDiffusionPipeline` / `StableDiffusionXLPipeline` step for step.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;

use crate::model::config::{
    read_json, ClipTextConfig, ConfigError, ModelIndex, UNetConfig, VaeConfig,
};
use crate::model::files::{Component, ModelFiles, WeightLayout};
use crate::model::single_file::{CheckpointPart, KeyMap, SingleFileError};
use crate::pipeline::crop;
use crate::pipeline::kernels::Isa;
use crate::pipeline::layers::{ConvAlgorithm, LoadContext, WeightStorage};
use crate::pipeline::lora::{self, Lora, LoraError, LoraPatch, LoraPatches, LoraTarget};
use crate::pipeline::noise::TorchGenerator;
use crate::pipeline::scheduler::{self, SamplerKind, SchedulerConfig};
use crate::pipeline::text::{
    classifier_free_guidance, ClipTextModel, ClipTokenizer, PromptEncoder, PromptEncoderKind,
    TextEncoder, TextEncoderPart,
};
use crate::pipeline::tiny_vae::TinyDecoder;
use crate::pipeline::unet::{guidance_scale_embedding, AddedConditioning, UNet2DConditionModel};
use crate::pipeline::vae::{self, AutoencoderKL, VaeUse};
use crate::pipeline::weights::ReadFailure;
use crate::request::{GenerationRequest, InitImage, MAX_GUIDANCE};

/// Why a model could not be loaded or an image not made.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot load the {component} weights from {}: {message}\nhint: the file may be incomplete or corrupt; delete it and download it again (reportfig models fetch), or check that the folder is a diffusers-layout model", path.display())]
    Weights {
        component: &'static str,
        path: PathBuf,
        message: String,
    },
    /// A diffusers folder's weights without a tensor the network needs.
    #[error("the {component} weights {} have no tensor {name}, which the network needs\nhint: the file is incomplete or belongs to another model: delete it and download it again (reportfig models fetch), or check that the folder is a diffusers-layout model", path.display())]
    MissingWeight {
        component: &'static str,
        path: PathBuf,
        name: String,
    },
    /// A tensor of a diffusers folder's weights with another shape than its config.json
    /// asks for: weights and config from different models.
    #[error("in the {component} weights {}, tensor {name} has shape {got:?} but the config in {} needs {expected:?}\nhint: the weights do not match config.json; check that both come from the same model and that the download is complete", path.display(), config_dir.display())]
    WeightShape {
        component: &'static str,
        path: PathBuf,
        name: String,
        config_dir: PathBuf,
        expected: Box<[usize]>,
        got: Box<[usize]>,
    },
    #[error("the {component} in {} cannot be built: {message}", path.display())]
    Build {
        component: &'static str,
        path: PathBuf,
        message: String,
    },
    /// Boxed: the variant is large and errors travel by value through every load.
    #[error(transparent)]
    Checkpoint(Box<SingleFileError>),
    #[error(transparent)]
    Text(#[from] crate::pipeline::text::TextError),
    #[error(transparent)]
    Lora(#[from] LoraError),
    #[error(transparent)]
    Scheduler(#[from] scheduler::SchedulerError),
    #[error(transparent)]
    Request(#[from] RequestError),
    #[error(transparent)]
    TinyVae(#[from] crate::pipeline::tiny_vae::TinyVaeError),
    /// A draft decoder made for other latents (an SDXL one on an SD 1.5 model, say).
    #[error("the draft decoder reads {decoder} latent channels but this model makes {model}\nhint: use a tiny decoder of the model's family: madebyollin/taesd for SD 1.x/2.x, madebyollin/taesdxl for SDXL")]
    DraftDecoderMismatch { decoder: usize, model: usize },
    /// An inpainting model (9-channel UNet) asked to draw without a picture and a mask.
    #[error("this is an inpainting model: it repaints a region of a picture and needs a starting picture and a mask\nhint: give --init-image FILE --mask FILE, or use an ordinary model to draw from a caption alone")]
    InpaintingModelNeedsMask,
    /// Not `#[source]`: candle's error may carry a backtrace, which the message leaves out.
    #[error("the computation failed: {}", plain_message(.0))]
    Compute(candle_core::Error),
    /// A stage produced NaN or infinity. Left unchecked this becomes an all-black or flat
    /// picture written as if it were fine; it comes from damaged weights (a bad download, a
    /// NaN bias) or from f16 overflowing, never from the request, which `check` bounds.
    #[error("the {stage} produced values that are not numbers (NaN or infinity), so the picture would be blank\nhint: the model's weights may be damaged: download the model again; if it uses f16, try f32")]
    NotFinite { stage: NumericStage },
    /// The caller's `should_stop` said so ([`Pipeline::generate_until`]).
    #[error("stopped before the image was finished")]
    Stopped,
}

/// What is wrong with a request or the pixels handed with it, found before any work. Typed,
/// not text, so a front end can say it in its user's words.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RequestError {
    #[error("{side} {value} is not a multiple of {multiple}; try {lower} or {upper}")]
    NotMultiple {
        /// `width` or `height`.
        side: &'static str,
        value: u32,
        multiple: u32,
        lower: u32,
        upper: u32,
    },
    #[error("steps must be at least 1")]
    NoSteps,
    #[error("guidance {value} must be between 0 and {max}")]
    Guidance { value: f64, max: f64 },
    #[error("strength {value} must be above 0 and at most 1")]
    Strength { value: f64 },
    #[error(
        "{steps} steps at strength {strength} leave no step to run; use a strength of at least \
         {least} or more steps"
    )]
    NoStepLeft {
        steps: u32,
        strength: f64,
        least: f64,
    },
    #[error("the {part} is {width}x{height}, the request {request_width}x{request_height}; resize it first")]
    PictureSize {
        part: StartPart,
        width: u32,
        height: u32,
        request_width: u32,
        request_height: u32,
    },
    #[error("the request's record and the pixels given disagree about the mask")]
    MaskDisagrees,
    #[error("the request starts from a picture, but its pixels were not given")]
    PixelsMissing,
    #[error("pixels were given for a request that starts from noise")]
    PixelsUnexpected,
    #[error("the VAE returned no image")]
    NoImage,
}

/// Which of the pixels handed with a request has the wrong size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartPart {
    Picture,
    Mask,
}

impl std::fmt::Display for StartPart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StartPart::Picture => "starting picture",
            StartPart::Mask => "mask",
        })
    }
}

/// Where in the pipeline a non-finite value was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumericStage {
    TextEncoder,
    /// The UNet's step `step` of `total` (1-based).
    UNet {
        step: usize,
        total: usize,
    },
    Vae,
}

impl std::fmt::Display for NumericStage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NumericStage::TextEncoder => f.write_str("text encoder"),
            NumericStage::UNet { step, total } => write!(f, "UNet (step {step} of {total})"),
            NumericStage::Vae => f.write_str("VAE decoder"),
        }
    }
}

/// Fails with [`PipelineError::NotFinite`] when any element of `t` is NaN or infinite. One
/// pass over the tensor: the latents are tiny next to what produced them.
fn ensure_finite(t: &Tensor, stage: NumericStage) -> Result<(), PipelineError> {
    let values = t.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?;
    if values.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(PipelineError::NotFinite { stage })
    }
}

impl From<candle_core::Error> for PipelineError {
    fn from(e: candle_core::Error) -> Self {
        PipelineError::Compute(e)
    }
}

impl PipelineError {
    /// Whether the user can fix this by changing the request or the model files (exit code
    /// 2); a failed computation is a run-time failure (exit code 1).
    pub fn is_user_input(&self) -> bool {
        !matches!(
            self,
            PipelineError::Compute(_) | PipelineError::NotFinite { .. } | PipelineError::Stopped
        )
    }
}

fn is_backtrace_frame(line: &str) -> bool {
    let t = line.trim_start();
    line.len() > t.len()
        && t.split_once(": ")
            .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// candle's message without what a user cannot act on: the backtrace it attaches when
/// `RUST_BACKTRACE` is set, and its `path: "…"` prefix (our messages name the file already).
pub fn plain_message(e: &candle_core::Error) -> String {
    match e {
        candle_core::Error::WithBacktrace { inner, .. }
        | candle_core::Error::WithPath { inner, .. } => plain_message(inner),
        candle_core::Error::Context { inner, context } => {
            format!("{context}: {}", plain_message(inner))
        }
        e => e.to_string(),
    }
}

/// How to run: where, in which precision the weights are held, and (on the CPU) which
/// kernels and convolution algorithm the networks are built with. A front end fills it from
/// its flags and environment; the engine reads nothing else.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub device: Device,
    pub dtype: DType,
    /// The CPU kernels' instruction set (default: the widest this CPU has).
    pub isa: Isa,
    pub conv: ConvAlgorithm,
    /// What the VAE is loaded for: [`VaeUse::EncodeToo`] when pictures will be encoded
    /// (image to image), so its encoder gets the fast convolutions.
    pub vae_use: VaeUse,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            device: Device::Cpu,
            dtype: DType::F32,
            isa: Isa::detect(),
            conv: ConvAlgorithm::Auto,
            vae_use: VaeUse::Decode,
        }
    }
}

impl LoadOptions {
    /// The context every network of the model is built with. On the CPU, f16 means f16
    /// weights with f32 arithmetic: candle's f16 ops there are slow and our kernels are f32,
    /// so the weights load as f32, are packed into f16, and the activations stay f32.
    pub fn context(&self) -> LoadContext {
        let weights = if self.half_weights_on_cpu() {
            WeightStorage::F16
        } else {
            WeightStorage::F32
        };
        LoadContext::new(self.isa)
            .with_weights(weights)
            .with_conv(self.conv)
    }

    /// The dtype weights are read in (f32 when f16 is held in packed weights instead).
    pub fn load_dtype(&self) -> DType {
        if self.half_weights_on_cpu() {
            DType::F32
        } else {
            self.dtype
        }
    }

    fn half_weights_on_cpu(&self) -> bool {
        self.device.is_cpu() && self.dtype == DType::F16
    }
}

/// What the pipeline reports while it works; the caller decides how to show it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Progress {
    /// Prompt encoding finished.
    Encoded {
        seconds: f64,
    },
    /// Image-to-image: the starting picture was encoded by the VAE.
    ImageEncoded {
        seconds: f64,
    },
    /// UNet call `done` of `total` finished.
    Step {
        done: usize,
        total: usize,
    },
    /// The VAE is decoding.
    Decoding,
    Decoded {
        seconds: f64,
    },
}

/// One finished image and what it took.
#[derive(Debug, Clone)]
pub struct GeneratedImage {
    pub image: image::RgbImage,
    /// Words of the prompt that did not fit into the text encoder's window.
    pub dropped_words: Vec<String>,
    pub seconds: f64,
}

/// What the UNet is conditioned on for one request, as diffusers' pipelines pass it after
/// `encode_prompt` (kept per (prompt, negative, guidance on), so batch and compare runs encode
/// each distinct prompt once).
#[derive(Debug, Clone)]
pub struct Conditioning {
    /// `[batch, 77, D]`: uncond then cond when guidance is on (batch 2), else cond alone.
    pub hidden: Tensor,
    /// SDXL: the pooled text embedding `[batch, P]`, in the same order as `hidden`.
    pub pooled: Option<Tensor>,
    /// Words of the prompt that did not fit into the text encoder's window.
    pub dropped: Vec<String>,
}

/// The state after one call of the denoising loop, as diffusers' `callback_on_step_end` sees
/// it; lets tests and tools look inside a run without the library printing anything.
#[derive(Debug, Clone, Copy)]
pub struct StepState<'a> {
    /// 0-based index of the UNet call that just finished.
    pub index: usize,
    /// Number of UNet calls in the whole loop.
    pub total: usize,
    /// The timestep that call used.
    pub timestep: f64,
    /// Latents after the scheduler step, `[1, in_channels, height / f, width / f]`, f32.
    pub latents: &'a Tensor,
}

/// A loaded model, ready to make images.
pub struct Pipeline {
    device: Device,
    dtype: DType,
    text: PromptEncoder,
    unet: UNet2DConditionModel,
    unet_config: UNetConfig,
    vae: AutoencoderKL,
    vae_config: VaeConfig,
    /// Decodes instead of `vae` when set: drafts in a fraction of the time.
    draft_decoder: Option<TinyDecoder>,
    scheduler_config: SchedulerConfig,
    /// `None` when the config names a scheduler we do not have: a request must then choose
    /// its sampler, so such a model stays usable.
    default_sampler: Option<SamplerKind>,
    cache: HashMap<(String, Option<String>, bool), Conditioning>,
}

/// A network's weights, and the slot where its reader leaves the first tensor it could not
/// provide.
struct Weights {
    vb: VarBuilder<'static>,
    failure: Arc<Mutex<Option<ReadFailure>>>,
}

fn mapped_weights(
    component: &'static str,
    c: &Component,
) -> Result<crate::pipeline::weights::MappedWeights, PipelineError> {
    // SAFETY: the weights are memory-mapped read-only; the files belong to the user's model
    // folder or the hub cache and are not modified while reportfig runs. Mapping avoids
    // copying gigabytes of weights into memory.
    #[allow(unsafe_code)]
    let weights = unsafe { crate::pipeline::weights::MappedWeights::open(&c.weights) };
    weights.map_err(|e| PipelineError::Weights {
        component,
        path: c.weights.first().cloned().unwrap_or_default(),
        message: plain_message(&e),
    })
}

/// The weights of `c`, renamed for a single-file checkpoint's part (`map`), with `lora`
/// merged into them as they are read.
fn var_builder(
    component: &'static str,
    c: &Component,
    map: impl FnOnce(&CheckpointPart) -> Option<KeyMap>,
    lora: LoraPatch,
    dtype: DType,
    device: &Device,
) -> Result<Weights, PipelineError> {
    let mut weights = mapped_weights(component, c)?.with_lora(lora);
    if let WeightLayout::Checkpoint(part) = &c.layout {
        if let Some(m) = map(part) {
            weights = weights.renamed(m);
        }
    }
    let failure = weights.failure();
    Ok(Weights {
        vb: VarBuilder::from_backend(Box::new(weights), dtype, device.clone()),
        failure,
    })
}

/// The error for a network that could not be built: the tensor the weights lacked or that
/// had the wrong shape, as data, when that is what failed (for a single-file checkpoint, with
/// the file's key).
fn load_error(
    component: &'static str,
    c: &Component,
    failure: &Mutex<Option<ReadFailure>>,
    e: impl std::fmt::Display,
) -> PipelineError {
    let text = e.to_string();
    // The first failed read is the cause only if the error is about it: a module may have
    // tried a name and fallen back to another before something else failed.
    let failure = failure
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
        .filter(|f| match f {
            ReadFailure::Missing { key, .. } => text.contains(key.as_str()),
            ReadFailure::Shape { name, .. } => text.contains(name.as_str()),
        });
    let path = c.weights.first().cloned().unwrap_or_default();
    let config_dir = || c.config.parent().map(Path::to_path_buf).unwrap_or_default();
    if matches!(c.layout, WeightLayout::Diffusers) {
        return match failure {
            Some(ReadFailure::Missing { name, .. }) => PipelineError::MissingWeight {
                component,
                path,
                name,
            },
            Some(ReadFailure::Shape {
                name,
                expected,
                got,
                ..
            }) => PipelineError::WeightShape {
                component,
                path,
                name,
                config_dir: config_dir(),
                expected: expected.into(),
                got: got.into(),
            },
            None => build_error(component, c, e),
        };
    }
    match failure {
        Some(ReadFailure::Missing { name, key }) => {
            PipelineError::Checkpoint(Box::new(SingleFileError::MissingTensor {
                path,
                component,
                key,
                name,
            }))
        }
        Some(ReadFailure::Shape {
            key, expected, got, ..
        }) => PipelineError::Checkpoint(Box::new(SingleFileError::ShapeMismatch {
            path,
            component,
            key,
            config_dir: config_dir(),
            expected: expected.into(),
            got: got.into(),
        })),
        None => build_error(component, c, e),
    }
}

/// Matches every LoRA against the names and shapes of the model's weights (mapping only the
/// headers), before anything is loaded.
fn plan_loras(files: &ModelFiles, loras: &[Lora]) -> Result<LoraPatches, PipelineError> {
    if loras.is_empty() {
        return Ok(LoraPatches::default());
    }
    Ok(lora::plan(loras, &lora_targets(files)?)?)
}

/// The names and shapes LoRA modules are matched against: every network a LoRA may change,
/// read from the weight files' headers, with the UNet's LDM names as aliases. A single-file
/// checkpoint's keys are turned into the diffusers names its networks read them by, which are
/// the names the patches are applied under as the weights are read.
pub fn lora_targets(files: &ModelFiles) -> Result<lora::ModelWeights, PipelineError> {
    // kohya names UNet modules by diffusers' path or by the LDM one (SDXL, some SD 1.5).
    let unet_config: UNetConfig = read_json(&files.unet.config, "UNet config")?;
    let ldm = crate::model::single_file::UNetNames::new(&unet_config);
    let shapes = |component: &'static str, c: &Component| {
        let weights = mapped_weights(component, c)?;
        Ok::<_, PipelineError>(match &c.layout {
            WeightLayout::Diffusers => weights.shapes(),
            WeightLayout::Checkpoint(part) => {
                match KeyMap::for_part(part, Some(&unet_config), None) {
                    Some(map) => weights.shapes_as(&map),
                    None => weights.shapes(),
                }
            }
        })
    };
    let model = lora::ModelWeights {
        unet: shapes("UNet", &files.unet)?.with_aliases(|m| ldm.to_ldm(m)),
        text_encoder: shapes("text encoder", &files.text_encoder)?,
        text_encoder_2: match &files.text_encoder_2 {
            Some(c) => Some(shapes("second text encoder", c)?),
            None => None,
        },
    };
    Ok(model)
}

fn build_error(component: &'static str, c: &Component, e: impl std::fmt::Display) -> PipelineError {
    // candle's text ends in a backtrace when RUST_BACKTRACE is set (frames numbered
    // "   0: …"); keep what comes before it.
    let text = e.to_string();
    let mut message = text
        .lines()
        .take_while(|l| !is_backtrace_frame(l))
        .collect::<Vec<_>>()
        .join("\n");
    if message.contains("shape mismatch") && !message.contains("config.json") {
        message.push_str(
            "\nhint: the weights do not match config.json; check that both come from the same model and that the download is complete",
        );
    }
    PipelineError::Build {
        component,
        path: c.config.parent().map(Path::to_path_buf).unwrap_or_default(),
        message,
    }
}

impl Pipeline {
    /// Reads every component's config and maps its weights. Nothing is downloaded here.
    pub fn load(files: &ModelFiles, opts: &LoadOptions) -> Result<Self, PipelineError> {
        Self::load_with_loras(files, &[], opts)
    }

    /// [`Pipeline::load`] with `loras` merged into the weights, in order, as they are read
    /// (before packing, so they cost nothing per step). Every LoRA is checked against the
    /// model before any network is built.
    pub fn load_with_loras(
        files: &ModelFiles,
        loras: &[Lora],
        opts: &LoadOptions,
    ) -> Result<Self, PipelineError> {
        let index: ModelIndex = read_json(&files.model_index, "model_index.json")?;
        let mut patches = plan_loras(files, loras)?;
        let device = opts.device.clone();
        let dtype = opts.load_dtype();
        let ctx = opts.context();

        let part = |name: &'static str, c: &Component, tok: &Path, lora: LoraPatch| {
            let cfg: ClipTextConfig = read_json(&c.config, "text encoder config")?;
            let text_map = |p: &CheckpointPart| KeyMap::for_part(p, None, None);
            let w = var_builder(name, c, text_map, lora, dtype, &device)?;
            let model = ClipTextModel::load(w.vb, &cfg, &ctx)
                .map_err(|e| load_error(name, c, &w.failure, e))?;
            Ok::<_, PipelineError>(TextEncoderPart {
                tokenizer: ClipTokenizer::from_dir(tok)?,
                model,
            })
        };
        let text = match (&files.text_encoder_2, &files.tokenizer_2) {
            (Some(c2), Some(tok2)) => PromptEncoder::from_parts(
                vec![
                    part(
                        "text encoder",
                        &files.text_encoder,
                        &files.tokenizer,
                        patches.take(LoraTarget::TextEncoder),
                    )?,
                    part(
                        "second text encoder",
                        c2,
                        tok2,
                        patches.take(LoraTarget::TextEncoder2),
                    )?,
                ],
                PromptEncoderKind::PenultimateConcat {
                    force_zeros_for_empty_prompt: index
                        .force_zeros_for_empty_prompt
                        .unwrap_or(true),
                },
                &device,
            )?,
            _ => PromptEncoder::from_parts(
                vec![part(
                    "text encoder",
                    &files.text_encoder,
                    &files.tokenizer,
                    patches.take(LoraTarget::TextEncoder),
                )?],
                PromptEncoderKind::LastHiddenState,
                &device,
            )?,
        };

        let unet_config: UNetConfig = read_json(&files.unet.config, "UNet config")?;
        let unet_map = |p: &CheckpointPart| KeyMap::for_part(p, Some(&unet_config), None);
        let w = var_builder(
            "UNet",
            &files.unet,
            unet_map,
            patches.take(LoraTarget::Unet),
            dtype,
            &device,
        )?;
        let unet = UNet2DConditionModel::load(w.vb, &unet_config, &ctx)
            .map_err(|e| load_error("UNet", &files.unet, &w.failure, e))?;

        let vae_config: VaeConfig = read_json(&files.vae.config, "VAE config")?;
        let vae_map = |p: &CheckpointPart| KeyMap::for_part(p, None, Some(&vae_config));
        let w = var_builder(
            "VAE",
            &files.vae,
            vae_map,
            LoraPatch::default(),
            dtype,
            &device,
        )?;
        let vae = AutoencoderKL::load_for(w.vb, &vae_config, &ctx, opts.vae_use)
            .map_err(|e| load_error("VAE", &files.vae, &w.failure, e))?;

        let mut scheduler_config = SchedulerConfig::load(&files.scheduler_config)?;
        if let Some(p) = &files.prediction_type {
            scheduler_config.prediction_type = Some(p.clone());
        }
        if let Some(s) = &files.timestep_spacing {
            scheduler_config.timestep_spacing = Some(s.clone());
        }
        let class = scheduler_config.class_name.clone().unwrap_or_default();
        let default_sampler = match SamplerKind::from_class_name(&class, &scheduler_config) {
            Ok(kind) => Some(kind),
            Err(scheduler::SchedulerError::UnknownClass(_)) => None,
            Err(other) => return Err(other.into()),
        };

        // Packing weights at load leaves freed tensors as heap holes; give them back so the
        // resident size is what the model needs.
        crate::pipeline::memory::release_free_memory();
        Ok(Self {
            device,
            dtype,
            text,
            unet,
            unet_config,
            vae,
            vae_config,
            scheduler_config,
            default_sampler,
            cache: HashMap::new(),
            draft_decoder: None,
        })
    }

    /// The sampler the model's own scheduler config names, if it is one we have.
    pub fn default_sampler(&self) -> Option<SamplerKind> {
        self.default_sampler
    }

    /// Pixels per latent cell along each side (8 for every published SD model).
    pub fn pixel_stride(&self) -> usize {
        self.vae_config.downscale()
    }

    pub fn is_sdxl(&self) -> bool {
        matches!(
            self.text.kind(),
            PromptEncoderKind::PenultimateConcat { .. }
        )
    }

    pub fn unet_config(&self) -> &UNetConfig {
        &self.unet_config
    }

    /// Counts the tokens a text takes in the first tokenizer (for style budgets).
    pub fn count_tokens(&self, text: &str) -> usize {
        self.text.parts()[0].tokenizer.count_tokens(text)
    }

    /// Encodes a request's prompt and negative prompt as the denoising loop will use them
    /// (cached). `hidden` is `[2, 77, D]` (uncond, cond) when classifier-free guidance is on
    /// for this request and model, else `[1, 77, D]`.
    pub fn encode_prompt(
        &mut self,
        req: &GenerationRequest,
    ) -> Result<Conditioning, PipelineError> {
        let cfg = classifier_free_guidance(req.guidance, self.unet_config.time_cond_proj_dim);
        self.conditioning(req, cfg)
    }

    fn conditioning(
        &mut self,
        req: &GenerationRequest,
        cfg: bool,
    ) -> Result<Conditioning, PipelineError> {
        let key = (req.prompt.clone(), req.negative_prompt.clone(), cfg);
        if let Some(c) = self.cache.get(&key) {
            return Ok(c.clone());
        }
        let enc = self
            .text
            .encode(&req.prompt, req.negative_prompt.as_deref(), cfg)?;
        let hidden = match &enc.uncond {
            Some(u) => Tensor::cat(&[u, &enc.cond], 0)?,
            None => enc.cond.clone(),
        };
        let pooled = match (&enc.pooled, &enc.uncond_pooled) {
            (Some(p), Some(u)) => Some(Tensor::cat(&[u, p], 0)?),
            (Some(p), None) => Some(p.clone()),
            _ => None,
        };
        let c = Conditioning {
            hidden: hidden.to_dtype(self.dtype)?,
            pooled: pooled.map(|p| p.to_dtype(self.dtype)).transpose()?,
            dropped: enc
                .dropped
                .map(|d| d.split_whitespace().map(str::to_string).collect())
                .unwrap_or_default(),
        };
        self.cache.insert(key, c.clone());
        Ok(c)
    }

    /// Checks a request against this model before any work is done.
    pub fn check(&self, req: &GenerationRequest) -> Result<SamplerKind, PipelineError> {
        let f = self.pixel_stride() as u32;
        for (what, v) in [("width", req.width), ("height", req.height)] {
            if v == 0 || v % f != 0 {
                let lo = (v / f).max(1) * f;
                return Err(RequestError::NotMultiple {
                    side: what,
                    value: v,
                    multiple: f,
                    lower: lo,
                    upper: lo + f,
                }
                .into());
            }
        }
        if req.steps == 0 {
            return Err(RequestError::NoSteps.into());
        }
        if !(0.0..=MAX_GUIDANCE).contains(&req.guidance) {
            return Err(RequestError::Guidance {
                value: req.guidance,
                max: MAX_GUIDANCE,
            }
            .into());
        }
        if let Some(init) = &req.init_image {
            if !InitImage::strength_is_valid(init.strength) {
                return Err(RequestError::Strength {
                    value: init.strength,
                }
                .into());
            }
            if scheduler::img2img_start(req.steps as usize, init.strength).is_none() {
                return Err(RequestError::NoStepLeft {
                    steps: req.steps,
                    strength: init.strength,
                    least: 1.0 / req.steps as f64,
                }
                .into());
            }
        }
        match req.sampler.or(self.default_sampler) {
            Some(kind) => Ok(kind),
            None => Err(scheduler::SchedulerError::UnknownClass(
                self.scheduler_config.class_name.clone().unwrap_or_default(),
            )
            .into()),
        }
    }

    /// Makes the final latents for a request (before the VAE).
    ///
    /// Returns latents `[1, in_channels, height / f, width / f]`.
    pub fn denoise(
        &mut self,
        req: &GenerationRequest,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(Tensor, Vec<String>), PipelineError> {
        self.denoise_observed(req, None, progress, &mut |_| {})
    }

    /// [`Pipeline::denoise`], handing the latents after every UNet call to `on_step`.
    ///
    /// `init`: the pixels of `req.init_image`, for image-to-image as diffusers'
    /// `StableDiffusion(XL)Img2ImgPipeline` runs it: the VAE encodes them, the latent
    /// distribution is sampled (the generator's first draw), scaled, noised by the sampler's
    /// `add_noise` to the level where the shortened schedule starts (the second draw), and only
    /// the last `floor(steps * strength)` steps run. With a mask, as
    /// `StableDiffusion(XL)InpaintPipeline`: the picture with the repainted region blanked is
    /// encoded too (the third draw); a 9-channel inpainting UNet reads the mask and those
    /// latents beside its own, an ordinary UNet's result is blended after every step with the
    /// picture noised to the next step's level, so only the masked region changes.
    pub fn denoise_observed(
        &mut self,
        req: &GenerationRequest,
        init: Option<StartPicture<'_>>,
        progress: &mut dyn FnMut(Progress),
        on_step: &mut dyn FnMut(StepState<'_>),
    ) -> Result<(Tensor, Vec<String>), PipelineError> {
        self.denoise_until(req, init, progress, on_step, &|| false)
    }

    /// [`Pipeline::denoise_observed`] that gives up with [`PipelineError::Stopped`] before
    /// the next UNet call once `should_stop` returns true (a cancelled job of a server).
    pub fn denoise_until(
        &mut self,
        req: &GenerationRequest,
        init: Option<StartPicture<'_>>,
        progress: &mut dyn FnMut(Progress),
        on_step: &mut dyn FnMut(StepState<'_>),
        should_stop: &dyn Fn() -> bool,
    ) -> Result<(Tensor, Vec<String>), PipelineError> {
        let kind = self.check(req)?;
        let init = self.check_start(req, init)?;
        let cfg = classifier_free_guidance(req.guidance, self.unet_config.time_cond_proj_dim);
        let t0 = Instant::now();
        let cond = self.conditioning(req, cfg)?;
        ensure_finite(&cond.hidden, NumericStage::TextEncoder)?;
        progress(Progress::Encoded {
            seconds: t0.elapsed().as_secs_f64(),
        });

        let mut sched = scheduler::build(kind, &self.scheduler_config, req.steps as usize)?;
        let f = self.pixel_stride();
        let shape = [
            1,
            self.unet_config.out_channels,
            req.height as usize / f,
            req.width as usize / f,
        ];
        let inpainting_unet = self.is_inpainting_unet();
        // The noise is drawn on the CPU whatever the device, so a seed means one image.
        let mut rng = TorchGenerator::new(req.seed);
        let mut inpaint: Option<Inpainting> = None;
        let (mut latents, start) = match init {
            None => {
                let noise = rng.randn_tensor(&shape, &Device::Cpu)?;
                let latents = (noise * sched.init_noise_sigma())?.to_device(&self.device)?;
                (latents, 0)
            }
            Some((strength, picture)) => {
                let start = scheduler::img2img_start(req.steps as usize, strength)
                    .expect("checked by Pipeline::check");
                let t0 = Instant::now();
                let x = pixels_to_tensor(picture.image)?;
                // An inpainting UNet at full strength starts from pure noise and never needs
                // the picture's own latents (diffusers then skips that draw too).
                let full_strength = strength == 1.0;
                let skip_clean = picture.mask.is_some() && inpainting_unet && full_strength;
                let clean = match skip_clean {
                    true => None,
                    false => Some(self.encode_sample(&x, &mut rng)?),
                };
                let noise = rng.randn_tensor(&shape, &Device::Cpu)?;
                let latents = match (&clean, picture.mask) {
                    (_, Some(_)) if full_strength => (&noise * sched.init_noise_sigma())?,
                    (Some(clean), _) => sched.add_noise(clean, &noise, start)?,
                    (None, _) => {
                        unreachable!("the clean latents are only skipped at full strength")
                    }
                };
                if let Some(mask) = picture.mask {
                    let repaint = mask_to_tensor(mask)?;
                    let keep = repaint.affine(-1.0, 1.0)?;
                    let masked = self.encode_sample(&x.broadcast_mul(&keep)?, &mut rng)?;
                    let mask = downsample_nearest(&repaint, f)?;
                    let mask_on_device = mask.to_device(&self.device)?;
                    inpaint = Some(Inpainting {
                        keep: mask_on_device.affine(-1.0, 1.0)?,
                        mask_on_device,
                        mask,
                        masked,
                        clean,
                        noise,
                    });
                }
                progress(Progress::ImageEncoded {
                    seconds: t0.elapsed().as_secs_f64(),
                });
                (latents.to_device(&self.device)?, start)
            }
        };

        let added = match &cond.pooled {
            Some(pooled) => {
                // (original_size, crops_coords_top_left, target_size), all from the request
                // as diffusers computes them when none are passed.
                let (h, w) = (req.height as f32, req.width as f32);
                let ids = Tensor::new(&[h, w, 0.0, 0.0, h, w], &self.device)?
                    .unsqueeze(0)?
                    .repeat((pooled.dim(0)?, 1))?
                    .to_dtype(self.dtype)?;
                Some(AddedConditioning {
                    text_embeds: pooled.clone(),
                    time_ids: ids,
                })
            }
            None => None,
        };

        // LCM-distilled UNets take the guidance scale as an embedding instead of a second,
        // unconditional pass; diffusers embeds `guidance - 1`.
        let timestep_cond = match self.unet.time_cond_proj_dim() {
            Some(dim) => Some(
                guidance_scale_embedding(req.guidance - 1.0, dim, 1, &self.device)?
                    .to_dtype(self.dtype)?,
            ),
            None => None,
        };

        let timesteps = sched.timesteps().to_vec();
        let total = timesteps.len() - start;
        for (i, &t) in timesteps.iter().enumerate().skip(start) {
            if should_stop() {
                return Err(PipelineError::Stopped);
            }
            let input = if cfg {
                Tensor::cat(&[&latents, &latents], 0)?
            } else {
                latents.clone()
            };
            let input = sched.scale_model_input(&input, i)?;
            let input = match (&inpaint, inpainting_unet) {
                (Some(ip), true) => {
                    let n = input.dim(0)?;
                    let mask = ip.mask.repeat((n, 1, 1, 1))?.to_device(&self.device)?;
                    let masked = ip.masked.repeat((n, 1, 1, 1))?.to_device(&self.device)?;
                    Tensor::cat(&[&input, &mask, &masked], 1)?
                }
                _ => input,
            }
            .to_dtype(self.dtype)?;
            let out = self
                .unet
                .forward_with_timestep_cond(
                    &input,
                    t,
                    &cond.hidden,
                    timestep_cond.as_ref(),
                    added.as_ref(),
                )?
                .to_dtype(DType::F32)?;
            let guided = if cfg {
                let uncond = out.narrow(0, 0, 1)?;
                let text = out.narrow(0, 1, 1)?;
                (&uncond + ((text - &uncond)? * req.guidance)?)?
            } else {
                out
            };
            latents = sched.step(&guided, i, &latents, &mut rng)?;
            if let (Some(ip), false) = (&inpaint, inpainting_unet) {
                latents = ip.blend(&*sched, i, timesteps.len(), &latents)?;
            }
            let done = i - start + 1;
            ensure_finite(&latents, NumericStage::UNet { step: done, total })?;
            on_step(StepState {
                index: done - 1,
                total,
                timestep: t,
                latents: &latents,
            });
            progress(Progress::Step { done, total });
        }
        Ok((latents, cond.dropped))
    }

    /// Whether the UNet is an inpainting one: it reads the latents, the mask and the masked
    /// picture's latents (`in_channels` = 2 × latent channels + 1: 9 for Stable Diffusion).
    pub fn is_inpainting_unet(&self) -> bool {
        self.unet_config.in_channels == 2 * self.unet_config.out_channels + 1
    }

    /// The pixels handed with a request, checked against it: `(strength, picture)`.
    fn check_start<'p>(
        &self,
        req: &GenerationRequest,
        init: Option<StartPicture<'p>>,
    ) -> Result<Option<(f64, StartPicture<'p>)>, PipelineError> {
        let wrong_size = |part, width, height| -> PipelineError {
            RequestError::PictureSize {
                part,
                width,
                height,
                request_width: req.width,
                request_height: req.height,
            }
            .into()
        };
        let start = match (&req.init_image, init) {
            (Some(rec), Some(picture)) => {
                let image = picture.image;
                if image.dimensions() != (req.width, req.height) {
                    return Err(wrong_size(
                        StartPart::Picture,
                        image.width(),
                        image.height(),
                    ));
                }
                if let Some(mask) = picture.mask {
                    if mask.dimensions() != (req.width, req.height) {
                        return Err(wrong_size(StartPart::Mask, mask.width(), mask.height()));
                    }
                }
                if rec.mask.is_some() != picture.mask.is_some() {
                    return Err(RequestError::MaskDisagrees.into());
                }
                Some((rec.strength, picture))
            }
            (None, None) => None,
            (Some(_), None) => return Err(RequestError::PixelsMissing.into()),
            (None, Some(_)) => return Err(RequestError::PixelsUnexpected.into()),
        };
        let masked = start.as_ref().is_some_and(|(_, p)| p.mask.is_some());
        if self.is_inpainting_unet() && !masked {
            return Err(PipelineError::InpaintingModelNeedsMask);
        }
        Ok(start)
    }

    /// A picture `[1, 3, H, W]` in [-1, 1] -> one sample of its latents, scaled (and shifted)
    /// the way [`Pipeline::decode`] undoes, f32 on the CPU; draws from `rng` as diffusers'
    /// `retrieve_latents(vae.encode(x), generator)` does.
    fn encode_sample(&self, x: &Tensor, rng: &mut TorchGenerator) -> Result<Tensor, PipelineError> {
        let dist = self.vae.encode(&x.to_device(&self.device)?)?;
        let mut z = dist.sample(rng)?.to_device(&Device::Cpu)?;
        if let Some(shift) = self.vae_config.shift_factor {
            z = (z - shift)?;
        }
        let z = (z * self.vae_config.scaling_factor)?;
        ensure_finite(&z, NumericStage::Vae)?;
        Ok(z)
    }

    /// Decode with `decoder` (TAESD) instead of the model's VAE from now on, for drafts; it
    /// must read the latents this model makes.
    pub fn use_draft_decoder(&mut self, decoder: TinyDecoder) -> Result<(), PipelineError> {
        let (ours, theirs) = (
            self.unet_config.out_channels,
            decoder.config().latent_channels,
        );
        if ours != theirs {
            return Err(PipelineError::DraftDecoderMismatch {
                decoder: theirs,
                model: ours,
            });
        }
        self.draft_decoder = Some(decoder);
        Ok(())
    }

    /// Latents `[b, c, h, w]` -> images, as diffusers' VAE decode and postprocess do (with a
    /// draft decoder, as its pipelines do with `vae=AutoencoderTiny`).
    pub fn decode(&self, latents: &Tensor) -> Result<Vec<image::RgbImage>, PipelineError> {
        if let Some(tiny) = &self.draft_decoder {
            // The draft decoder is loaded on the CPU in f32 (it is small and fast there).
            let z = latents.to_device(&Device::Cpu)?.to_dtype(DType::F32)?;
            let z = (z / tiny.config().scaling_factor)?;
            let decoded = tiny.decode(&z)?;
            ensure_finite(&decoded, NumericStage::Vae)?;
            return Ok(vae::to_rgb8(&decoded)?);
        }
        let mut z = (latents / self.vae_config.scaling_factor)?;
        if let Some(shift) = self.vae_config.shift_factor {
            z = (z + shift)?;
        }
        let decoded = self
            .vae
            .decode(&z.to_dtype(self.dtype)?)?
            .to_dtype(DType::F32)?;
        ensure_finite(&decoded, NumericStage::Vae)?;
        Ok(vae::to_rgb8(&decoded)?)
    }

    /// One request in, one image out: `req.width`×`req.height`, or cropped (centred) to
    /// `req.crop_to_ratio` when the request asks for an exact ratio.
    pub fn generate(
        &mut self,
        req: &GenerationRequest,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<GeneratedImage, PipelineError> {
        self.generate_from(req, None, progress)
    }

    /// [`Pipeline::generate`] for a request that may start from a picture: `init` holds
    /// the pixels of `req.init_image` (see [`Pipeline::denoise_observed`]).
    pub fn generate_from(
        &mut self,
        req: &GenerationRequest,
        init: Option<StartPicture<'_>>,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<GeneratedImage, PipelineError> {
        self.generate_until(req, init, progress, &|| false)
    }

    /// [`Pipeline::generate_from`] that stops with [`PipelineError::Stopped`] before the
    /// next UNet call, or before the VAE, once `should_stop` returns true.
    pub fn generate_until(
        &mut self,
        req: &GenerationRequest,
        init: Option<StartPicture<'_>>,
        progress: &mut dyn FnMut(Progress),
        should_stop: &dyn Fn() -> bool,
    ) -> Result<GeneratedImage, PipelineError> {
        let start = Instant::now();
        let (latents, dropped_words) =
            self.denoise_until(req, init, progress, &mut |_| {}, should_stop)?;
        if should_stop() {
            return Err(PipelineError::Stopped);
        }
        progress(Progress::Decoding);
        let t = Instant::now();
        let mut images = self.decode(&latents)?;
        progress(Progress::Decoded {
            seconds: t.elapsed().as_secs_f64(),
        });
        let mut image = images
            .pop()
            .ok_or(PipelineError::Request(RequestError::NoImage))?;
        if let Some(ratio) = req.crop_to_ratio {
            image = crop::crop_to_ratio(image, ratio);
        }
        Ok(GeneratedImage {
            image,
            dropped_words,
            seconds: start.elapsed().as_secs_f64(),
        })
    }
}

/// The pixels an image-to-image request starts from, handed beside the request (which
/// records only the files they came from).
#[derive(Debug, Clone, Copy)]
pub struct StartPicture<'a> {
    /// Exactly the request's size.
    pub image: &'a image::RgbImage,
    /// Inpainting: the request's size; white (128 and up, as diffusers binarises at 0.5) is
    /// repainted, black is kept.
    pub mask: Option<&'a image::GrayImage>,
}

/// What inpainting carries through the loop.
struct Inpainting {
    /// `[1, 1, h, w]` at latent size, 1 where the picture is repainted.
    mask: Tensor,
    /// `1 - mask` on the latents' device, for the blend after every step.
    keep: Tensor,
    /// `mask` on the latents' device.
    mask_on_device: Tensor,
    /// Latents of the picture with the repainted region blanked (what a 9-channel UNet reads).
    masked: Tensor,
    /// Latents of the whole picture (absent only for a 9-channel UNet at full strength).
    clean: Option<Tensor>,
    /// The noise the start was made from, reused to noise the picture to each level.
    noise: Tensor,
}

impl Inpainting {
    /// An ordinary UNet's latents after call `i`: the kept region replaced by the picture
    /// noised to the next call's level (clean after the last), as diffusers blends them.
    fn blend(
        &self,
        sched: &dyn scheduler::Scheduler,
        i: usize,
        calls: usize,
        latents: &Tensor,
    ) -> candle_core::Result<Tensor> {
        let clean = self
            .clean
            .as_ref()
            .expect("an ordinary UNet always has the picture's latents");
        let proper = if i + 1 < calls {
            sched.add_noise(clean, &self.noise, i + 1)?
        } else {
            clean.clone()
        };
        let proper = proper.to_device(latents.device())?;
        self.keep.broadcast_mul(&proper)? + self.mask_on_device.broadcast_mul(latents)?
    }
}

/// 8-bit RGB -> `[1, 3, H, W]` f32 on the CPU in [-1, 1], as `VaeImageProcessor.preprocess`
/// normalises (`x / 255 * 2 - 1` in float32).
fn pixels_to_tensor(pixels: &image::RgbImage) -> candle_core::Result<Tensor> {
    let (w, h) = (pixels.width() as usize, pixels.height() as usize);
    let mut planar = vec![0f32; 3 * h * w];
    for (i, p) in pixels.pixels().enumerate() {
        for c in 0..3 {
            planar[c * h * w + i] = (p[c] as f32 / 255.0) * 2.0 - 1.0;
        }
    }
    Tensor::from_vec(planar, (1, 3, h, w), &Device::Cpu)
}

/// A grey mask -> `[1, 1, H, W]` f32 of 0 and 1 (the mask processor's binarisation at 0.5).
fn mask_to_tensor(mask: &image::GrayImage) -> candle_core::Result<Tensor> {
    let (w, h) = (mask.width() as usize, mask.height() as usize);
    let values = mask
        .pixels()
        .map(|p| {
            if p[0] as f32 / 255.0 >= 0.5 {
                1f32
            } else {
                0f32
            }
        })
        .collect();
    Tensor::from_vec(values, (1, 1, h, w), &Device::Cpu)
}

/// `torch.nn.functional.interpolate(mask, size=(H/f, W/f))` (nearest): every f-th pixel.
fn downsample_nearest(mask: &Tensor, f: usize) -> candle_core::Result<Tensor> {
    let (_, _, h, w) = mask.dims4()?;
    let rows: Vec<u32> = (0..h / f).map(|i| (i * f) as u32).collect();
    let cols: Vec<u32> = (0..w / f).map(|j| (j * f) as u32).collect();
    let rows = Tensor::new(rows.as_slice(), mask.device())?;
    let cols = Tensor::new(cols.as_slice(), mask.device())?;
    mask.index_select(&rows, 2)?.index_select(&cols, 3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_values_are_caught_and_named() {
        let stage = NumericStage::UNet { step: 2, total: 4 };
        let fine = Tensor::new(&[0.5f32, -3.0, 1e30], &Device::Cpu).unwrap();
        assert!(ensure_finite(&fine, stage).is_ok());
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let t = Tensor::new(&[[0.5f32, bad], [1.0, 2.0]], &Device::Cpu).unwrap();
            let err = ensure_finite(&t, stage).unwrap_err();
            assert!(matches!(err, PipelineError::NotFinite { stage: s } if s == stage));
            // A run-time failure (exit 1), not the user's input: the request was fine.
            assert!(!err.is_user_input());
            assert!(err.to_string().contains("UNet (step 2 of 4)"), "{err}");
        }
        // f16 latents overflow to infinity: checked in their own dtype's values.
        let half = Tensor::new(&[70000f32], &Device::Cpu)
            .unwrap()
            .to_dtype(DType::F16)
            .unwrap();
        assert!(ensure_finite(&half, NumericStage::Vae).is_err());
    }

    #[test]
    fn compute_failures_are_not_the_users_input() {
        let compute = PipelineError::from(candle_core::Error::Msg("out of memory".into()));
        assert!(!compute.is_user_input());
        assert!(PipelineError::from(RequestError::NoSteps).is_user_input());
        let weights = PipelineError::Weights {
            component: "UNet",
            path: PathBuf::from("m/unet/w.safetensors"),
            message: "header too large".into(),
        };
        assert!(weights.is_user_input());
    }

    #[test]
    fn candle_backtraces_and_path_prefixes_stay_out_of_messages() {
        let e = candle_core::Error::Msg("shape mismatch for conv_in.weight".into())
            .with_path("m/unet/w.safetensors");
        let e = candle_core::Error::WithBacktrace {
            inner: Box::new(e),
            backtrace: Box::new(std::backtrace::Backtrace::force_capture()),
        };
        let text = PipelineError::from(e).to_string();
        assert_eq!(
            text,
            "the computation failed: shape mismatch for conv_in.weight"
        );
        assert!(is_backtrace_frame("   0: candle_core::error::Error::bt"));
        assert!(!is_backtrace_frame("hint: 0: not a frame"));
    }
}
