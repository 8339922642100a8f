//! transformers' `MarianMTModel`, built from its `config.json`, with the checkpoint's names:
//! `model.shared.weight`, `model.encoder.layers.N.self_attn.q_proj`, `…self_attn_layer_norm`,
//! `…fc1`, `model.decoder.layers.N.encoder_attn.k_proj`, `final_logits_bias`; `lm_head` is tied
//! to the shared embeddings as transformers ties it.
//!
//! Why not candle-transformers' `marian` module: it has fixed configs, recomputes the
//! cross-attention keys and values at every step and has no beam search. Here the decoder runs
//! one position at a time with a self-attention cache, and the cross-attention keys and values
//! are computed once per input and shared by all of its beams.

use candle_core::{DType, Device, Module, Result, Tensor, D};
use candle_nn::VarBuilder;

use super::config::{Activation, MarianConfig};
use crate::pipeline::kernels::Isa;
use crate::pipeline::layers::{self, LayerNorm, Linear, LoadContext};

/// `nn.LayerNorm`'s default, which Marian's layers keep.
const LAYER_NORM_EPS: f64 = 1e-5;

impl Activation {
    fn apply(self, isa: Isa, x: &Tensor) -> Result<Tensor> {
        match self {
            Activation::Silu => layers::silu(isa, x),
            Activation::Gelu => layers::gelu_exact(isa, x),
            Activation::GeluTanh => x.gelu(),
            Activation::Relu => x.relu(),
        }
    }
}

/// transformers' `MarianSinusoidalPositionalEmbedding.create_weight`: sines in the first half
/// of each row, cosines in the second (not interleaved), computed in f64 as numpy does there
/// and rounded to f32 once. Checkpoints saved by transformers 5 leave this table out.
///
/// -> `[n_positions, dim]`
pub fn sinusoidal_positions(n_positions: usize, dim: usize, device: &Device) -> Result<Tensor> {
    let sentinel = dim.div_ceil(2);
    let mut out = vec![0f32; n_positions * dim];
    for pos in 0..n_positions {
        let row = &mut out[pos * dim..(pos + 1) * dim];
        let angle = |j: usize| pos as f64 / 10000f64.powf((2 * (j / 2)) as f64 / dim as f64);
        // Even feature indices feed the sines, odd ones the cosines.
        for (i, j) in (0..dim).step_by(2).enumerate() {
            row[i] = angle(j).sin() as f32;
        }
        for (i, j) in (1..dim).step_by(2).enumerate() {
            row[sentinel + i] = angle(j).cos() as f32;
        }
    }
    Tensor::from_vec(out, (n_positions, dim), device)
}

#[derive(Debug, Clone)]
struct Attention {
    /// `q_proj`, `k_proj` and `v_proj` in one product (rows in that order).
    qkv: Linear,
    /// `q_proj` alone and `k_proj`/`v_proj` together, for cross-attention, whose keys and
    /// values come from the encoder once per input.
    q: Linear,
    kv: Linear,
    out_proj: Linear,
    heads: usize,
    head_dim: usize,
    isa: Isa,
}

impl Attention {
    fn load(vb: VarBuilder, ctx: &LoadContext, dim: usize, heads: usize) -> Result<Self> {
        let get = |name: &str| -> Result<(Tensor, Tensor)> {
            let p = vb.pp(name);
            Ok((p.get((dim, dim), "weight")?, p.get(dim, "bias")?))
        };
        let (qw, qb) = get("q_proj")?;
        let (kw, kb) = get("k_proj")?;
        let (vw, vbias) = get("v_proj")?;
        let qkv = Linear::from_parts(
            ctx,
            Tensor::cat(&[&qw, &kw, &vw], 0)?,
            Some(Tensor::cat(&[&qb, &kb, &vbias], 0)?),
        )?;
        let kv = Linear::from_parts(
            ctx,
            Tensor::cat(&[&kw, &vw], 0)?,
            Some(Tensor::cat(&[&kb, &vbias], 0)?),
        )?;
        Ok(Self {
            qkv,
            q: Linear::from_parts(ctx, qw, Some(qb))?,
            kv,
            out_proj: Linear::load(vb.pp("out_proj"), ctx, dim, dim)?,
            heads,
            head_dim: dim / heads,
            isa: ctx.isa,
        })
    }

    fn scale(&self) -> f64 {
        (self.head_dim as f64).powf(-0.5)
    }

    /// `[b, n, heads·hd]` -> `[b, heads, n, hd]`
    fn split(&self, t: &Tensor) -> Result<Tensor> {
        let (b, n, _) = t.dims3()?;
        t.reshape((b, n, self.heads, self.head_dim))?
            .transpose(1, 2)
    }

    /// `[b, heads, n, hd]` -> `[b, n, heads·hd]`
    fn merge(&self, t: &Tensor) -> Result<Tensor> {
        let (b, _, n, _) = t.dims4()?;
        t.transpose(1, 2)?
            .contiguous()?
            .reshape((b, n, self.heads * self.head_dim))
    }

    /// Queries, keys and values of `x` `[b, n, d]`, each `[b, heads, n, hd]`.
    fn project_qkv(&self, x: &Tensor) -> Result<(Tensor, Tensor, Tensor)> {
        let d = self.heads * self.head_dim;
        let y = self.qkv.forward(x)?;
        Ok((
            self.split(&y.narrow(D::Minus1, 0, d)?)?,
            self.split(&y.narrow(D::Minus1, d, d)?)?,
            self.split(&y.narrow(D::Minus1, 2 * d, d)?)?,
        ))
    }

    /// Keys and values of the encoder states `[b, s, d]`, each `[b, heads, s, hd]`.
    fn project_kv(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let d = self.heads * self.head_dim;
        let y = self.kv.forward(x)?;
        Ok((
            self.split(&y.narrow(D::Minus1, 0, d)?)?.contiguous()?,
            self.split(&y.narrow(D::Minus1, d, d)?)?.contiguous()?,
        ))
    }

    fn attend(&self, q: &Tensor, k: &Tensor, v: &Tensor, bias: Option<&Tensor>) -> Result<Tensor> {
        match bias {
            Some(b) => layers::attention_with_bias(q, k, v, self.scale(), b),
            None => layers::attention(self.isa, q, k, v, self.scale()),
        }
    }

    /// Self-attention over the whole of `x` `[b, n, d]`; `bias` broadcasts to
    /// `[b, heads, n, n]` (padding or causal mask).
    fn forward_self(&self, x: &Tensor, bias: Option<&Tensor>) -> Result<Tensor> {
        let (q, k, v) = self.project_qkv(x)?;
        let y = self.attend(&q, &k, &v, bias)?;
        self.out_proj.forward(&self.merge(&y)?)
    }
}

#[derive(Debug, Clone)]
struct FeedForward {
    fc1: Linear,
    fc2: Linear,
    act: Activation,
    isa: Isa,
}

impl FeedForward {
    fn load(
        vb: &VarBuilder,
        ctx: &LoadContext,
        dim: usize,
        ffn: usize,
        act: Activation,
    ) -> Result<Self> {
        Ok(Self {
            fc1: Linear::load(vb.pp("fc1"), ctx, dim, ffn)?,
            fc2: Linear::load(vb.pp("fc2"), ctx, ffn, dim)?,
            act,
            isa: ctx.isa,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.fc2
            .forward(&self.act.apply(self.isa, &self.fc1.forward(x)?)?)
    }
}

#[derive(Debug, Clone)]
struct EncoderLayer {
    self_attn: Attention,
    self_attn_layer_norm: LayerNorm,
    ffn: FeedForward,
    final_layer_norm: LayerNorm,
}

impl EncoderLayer {
    fn load(
        vb: VarBuilder,
        ctx: &LoadContext,
        cfg: &MarianConfig,
        act: Activation,
    ) -> Result<Self> {
        let d = cfg.d_model;
        Ok(Self {
            self_attn: Attention::load(vb.pp("self_attn"), ctx, d, cfg.encoder_attention_heads)?,
            self_attn_layer_norm: LayerNorm::load(
                vb.pp("self_attn_layer_norm"),
                d,
                LAYER_NORM_EPS,
            )?,
            ffn: FeedForward::load(&vb, ctx, d, cfg.encoder_ffn_dim, act)?,
            final_layer_norm: LayerNorm::load(vb.pp("final_layer_norm"), d, LAYER_NORM_EPS)?,
        })
    }

    /// Post-norm residual blocks, as Marian (and Bart) have them.
    fn forward(&self, x: &Tensor, bias: Option<&Tensor>) -> Result<Tensor> {
        let h = (x + self.self_attn.forward_self(x, bias)?)?;
        let h = self.self_attn_layer_norm.forward(&h)?;
        let h = (&h + self.ffn.forward(&h)?)?;
        self.final_layer_norm.forward(&h)
    }
}

#[derive(Debug, Clone)]
struct DecoderLayer {
    self_attn: Attention,
    self_attn_layer_norm: LayerNorm,
    encoder_attn: Attention,
    encoder_attn_layer_norm: LayerNorm,
    ffn: FeedForward,
    final_layer_norm: LayerNorm,
}

impl DecoderLayer {
    fn load(
        vb: VarBuilder,
        ctx: &LoadContext,
        cfg: &MarianConfig,
        act: Activation,
    ) -> Result<Self> {
        let d = cfg.d_model;
        let heads = cfg.decoder_attention_heads;
        let norm = |name: &str| LayerNorm::load(vb.pp(name), d, LAYER_NORM_EPS);
        Ok(Self {
            self_attn: Attention::load(vb.pp("self_attn"), ctx, d, heads)?,
            self_attn_layer_norm: norm("self_attn_layer_norm")?,
            encoder_attn: Attention::load(vb.pp("encoder_attn"), ctx, d, heads)?,
            encoder_attn_layer_norm: norm("encoder_attn_layer_norm")?,
            ffn: FeedForward::load(&vb, ctx, d, cfg.decoder_ffn_dim, act)?,
            final_layer_norm: norm("final_layer_norm")?,
        })
    }

    /// The cross-attention and feed-forward halves, shared by the full and the cached pass.
    /// `q` `[b, heads, n, hd]` are the cross-attention queries of `h`.
    fn cross_and_ffn(
        &self,
        h: &Tensor,
        q: &Tensor,
        cross: &CrossKv,
        bias: Option<&Tensor>,
    ) -> Result<Tensor> {
        let a = self.encoder_attn.attend(q, &cross.k, &cross.v, bias)?;
        let a = self
            .encoder_attn
            .out_proj
            .forward(&self.encoder_attn.merge(&a)?)?;
        let h = self.encoder_attn_layer_norm.forward(&(h + a)?)?;
        let h = (&h + self.ffn.forward(&h)?)?;
        self.final_layer_norm.forward(&h)
    }
}

/// One layer's cross-attention keys and values, `[items, heads, s, hd]`.
#[derive(Debug, Clone)]
struct CrossKv {
    k: Tensor,
    v: Tensor,
}

/// Encoder output for a batch of inputs, ready for the decoder.
#[derive(Debug, Clone)]
pub struct Encoded {
    /// `[items, s, d]`: the encoder's last hidden state, padded to the longest input.
    pub hidden: Tensor,
    /// `[items, 1, 1, s]`: 0 on real positions and -inf on padding; `None` when nothing is
    /// padded.
    pub bias: Option<Tensor>,
}

impl Encoded {
    /// Pads each input's `[1, s_i, d]` states to the longest and stacks them.
    pub fn stack(hidden: &[Tensor]) -> Result<Self> {
        let lens = hidden
            .iter()
            .map(|h| h.dim(1))
            .collect::<Result<Vec<_>>>()?;
        let s = lens.iter().copied().max().unwrap_or(0);
        let padded = hidden
            .iter()
            .zip(&lens)
            .map(|(h, &n)| h.pad_with_zeros(1, 0, s - n))
            .collect::<Result<Vec<_>>>()?;
        let hidden_t = Tensor::cat(&padded, 0)?;
        let bias = if lens.iter().all(|&n| n == s) {
            None
        } else {
            let v: Vec<f32> = lens
                .iter()
                .flat_map(|&n| (0..s).map(move |j| if j < n { 0.0 } else { f32::NEG_INFINITY }))
                .collect();
            Some(Tensor::from_vec(
                v,
                (lens.len(), 1, 1, s),
                hidden_t.device(),
            )?)
        };
        Ok(Self {
            hidden: hidden_t,
            bias,
        })
    }
}

/// What the decoder keeps between steps for a batch of inputs, each with the same number of
/// rows (beams).
#[derive(Debug, Clone)]
pub struct DecoderCache {
    cross: Vec<CrossKv>,
    cross_bias: Option<Tensor>,
    /// Per layer: keys and values of every position so far, `[rows, heads, t, hd]`.
    past: Vec<Option<(Tensor, Tensor)>>,
    /// Rows to take from `past` before the next step (beam reordering), if not the identity.
    pending: Option<Tensor>,
    rows_per_item: usize,
    len: usize,
}

impl DecoderCache {
    /// Positions decoded so far.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Keeps only the inputs `items` (old indices, in their new order) and makes new row `r`
    /// continue old row `rows[r]` (beam search's reordering); `rows.len()` must be
    /// `items.len()` times the rows per input.
    pub fn select(&mut self, items: &[usize], rows: &[usize]) -> Result<()> {
        if rows.len() != items.len() * self.rows_per_item {
            candle_core::bail!(
                "{} rows for {} inputs of {} rows each",
                rows.len(),
                items.len(),
                self.rows_per_item
            )
        }
        let n_items = self.cross.first().map(|c| c.k.dim(0)).transpose()?;
        if n_items != Some(items.len()) || items.iter().enumerate().any(|(i, &j)| i != j) {
            let device = self.cross[0].k.device().clone();
            let idx = Tensor::new(items.iter().map(|&i| i as u32).collect::<Vec<_>>(), &device)?;
            for c in &mut self.cross {
                c.k = c.k.index_select(&idx, 0)?;
                c.v = c.v.index_select(&idx, 0)?;
            }
            if let Some(b) = &self.cross_bias {
                self.cross_bias = Some(b.index_select(&idx, 0)?);
            }
        }
        // Before the first step there is nothing to reorder.
        let past_rows = match self.past.first() {
            Some(Some((k, _))) => k.dim(0)?,
            _ => {
                self.pending = None;
                return Ok(());
            }
        };
        // Compose with a reordering not applied yet (no step in between).
        let rows: Vec<u32> = match &self.pending {
            Some(p) => {
                let p = p.to_vec1::<u32>()?;
                rows.iter().map(|&r| p[r]).collect()
            }
            None => rows.iter().map(|&r| r as u32).collect(),
        };
        let identity =
            past_rows == rows.len() && rows.iter().enumerate().all(|(i, &r)| i as u32 == r);
        self.pending = if identity {
            None
        } else {
            let device = self.cross[0].k.device().clone();
            Some(Tensor::new(rows, &device)?)
        };
        Ok(())
    }
}

#[derive(Debug, Clone)]
struct Embeddings {
    tokens: Tensor,
    positions: Tensor,
    scale: f64,
}

impl Embeddings {
    /// ids: `[b, n]` u32 starting at `start` -> `[b, n, d]`
    fn forward(&self, ids: &Tensor, start: usize) -> Result<Tensor> {
        let (b, n) = ids.dims2()?;
        let max = self.positions.dim(0)?;
        if start + n > max {
            candle_core::bail!(
                "position {} is past the model's {max} positions (max_position_embeddings)",
                start + n - 1
            )
        }
        let x = self
            .tokens
            .index_select(&ids.flatten_all()?, 0)?
            .reshape((b, n, ()))?;
        let x = if self.scale != 1.0 {
            (x * self.scale)?
        } else {
            x
        };
        x.broadcast_add(&self.positions.narrow(0, start, n)?)
    }
}

/// A Marian translation model: encoder, decoder and the tied output projection.
#[derive(Debug, Clone)]
pub struct MarianMTModel {
    enc_embed: Embeddings,
    encoder: Vec<EncoderLayer>,
    dec_embed: Embeddings,
    decoder: Vec<DecoderLayer>,
    /// The output projection, with `final_logits_bias` as its bias.
    lm_head: Linear,
    vocab: usize,
    /// The kernels it was loaded with, for the decoding that runs over its logits.
    isa: Isa,
}

/// The first of `names` the checkpoint holds, or the first name's error.
fn first_present(vb: &VarBuilder, names: &[&str], shape: (usize, usize)) -> Result<Tensor> {
    let name = names
        .iter()
        .find(|n| vb.contains_tensor(n))
        .unwrap_or(&names[0]);
    vb.get(shape, name)
}

impl MarianMTModel {
    /// Builds the model from `cfg`, reading weights by their checkpoint names from `vb` (the
    /// checkpoint's root). Tied weights follow transformers: with `tie_word_embeddings` each
    /// of `model.shared`, `model.encoder.embed_tokens`, `model.decoder.embed_tokens` and
    /// `lm_head` is read under its own name if the checkpoint has it, else from the first of
    /// its tie group that is there (a `.bin` holds them all, a safetensors file only
    /// `model.shared.weight`). The layers are built with `ctx` (kernels, weight storage).
    pub fn load(vb: VarBuilder, cfg: &MarianConfig, ctx: &LoadContext) -> Result<Self> {
        let act = Activation::from_name(&cfg.activation_function)
            .map_err(|e| candle_core::Error::Msg(e.to_string()))?;
        let d = cfg.d_model;
        let v_src = cfg.vocab_size;
        let v_tgt = cfg.target_vocab_size();
        let tie = cfg.tie_word_embeddings;
        const SHARED: &str = "model.shared.weight";
        const ENC: &str = "model.encoder.embed_tokens.weight";
        const DEC: &str = "model.decoder.embed_tokens.weight";
        const HEAD: &str = "lm_head.weight";
        let (enc_tokens, dec_tokens, head) = if cfg.share_encoder_decoder_embeddings {
            let group = [SHARED, ENC, DEC, HEAD];
            let role = |own: &str| -> Result<Tensor> {
                if !tie || vb.contains_tensor(own) {
                    return vb.get((v_src, d), own);
                }
                first_present(&vb, &group, (v_src, d))
            };
            (role(ENC)?, role(DEC)?, role(HEAD)?)
        } else {
            let enc = vb.get((v_src, d), ENC)?;
            let dec = vb.get((v_tgt, d), DEC)?;
            let head = if tie {
                first_present(&vb, &[HEAD, DEC], (v_tgt, d))?
            } else {
                vb.get((v_tgt, d), HEAD)?
            };
            (enc, dec, head)
        };
        // A buffer transformers initialises to zeros when the checkpoint lacks it.
        let bias = if vb.contains_tensor("final_logits_bias") {
            vb.get((1, v_tgt), "final_logits_bias")?.reshape(v_tgt)?
        } else {
            Tensor::zeros(v_tgt, DType::F32, vb.device())?
        };
        let positions = sinusoidal_positions(cfg.max_position_embeddings, d, vb.device())?
            .to_dtype(vb.dtype())?;
        let scale = if cfg.scale_embedding {
            (d as f64).sqrt()
        } else {
            1.0
        };
        let m = vb.pp("model");
        let encoder = (0..cfg.encoder_layers)
            .map(|i| EncoderLayer::load(m.pp("encoder").pp("layers").pp(i), ctx, cfg, act))
            .collect::<Result<Vec<_>>>()?;
        let decoder = (0..cfg.decoder_layers)
            .map(|i| DecoderLayer::load(m.pp("decoder").pp("layers").pp(i), ctx, cfg, act))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            enc_embed: Embeddings {
                tokens: enc_tokens,
                positions: positions.clone(),
                scale,
            },
            encoder,
            dec_embed: Embeddings {
                tokens: dec_tokens,
                positions,
                scale,
            },
            decoder,
            lm_head: Linear::from_parts(ctx, head, Some(bias))?,
            vocab: v_tgt,
            isa: ctx.isa,
        })
    }

    /// The instruction set its kernels use.
    pub fn isa(&self) -> Isa {
        self.isa
    }

    /// Size of the output vocabulary (the logits' last dimension).
    pub fn vocab_size(&self) -> usize {
        self.vocab
    }

    /// Largest input the position table covers.
    pub fn max_positions(&self) -> usize {
        self.enc_embed.positions.dims()[0]
    }

    /// The encoder's last hidden state.
    ///
    /// ids: `[b, s]` u32, every row a real input (no padding) -> `[b, s, d]`
    pub fn encode(&self, ids: &Tensor) -> Result<Tensor> {
        let mut x = self.enc_embed.forward(ids, 0)?;
        for layer in &self.encoder {
            x = layer.forward(&x, None)?;
        }
        Ok(x)
    }

    /// A whole decoder pass over known tokens with a causal mask, no cache: what
    /// `model(input_ids, decoder_input_ids=…)` computes.
    ///
    /// ids: `[b, t]` u32 -> logits `[b, t, vocab]`
    pub fn decode_all(&self, ids: &Tensor, encoded: &Encoded) -> Result<Tensor> {
        let (_, t) = ids.dims2()?;
        let mut h = self.dec_embed.forward(ids, 0)?;
        let device = ids.device();
        let causal: Vec<f32> = (0..t)
            .flat_map(|i| (0..t).map(move |j| if j > i { f32::NEG_INFINITY } else { 0.0 }))
            .collect();
        let causal = Tensor::from_vec(causal, (t, t), device)?.to_dtype(h.dtype())?;
        for layer in &self.decoder {
            let (kc, vc) = layer.encoder_attn.project_kv(&encoded.hidden)?;
            let cross = CrossKv { k: kc, v: vc };
            let a = layer.self_attn.forward_self(&h, Some(&causal))?;
            let hs = layer.self_attn_layer_norm.forward(&(&h + a)?)?;
            let q = layer
                .encoder_attn
                .split(&layer.encoder_attn.q.forward(&hs)?)?;
            h = layer.cross_and_ffn(&hs, &q, &cross, encoded.bias.as_ref())?;
        }
        self.lm_head.forward(&h)
    }

    /// Prepares incremental decoding: the cross-attention keys and values of every layer,
    /// computed once, and an empty self-attention cache for `rows_per_item` rows (beams) per
    /// input.
    pub fn start(&self, encoded: &Encoded, rows_per_item: usize) -> Result<DecoderCache> {
        let cross = self
            .decoder
            .iter()
            .map(|l| {
                let (k, v) = l.encoder_attn.project_kv(&encoded.hidden)?;
                Ok(CrossKv { k, v })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(DecoderCache {
            cross,
            cross_bias: encoded.bias.clone(),
            past: vec![None; self.decoder.len()],
            pending: None,
            rows_per_item,
            len: 0,
        })
    }

    /// Decodes one more position for every row.
    ///
    /// tokens: one id per row (`items · rows_per_item`, the inputs' rows in order) -> logits
    /// `[rows, vocab]` for the next position.
    pub fn step(&self, tokens: &[u32], cache: &mut DecoderCache) -> Result<Tensor> {
        let device = cache.cross[0].k.device().clone();
        let rows = tokens.len();
        let items = cache.cross[0].k.dim(0)?;
        if rows != items * cache.rows_per_item {
            candle_core::bail!(
                "{rows} tokens for {items} inputs of {} rows",
                cache.rows_per_item
            )
        }
        let ids = Tensor::from_vec(tokens.to_vec(), (rows, 1), &device)?;
        let mut h = self.dec_embed.forward(&ids, cache.len)?;
        let pending = cache.pending.take();
        for (layer, (past, cross)) in self
            .decoder
            .iter()
            .zip(cache.past.iter_mut().zip(&cache.cross))
        {
            let sa = &layer.self_attn;
            let (q, k, v) = sa.project_qkv(&h)?;
            let (k, v) = match past.take() {
                None => (k.contiguous()?, v.contiguous()?),
                Some((pk, pv)) => {
                    let (pk, pv) = match &pending {
                        Some(idx) => (pk.index_select(idx, 0)?, pv.index_select(idx, 0)?),
                        None => (pk, pv),
                    };
                    (Tensor::cat(&[&pk, &k], 2)?, Tensor::cat(&[&pv, &v], 2)?)
                }
            };
            // One query per row sees every cached position: no mask.
            let a = sa.attend(&q, &k, &v, None)?;
            *past = Some((k, v));
            let a = sa.out_proj.forward(&sa.merge(&a)?)?;
            let hs = layer.self_attn_layer_norm.forward(&(&h + a)?)?;
            // Cross-attention: each input's beams are its query rows against its keys.
            let ca = &layer.encoder_attn;
            let q = ca.q.forward(&hs)?; // [rows, 1, d]
            let q = q
                .reshape((items, cache.rows_per_item, ca.heads, ca.head_dim))?
                .transpose(1, 2)?; // [items, heads, beams, hd]
            let a = ca.attend(&q, &cross.k, &cross.v, cache.cross_bias.as_ref())?;
            let a = a
                .transpose(1, 2)?
                .contiguous()?
                .reshape((rows, 1, ca.heads * ca.head_dim))?;
            let a = ca.out_proj.forward(&a)?;
            let hc = layer.encoder_attn_layer_norm.forward(&(&hs + a)?)?;
            let hf = (&hc + layer.ffn.forward(&hc)?)?;
            h = layer.final_layer_norm.forward(&hf)?;
        }
        cache.len += 1;
        self.lm_head.forward(&h)?.reshape((rows, self.vocab))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_sines_then_cosines() {
        let t = sinusoidal_positions(4, 6, &Device::Cpu).unwrap();
        let rows = t.to_vec2::<f32>().unwrap();
        assert_eq!(rows[0], vec![0., 0., 0., 1., 1., 1.]);
        // Position 3, features j = 0, 2, 4 (sines) and 1, 3, 5 (cosines), frequency from j/2.
        let f = |j: usize| 3.0 / 10000f64.powf((2 * (j / 2)) as f64 / 6.0);
        let want = [
            f(0).sin(),
            f(2).sin(),
            f(4).sin(),
            f(1).cos(),
            f(3).cos(),
            f(5).cos(),
        ];
        for (g, w) in rows[3].iter().zip(want) {
            assert_eq!(*g, w as f32);
        }
        // An odd width puts the extra feature in the sine half.
        let t = sinusoidal_positions(2, 5, &Device::Cpu).unwrap();
        assert_eq!(t.to_vec2::<f32>().unwrap()[0], vec![0., 0., 0., 1., 1.]);
    }
}
