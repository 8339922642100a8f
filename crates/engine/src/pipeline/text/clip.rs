//! The CLIP text transformer of transformers' `CLIPTextModel` and
//! `CLIPTextModelWithProjection`, built from any `CLIPTextConfig` (size, depth, heads,
//! activation, layer-norm epsilon), with the checkpoint's parameter names:
//! `text_model.embeddings.token_embedding.weight`,
//! `text_model.encoder.layers.N.self_attn.q_proj`, `…mlp.fc1`, `text_model.final_layer_norm`,
//! `text_projection.weight`.

use candle_core::{DType, Device, Module, Result, Tensor};
use candle_nn::VarBuilder;

use crate::model::config::ClipTextConfig;
use crate::pipeline::kernels::Isa;
use crate::pipeline::layers::{self, LayerNorm, Linear, LoadContext};

/// The activations transformers' `ACT2FN` offers that CLIP configs use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Activation {
    /// `"gelu"`: the exact erf GELU.
    Gelu,
    /// `"quick_gelu"`: `x σ(1.702 x)`, OpenAI CLIP's.
    QuickGelu,
    /// `"gelu_new"`, `"gelu_pytorch_tanh"`: the tanh approximation.
    GeluTanh,
}

impl Activation {
    fn from_name(name: &str) -> Result<Self> {
        Ok(match name {
            "gelu" => Self::Gelu,
            "quick_gelu" => Self::QuickGelu,
            "gelu_new" | "gelu_pytorch_tanh" => Self::GeluTanh,
            other => candle_core::bail!(
                "the text encoder's config.json asks for hidden_act \"{other}\", which reportfig \
                 does not support (it supports \"gelu\", \"quick_gelu\", \"gelu_new\" and \
                 \"gelu_pytorch_tanh\")"
            ),
        })
    }

    fn apply(self, isa: Isa, x: &Tensor) -> Result<Tensor> {
        match self {
            Self::Gelu => layers::gelu_exact(isa, x),
            Self::QuickGelu => layers::quick_gelu(x),
            Self::GeluTanh => x.gelu(),
        }
    }
}

/// Where the pooled output is taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pooling {
    /// Configs from before transformers PR #24773 say `eos_token_id: 2`: the position of the
    /// highest token id (the end-of-text token in CLIP's vocabulary).
    HighestId,
    /// The first position of this token id (position 0 when it does not occur).
    FirstOf(u32),
}

#[derive(Debug, Clone)]
struct Attention {
    q_proj: Linear,
    k_proj: Linear,
    v_proj: Linear,
    out_proj: Linear,
    heads: usize,
    head_dim: usize,
}

impl Attention {
    fn load(vb: VarBuilder, cfg: &ClipTextConfig, ctx: &LoadContext) -> Result<Self> {
        let h = cfg.hidden_size;
        Ok(Self {
            q_proj: Linear::load(vb.pp("q_proj"), ctx, h, h)?,
            k_proj: Linear::load(vb.pp("k_proj"), ctx, h, h)?,
            v_proj: Linear::load(vb.pp("v_proj"), ctx, h, h)?,
            out_proj: Linear::load(vb.pp("out_proj"), ctx, h, h)?,
            heads: cfg.num_attention_heads,
            head_dim: h / cfg.num_attention_heads,
        })
    }

    /// x: `[b, n, H]`, mask: `[n, n]` additive -> `[b, n, H]`
    fn forward(&self, x: &Tensor, mask: &Tensor) -> Result<Tensor> {
        let (b, n, h) = x.dims3()?;
        let split = |t: Tensor| -> Result<Tensor> {
            t.reshape((b, n, self.heads, self.head_dim))?
                .transpose(1, 2)?
                .contiguous()
        };
        let q = split(self.q_proj.forward(x)?)?;
        let k = split(self.k_proj.forward(x)?)?;
        let v = split(self.v_proj.forward(x)?)?;
        let scale = (self.head_dim as f64).powf(-0.5);
        let y = layers::attention_with_bias(&q, &k, &v, scale, mask)?;
        let y = y.transpose(1, 2)?.contiguous()?.reshape((b, n, h))?;
        self.out_proj.forward(&y)
    }
}

#[derive(Debug, Clone)]
struct EncoderLayer {
    layer_norm1: LayerNorm,
    self_attn: Attention,
    layer_norm2: LayerNorm,
    fc1: Linear,
    fc2: Linear,
    act: Activation,
    isa: Isa,
}

impl EncoderLayer {
    fn load(
        vb: VarBuilder,
        cfg: &ClipTextConfig,
        ctx: &LoadContext,
        act: Activation,
    ) -> Result<Self> {
        let h = cfg.hidden_size;
        let eps = cfg.layer_norm_eps;
        Ok(Self {
            layer_norm1: LayerNorm::load(vb.pp("layer_norm1"), h, eps)?,
            self_attn: Attention::load(vb.pp("self_attn"), cfg, ctx)?,
            layer_norm2: LayerNorm::load(vb.pp("layer_norm2"), h, eps)?,
            fc1: Linear::load(vb.pp("mlp").pp("fc1"), ctx, h, cfg.intermediate_size)?,
            fc2: Linear::load(vb.pp("mlp").pp("fc2"), ctx, cfg.intermediate_size, h)?,
            act,
            isa: ctx.isa,
        })
    }

    /// x: `[b, n, H]` -> `[b, n, H]` (pre-norm residual blocks)
    fn forward(&self, x: &Tensor, mask: &Tensor) -> Result<Tensor> {
        let x = (x + self
            .self_attn
            .forward(&self.layer_norm1.forward(x)?, mask)?)?;
        let y = self.fc1.forward(&self.layer_norm2.forward(&x)?)?;
        let y = self.fc2.forward(&self.act.apply(self.isa, &y)?)?;
        x + y
    }
}

/// What one pass of the text encoder gives.
#[derive(Debug, Clone)]
pub struct ClipOutput {
    /// `[b, n, H]`: the last layer's output after the final layer norm.
    pub last_hidden_state: Tensor,
    /// `[b, n, H]`: the input of the last layer, without the final layer norm
    /// (transformers' `hidden_states[-2]`).
    pub penultimate: Tensor,
    /// `[b, P]` (`text_embeds`) for a model with projection, else `[b, H]` (`pooler_output`).
    pub pooled: Tensor,
}

/// A CLIP text encoder, with its projection when the config names
/// `CLIPTextModelWithProjection`.
#[derive(Debug, Clone)]
pub struct ClipTextModel {
    token_embedding: Tensor,
    position_embedding: Tensor,
    layers: Vec<EncoderLayer>,
    final_layer_norm: LayerNorm,
    text_projection: Option<Linear>,
    pooling: Pooling,
    max_positions: usize,
}

impl ClipTextModel {
    /// Builds the model from `cfg`, reading weights by their checkpoint names. Published
    /// checkpoints put the transformer under `text_model.`; transformers 5 saves a plain
    /// `CLIPTextModel` without that prefix, and both are accepted.
    /// `ctx`: the kernels and weight storage every layer is built with.
    pub fn load(vb: VarBuilder, cfg: &ClipTextConfig, ctx: &LoadContext) -> Result<Self> {
        if cfg.num_attention_heads == 0 || !cfg.hidden_size.is_multiple_of(cfg.num_attention_heads)
        {
            candle_core::bail!(
                "the text encoder's config.json has hidden_size {} and num_attention_heads {}; \
                 the hidden size must be a multiple of the number of heads",
                cfg.hidden_size,
                cfg.num_attention_heads
            )
        }
        if cfg.num_hidden_layers == 0 {
            candle_core::bail!("the text encoder's config.json has num_hidden_layers 0")
        }
        let act = Activation::from_name(&cfg.hidden_act)?;
        let text_projection = if cfg.with_projection() {
            Some(Linear::load_no_bias(
                vb.pp("text_projection"),
                ctx,
                cfg.hidden_size,
                cfg.projection_dim,
            )?)
        } else {
            None
        };
        let tm = if vb.contains_tensor("text_model.embeddings.token_embedding.weight")
            || !vb.contains_tensor("embeddings.token_embedding.weight")
        {
            vb.pp("text_model")
        } else {
            vb
        };
        let h = cfg.hidden_size;
        let emb = tm.pp("embeddings");
        let init = candle_nn::Init::Randn {
            mean: 0.0,
            stdev: 1.0,
        };
        let token_embedding =
            emb.pp("token_embedding")
                .get_with_hints((cfg.vocab_size, h), "weight", init)?;
        let position_embedding = emb.pp("position_embedding").get_with_hints(
            (cfg.max_position_embeddings, h),
            "weight",
            init,
        )?;
        let layers = (0..cfg.num_hidden_layers)
            .map(|i| EncoderLayer::load(tm.pp("encoder").pp("layers").pp(i), cfg, ctx, act))
            .collect::<Result<Vec<_>>>()?;
        let final_layer_norm = LayerNorm::load(tm.pp("final_layer_norm"), h, cfg.layer_norm_eps)?;
        let pooling = if cfg.eos_token_id == 2 {
            Pooling::HighestId
        } else {
            Pooling::FirstOf(cfg.eos_token_id)
        };
        Ok(Self {
            token_embedding,
            position_embedding,
            layers,
            final_layer_norm,
            text_projection,
            pooling,
            max_positions: cfg.max_position_embeddings,
        })
    }

    /// Whether `pooled` is the projected `text_embeds` of `CLIPTextModelWithProjection`.
    pub fn has_projection(&self) -> bool {
        self.text_projection.is_some()
    }

    /// ids: `[b, n]` u32 (n ≤ `max_position_embeddings`, 77 for SD) -> hidden states
    /// `[b, n, H]` and the pooled `[b, H]` or projected `[b, P]` output.
    pub fn forward(&self, ids: &Tensor) -> Result<ClipOutput> {
        let (b, n) = ids.dims2()?;
        if n > self.max_positions {
            candle_core::bail!(
                "{n} token ids were given to a text encoder with {} positions",
                self.max_positions
            )
        }
        let device = ids.device();
        let ids = ids.to_dtype(DType::U32)?;
        let tokens = self
            .token_embedding
            .index_select(&ids.flatten_all()?, 0)?
            .reshape((b, n, ()))?;
        let positions = self.position_embedding.narrow(0, 0, n)?;
        let mut x = tokens.broadcast_add(&positions)?;
        let mask = causal_mask(n, device)?;
        let mut penultimate = x.clone();
        for layer in &self.layers {
            penultimate = x.clone();
            x = layer.forward(&x, &mask)?;
        }
        let last_hidden_state = self.final_layer_norm.forward(&x)?;
        let rows = ids.to_vec2::<u32>()?;
        let at: Vec<u32> = rows
            .iter()
            .map(|r| pool_position(r, self.pooling) as u32)
            .collect();
        let mut pooled = Vec::with_capacity(b);
        for (i, &p) in at.iter().enumerate() {
            pooled.push(last_hidden_state.get(i)?.get(p as usize)?);
        }
        let pooled = Tensor::stack(&pooled, 0)?;
        let pooled = match &self.text_projection {
            Some(p) => p.forward(&pooled)?,
            None => pooled,
        };
        Ok(ClipOutput {
            last_hidden_state,
            penultimate,
            pooled,
        })
    }
}

/// The position torch's `argmax` picks: the first of equal maxima.
fn pool_position(ids: &[u32], pooling: Pooling) -> usize {
    match pooling {
        Pooling::HighestId => {
            let mut best = 0;
            for (i, &id) in ids.iter().enumerate() {
                if id > ids[best] {
                    best = i;
                }
            }
            best
        }
        Pooling::FirstOf(eos) => ids.iter().position(|&id| id == eos).unwrap_or(0),
    }
}

/// `[n, n]`: 0 on and below the diagonal, -inf above, so each token sees only those before.
fn causal_mask(n: usize, device: &Device) -> Result<Tensor> {
    let values: Vec<f32> = (0..n)
        .flat_map(|i| (0..n).map(move |j| if j > i { f32::NEG_INFINITY } else { 0.0 }))
        .collect();
    Tensor::from_vec(values, (n, n), device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooling_positions_follow_torch_argmax() {
        assert_eq!(pool_position(&[5, 9, 3, 9, 9], Pooling::HighestId), 1);
        assert_eq!(pool_position(&[5, 7, 2, 2], Pooling::FirstOf(2)), 2);
        assert_eq!(pool_position(&[5, 7], Pooling::FirstOf(2)), 0);
    }
}
