//! The command line: clap definitions only. Each subcommand's arguments are turned into the
//! library's checked option types in `main.rs`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "reportfig",
    version,
    about = "Illustrations for reports from short captions (Stable Diffusion, on your own computer)",
    long_about = "Illustrations for reports from short captions.\n\n\
        reportfig runs Stable Diffusion models on your own computer (no GPU needed) and writes\n\
        PNG files you can put into reports, press releases and slides. Every PNG records how\n\
        it was made, so it can be made again exactly.",
    after_help = "Examples:\n  \
        reportfig generate \"Smart traffic signals at a busy city intersection\" --style flat-vector -o cover.png\n  \
        reportfig batch reports/2026-transport/outline.md --style isometric-city\n  \
        reportfig compare \"Senior welfare centre opening\" --styles flat-vector,paper-cut\n  \
        reportfig styles list\n  \
        reportfig models list"
)]
pub struct Cli {
    /// Print nothing but results and errors (no progress bars or notes).
    #[arg(short, long, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Make one image from one caption.
    #[command(after_help = "Examples:\n  \
        reportfig generate \"Smart traffic signals at a busy city intersection\"\n  \
        reportfig generate \"2025 budget by sector\" --style flat-vector --size slide-16x9 -o budget.png\n  \
        reportfig generate \"Riverside park at dawn\" --model sd15 --steps 25 --guidance 7.5 --seed 42\n  \
        reportfig generate \"City hall\" --model ./models/my-finetune")]
    Generate(GenerateArgs),
    /// Illustrate every section of a report outline (Markdown, text or CSV).
    #[command(after_help = "Examples:\n  \
        reportfig batch reports/2026-transport/outline.md --style isometric-city\n  \
        reportfig batch outline.csv --out figures --force\n  \
        reportfig batch outline.md --dry-run\n  \
        reportfig batch outline.md --shard 1/4   # one of four machines")]
    Batch(BatchArgs),
    /// One caption in several styles (or settings) side by side, on one labelled sheet.
    #[command(after_help = "Examples:\n  \
        reportfig compare \"Senior welfare centre opening ceremony\" --styles flat-vector,isometric-city,paper-cut\n  \
        reportfig compare \"Flood response drill\" --styles press-photo --vary steps=1,2,4 --seeds 1,2")]
    Compare(CompareArgs),
    /// Look at the style library, check or import style files.
    #[command(subcommand)]
    Styles(StylesCommand),
    /// The model presets: which exist, which are downloaded; download ahead of time.
    #[command(subcommand)]
    Models(ModelsCommand),
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum DeviceArg {
    Cpu,
    Cuda,
    Metal,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum DTypeArg {
    F32,
    F16,
    Bf16,
}

/// Where the model comes from and how it runs; shared by generate, batch and compare.
#[derive(Debug, Args, Clone)]
pub struct ModelArgs {
    /// A preset (sd-turbo, sdxl-turbo, sd15, sd21, sdxl), a Hugging Face repo id in diffusers
    /// layout (org/name or org/name@revision), or a local diffusers-layout folder.
    #[arg(long, short = 'm', default_value = "sd-turbo")]
    pub model: String,
    /// Use only files already downloaded (also: HF_HUB_OFFLINE=1).
    #[arg(long)]
    pub offline: bool,
    /// Where to compute.
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: DeviceArg,
    /// Precision of the weights in memory (f32 is exact; f16/bf16 halve the memory).
    #[arg(long, value_enum, default_value = "f32")]
    pub dtype: DTypeArg,
    /// Extra folder of user styles (besides the user config folder).
    #[arg(long, value_name = "DIR")]
    pub styles_dir: Option<PathBuf>,
}

/// Settings of one image; unset values come from the style, then from the model preset.
#[derive(Debug, Args, Clone, Default)]
pub struct ImageArgs {
    /// Style name from the library (see `reportfig styles list`); stack styles with a+b.
    #[arg(long, short = 's')]
    pub style: Option<String>,
    /// Page size preset (a4-portrait, a4-landscape, slide-16x9, square, banner, icon) or WxH.
    #[arg(long)]
    pub size: Option<String>,
    /// Crop the result to the exact page ratio.
    #[arg(long)]
    pub exact_ratio: bool,
    /// Number of denoising steps.
    #[arg(long)]
    pub steps: Option<u32>,
    /// How strongly the image follows the prompt (0 or 1 turns guidance off; turbo models use 0).
    #[arg(long)]
    pub guidance: Option<f64>,
    /// Sampler: euler, euler-a, ddim, pndm, dpmpp-2m, dpmpp-2m-karras, lcm, ddpm.
    #[arg(long)]
    pub sampler: Option<String>,
    /// What to keep out of the image.
    #[arg(long, value_name = "TEXT")]
    pub negative: Option<String>,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// What the image should show, in plain words.
    pub caption: String,
    #[command(flatten)]
    pub image: ImageArgs,
    /// Seed of the random noise: the same seed and settings give the same image.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Output PNG (default: a name made from the caption and the seed, in this folder).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace the output file if it exists.
    #[arg(long)]
    pub force: bool,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub model: ModelArgs,
}

#[derive(Debug, Args)]
pub struct BatchArgs {
    /// The report outline: Markdown (.md), plain text (.txt, one caption per line) or CSV.
    pub outline: PathBuf,
    #[command(flatten)]
    pub image: ImageArgs,
    /// Base seed; each figure's seed is derived from it and the figure's position.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Folder for the figures (default: figures/ next to the outline).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Regenerate every figure, even those already made with the same settings.
    #[arg(long, conflicts_with = "resume")]
    pub force: bool,
    /// Skip figures already made with the same settings (the default).
    #[arg(long)]
    pub resume: bool,
    /// Run only part I of N of the outline (for several machines or processes).
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Show what would be made, without loading a model.
    #[arg(long)]
    pub dry_run: bool,
    /// Also write an illustrated copy of a Markdown outline.
    #[arg(long)]
    pub markdown: bool,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub model: ModelArgs,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The caption(s) to compare; each becomes a row.
    #[arg(required = true)]
    pub captions: Vec<String>,
    /// Styles to compare, comma-separated (one column each).
    #[arg(long, value_delimiter = ',')]
    pub styles: Vec<String>,
    /// Seeds, comma-separated (one row each).
    #[arg(long, value_delimiter = ',', default_value = "1")]
    pub seeds: Vec<u64>,
    /// Another axis: steps=1,2,4 | guidance=0,1.5 | sampler=euler,dpmpp-2m | model=sd-turbo,sdxl-turbo
    #[arg(long, value_name = "NAME=V1,V2")]
    pub vary: Vec<String>,
    #[command(flatten)]
    pub image: ImageArgs,
    /// Output sheet PNG (default: compare-<caption>.png); single images go next to it.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// A TTF/OTF font for the labels (default: the bundled Nanum Gothic, which covers Korean).
    #[arg(long, value_name = "FILE")]
    pub font: Option<PathBuf>,
    /// Replace existing files.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub model: ModelArgs,
}

#[derive(Debug, Subcommand)]
pub enum StylesCommand {
    /// All styles, grouped by category.
    List {
        #[arg(long, value_name = "DIR")]
        styles_dir: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// One style and the prompt it makes from a sample caption.
    Show {
        name: String,
        /// The caption to compose with.
        #[arg(
            long,
            default_value = "Smart traffic signals at a busy city intersection"
        )]
        caption: String,
        /// Model preset whose family decides overrides and sizes.
        #[arg(long, short = 'm', default_value = "sd-turbo")]
        model: String,
        #[arg(long, value_name = "DIR")]
        styles_dir: Option<PathBuf>,
    },
    /// Check a style file for mistakes before using it.
    Check { file: PathBuf },
    /// Convert A1111 styles.csv or Fooocus/InvokeAI style JSON into reportfig style files.
    Import {
        file: PathBuf,
        /// Folder to write the .toml files into (default: your user styles folder).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Replace existing style files of the same name.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// The presets, their licences, native sizes and whether they are downloaded.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Download a model now, for later use without internet.
    Fetch {
        /// A preset or a Hugging Face repo id.
        name: String,
    },
}
