//! Writes a full-size random-weight model in the diffusers layout from a folder of published
//! configs (`configs/reference/<repo>/`), so the whole command line (loading from
//! `.safetensors`, generate, batch) can be timed at real sizes without downloading weights.
//! Speed does not depend on the weights' values; the images are noise.
//!
//!     cargo run --release --example random_model -- configs/reference/stabilityai--sd-turbo DIR
//!
//! The tokenizer is the tiny test vocabulary (its ids are valid for any CLIP text encoder).

use std::path::Path;

use anyhow::Context;
use reportfig_engine::model::config::ClipTextConfig;
use reportfig_engine::pipeline::text::clip::ClipTextModel;
use reportfig_engine::pipeline::LoadContext;
use reportfig_testkit::recording::RecordingBackend;

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(configs), Some(out)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: random_model CONFIG_DIR OUT_DIR (see the file's header)");
    };
    let (configs, out) = (Path::new(&configs), Path::new(&out));
    std::fs::create_dir_all(out.join("scheduler"))?;
    std::fs::copy(
        configs.join("model_index.json"),
        out.join("model_index.json"),
    )?;
    std::fs::copy(
        configs.join("scheduler/scheduler_config.json"),
        out.join("scheduler/scheduler_config.json"),
    )?;
    for (encoder, tokenizer) in [
        ("text_encoder", "tokenizer"),
        ("text_encoder_2", "tokenizer_2"),
    ] {
        let config_path = configs.join(encoder).join("config.json");
        if !config_path.exists() {
            continue;
        }
        let text = read(&config_path)?;
        let cfg: ClipTextConfig = serde_json::from_str(&text)?;
        let rec = RecordingBackend::new(11);
        ClipTextModel::load(rec.var_builder(), &cfg, &LoadContext::default())?;
        std::fs::create_dir_all(out.join(encoder))?;
        std::fs::write(out.join(encoder).join("config.json"), &text)?;
        rec.save(&out.join(encoder).join("model.safetensors"))?;
        // OpenCLIP encoders (SD 2, SDXL's second) pad with "!", OpenAI CLIP with the end token.
        let pad = if cfg.hidden_act == "gelu" {
            "!"
        } else {
            "<|endoftext|>"
        };
        reportfig_testkit::tokenizer::write_tiny_clip_tokenizer(&out.join(tokenizer), pad)?;
        println!("{encoder} written");
    }
    reportfig_testkit::unet::write_unet(out, &read(&configs.join("unet/config.json"))?, 12)?;
    println!("unet written");
    reportfig_testkit::vae::write_vae_with_config(
        out,
        &read(&configs.join("vae/config.json"))?,
        13,
    )?;
    println!("vae written: {}", out.display());
    Ok(())
}
