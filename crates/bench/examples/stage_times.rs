//! Loads a model folder and makes the same image three times in one process, printing how long
//! each stage took: the first image pays for first-touch memory and one-time weight
//! transforms, the later ones show the steady state a batch runs at.
//!
//!     cargo run --release --example stage_times -- MODEL_DIR
//!
//! (A full-size random model for MODEL_DIR comes from the `random_model` example.)
//! `REPORTFIG_ISA=avx512|avx2|portable` times a narrower kernel path, as in the bench.

use std::time::Instant;

use anyhow::Context;
use reportfig::model::source::{resolve, HubOptions, ModelSource};
use reportfig_engine::pipeline::{memory, Isa, LoadOptions, Pipeline, Progress};
use reportfig_engine::GenerationRequest;

fn main() -> anyhow::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: stage_times MODEL_DIR"))?;
    let source = ModelSource::parse(&dir)?;
    let files = resolve(&source, &HubOptions::new(std::env::temp_dir()), &mut |_| {})?;
    // This example owns its process, as the binary and the bench do, so it sets the
    // allocator's policy (the engine no longer does): without it the VAE decode's large
    // activations are unmapped and faulted in again after every op, and the stage times
    // would not be the binary's.
    memory::keep_freed_memory_for_reuse();
    let isa = match std::env::var("REPORTFIG_ISA") {
        Ok(name) => Isa::from_name(&name).context("REPORTFIG_ISA")?,
        Err(_) => Isa::detect(),
    };
    let opts = LoadOptions {
        isa,
        ..LoadOptions::default()
    };
    let t = Instant::now();
    let mut pipe = Pipeline::load(&files, &opts)?;
    println!("load {:.2} s", t.elapsed().as_secs_f64());
    let req = GenerationRequest {
        caption: "City budget 2027 at a glance".into(),
        styles: Vec::new(),
        prompt: "City budget 2027 at a glance".into(),
        negative_prompt: None,
        width: 512,
        height: 512,
        steps: 1,
        guidance: 0.0,
        seed: 7,
        sampler: None,
        model: dir.clone(),
        model_revision: None,
        crop_to_ratio: None,
        draft_decoder: None,
        init_image: None,
        loras: Vec::new(),
        caption_en: None,
        translated_by: None,
    };
    for run in 1..=3 {
        let start = Instant::now();
        let mut last = start;
        let mut line = format!("image {run}:");
        pipe.generate(&req, &mut |p| {
            let now = Instant::now();
            let stage = match p {
                Progress::Encoded { .. } => "text",
                Progress::ImageEncoded { .. } => "vae encode",
                Progress::Step { .. } => "unet",
                Progress::Decoding => "(between)",
                Progress::Decoded { .. } => "vae",
            };
            line.push_str(&format!(" {stage} {:.2}", (now - last).as_secs_f64()));
            last = now;
        })?;
        println!("{line}, total {:.2} s", start.elapsed().as_secs_f64());
    }
    Ok(())
}
