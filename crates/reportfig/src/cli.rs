//! The command line: clap definitions only. Each subcommand's arguments are turned into the
//! library's checked option types in `main.rs`.
//!
//! Every argument has a help line, every command has examples, and examples stay under 80
//! columns so they never wrap in a terminal (a wrapped example cannot be copied and pasted).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use reportfig::style::SamplerChoice;
use reportfig_engine::pipeline::scheduler::SchedulerError;

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
        reportfig generate \"Smart traffic signals at a busy intersection\" -o cover.png\n  \
        reportfig batch reports/2026-transport/outline.md --style isometric-city\n  \
        reportfig compare \"Senior welfare centre\" --styles flat-vector,paper-cut\n  \
        reportfig styles list\n  \
        reportfig models list\n\n\
        Run `reportfig COMMAND --help` for the details of one command."
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
        reportfig generate \"2025 budget by sector\" --style flat-vector -o budget.png\n  \
        reportfig generate \"City hall at night\" --size slide-16x9 -o figures/\n  \
        reportfig generate \"Riverside park at dawn\" --model sd15 --seed 42\n  \
        reportfig generate \"City hall\" --model ./models/my-finetune")]
    Generate(GenerateArgs),
    /// Illustrate every section of a report outline (Markdown, text or CSV).
    #[command(after_help = "Examples:\n  \
        reportfig batch reports/2026-transport/outline.md --style isometric-city\n  \
        reportfig batch outline.md --dry-run     # see the plan, make nothing\n  \
        reportfig batch outline.csv --out figures --force\n  \
        reportfig batch outline.md --shard 1/4   # one of four machines\n\n\
        Press Ctrl-C once to stop after the current figure; run the same command\n\
        again to continue where it stopped.")]
    Batch(BatchArgs),
    /// One caption in several styles (or settings) side by side, on one labelled sheet.
    #[command(after_help = "Examples:\n  \
        reportfig compare \"Senior welfare centre\" --styles flat-vector,paper-cut\n  \
        reportfig compare \"Flood response drill\" --styles press-photo --seeds 1,2\n  \
        reportfig compare \"Bike lanes\" --vary steps=1,2,4 --vary sampler=euler,lcm")]
    Compare(CompareArgs),
    /// Show the English prompt each Korean caption becomes, without making images.
    #[command(after_help = "Examples:\n  \
        reportfig translate \"포항시 버스 정류장\" \"영일대 해수욕장의 야경\"\n  \
        reportfig translate \"시청 앞 광장\" --json\n  \
        reportfig translate \"행정복지센터\" --glossary my-terms.toml\n\n\
        Batches and comparisons translate the same way; check the wording here first.")]
    Translate(TranslateCommandArgs),
    /// Look at the style library, check or import style files.
    #[command(
        subcommand,
        after_help = "Examples:\n  \
        reportfig styles list\n  \
        reportfig styles show flat-vector-infographic\n  \
        reportfig styles check my-style.toml\n  \
        reportfig styles import styles.csv"
    )]
    Styles(StylesCommand),
    /// The model presets: which exist, which are downloaded; download ahead of time.
    #[command(
        subcommand,
        after_help = "Examples:\n  \
        reportfig models list\n  \
        reportfig models fetch sd-turbo"
    )]
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

/// `--names`: how file names write Korean words.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum NamesArg {
    // No doc comments here: clap would switch every help page to its long layout.
    #[default]
    Korean,
    Roman,
}

/// `--seed`: clap's own message ("invalid digit found in string") means nothing to a user.
pub fn parse_seed(s: &str) -> Result<u64, String> {
    s.trim().parse::<u64>().map_err(|_| {
        "a seed is a whole number of 0 or more, e.g. --seed 42 (leave it out for a random one)"
            .to_string()
    })
}

/// `--steps`.
pub fn parse_steps(s: &str) -> Result<u32, String> {
    s.trim().parse::<u32>().map_err(|_| {
        "steps is a whole number, e.g. --steps 4 (turbo models: 1 to 4; others: 20 to 50)"
            .to_string()
    })
}

/// `--guidance`; negative values parse so the library can say why they are wrong.
pub fn parse_guidance(s: &str) -> Result<f64, String> {
    s.trim()
        .parse::<f64>()
        .map_err(|_| "guidance is a number, e.g. --guidance 7.5 (turbo models use 0)".to_string())
}

/// `--sampler`: the engine's names (and aliases), or `default` for the model's own.
pub fn parse_sampler(s: &str) -> Result<SamplerChoice, String> {
    s.parse().map_err(|e: SchedulerError| e.to_string())
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
    /// Precision of the weights in memory: f32 (exact) or f16 (half the weight memory; on the
    /// CPU the calculations stay f32, so images change only slightly). bf16 is for GPUs.
    #[arg(long, value_enum, default_value = "f32")]
    pub dtype: DTypeArg,
    /// Extra folder of user styles (besides the user config folder).
    #[arg(long, value_name = "DIR")]
    pub styles_dir: Option<PathBuf>,
}

/// Settings of one image; unset values come from the style, then from the model preset.
/// How Korean captions become the English prompts the models read.
#[derive(Debug, Args, Clone)]
pub struct TranslateArgs {
    /// Translator for captions with Korean: a preset (opus-mt-ko-en, opus-mt-tc-big-ko-en),
    /// a Hugging Face repo id or a local folder
    #[arg(long, value_name = "MODEL", default_value = "opus-mt-ko-en")]
    pub translator: String,
    /// Send captions to the model as typed, without translating Korean
    #[arg(long)]
    pub no_translate: bool,
    /// Your own glossary (TOML: "포항시" = "Pohang City"), on top of the built-in one
    #[arg(long, value_name = "FILE", conflicts_with = "no_glossary")]
    pub glossary: Option<PathBuf>,
    /// Translate without any glossary (neither built-in nor your own)
    #[arg(long)]
    pub no_glossary: bool,
}

#[derive(Debug, Args, Clone, Default)]
pub struct ImageArgs {
    /// Style name from the library, e.g. flat-vector (see `reportfig styles list`); stack
    /// styles with a+b.
    #[arg(long, short = 's', value_name = "NAME")]
    pub style: Option<String>,
    /// Page size: a4-portrait, a4-landscape, slide-16x9, square, banner, icon, or pixels such
    /// as 768x512.
    #[arg(long)]
    pub size: Option<String>,
    /// Crop the result to the exact page ratio.
    #[arg(long)]
    pub exact_ratio: bool,
    /// Number of denoising steps (default: the style's or the model's; turbo 1-4, others 20-50).
    #[arg(long, value_name = "N", value_parser = parse_steps)]
    pub steps: Option<u32>,
    /// How strongly the image follows the prompt, e.g. 7.5 (0 or 1 turns guidance off; turbo
    /// models use 0).
    #[arg(long, value_name = "NUMBER", value_parser = parse_guidance, allow_negative_numbers = true)]
    pub guidance: Option<f64>,
    /// Sampler: euler, euler-a, ddim, pndm, dpmpp-2m, dpmpp-2m-karras, lcm, ddpm.
    #[arg(long, value_name = "NAME", value_parser = parse_sampler)]
    pub sampler: Option<SamplerChoice>,
    /// What to keep out of the image, e.g. "text, watermark, crowds" (no effect on turbo
    /// models).
    #[arg(long, value_name = "TEXT")]
    pub negative: Option<String>,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// What the image should show, in plain words (in quotes).
    pub caption: String,
    #[command(flatten)]
    pub image: ImageArgs,
    /// Seed of the random noise: the same seed and settings give the same image (default: a
    /// random seed, printed so you can reuse it).
    #[arg(long, value_name = "N", value_parser = parse_seed, allow_negative_numbers = true)]
    pub seed: Option<u64>,
    /// Output PNG file, or a folder to put it in (default: a name made from the caption and
    /// the seed, in this folder).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace the output file if it exists.
    #[arg(long)]
    pub force: bool,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// How file names write Korean words: korean keeps Hangul (works in Windows, HWP and
    /// Word), roman writes it in Latin letters for tools that only take ASCII names.
    #[arg(long, value_enum, value_name = "MODE", default_value = "korean")]
    pub names: NamesArg,
    #[command(flatten)]
    pub translate: TranslateArgs,
    #[command(flatten)]
    pub model: ModelArgs,
}

#[derive(Debug, Args)]
pub struct BatchArgs {
    /// The report outline: Markdown (.md), plain text (.txt, one caption per line) or CSV.
    pub outline: PathBuf,
    #[command(flatten)]
    pub image: ImageArgs,
    /// Base seed: figure n gets seed N + n - 1, so figure 1 matches `generate --seed N`.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = parse_seed, allow_negative_numbers = true)]
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
    /// Make only part I of N of the outline, e.g. 1/4 (for several machines or processes).
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Show what would be made, without loading a model.
    #[arg(long)]
    pub dry_run: bool,
    /// Also write outline.illustrated.md: a copy of a Markdown outline with the images in it.
    #[arg(long)]
    pub markdown: bool,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// How file names write Korean words: korean keeps Hangul (works in Windows, HWP and
    /// Word), roman writes it in Latin letters for tools that only take ASCII names.
    #[arg(long, value_enum, value_name = "MODE", default_value = "korean")]
    pub names: NamesArg,
    #[command(flatten)]
    pub translate: TranslateArgs,
    #[command(flatten)]
    pub model: ModelArgs,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The caption(s) to compare; each becomes a row.
    #[arg(required = true, value_name = "CAPTION")]
    pub captions: Vec<String>,
    /// Styles to compare, comma-separated, e.g. flat-vector,paper-cut (one column each).
    #[arg(long, value_delimiter = ',', value_name = "A,B,...")]
    pub styles: Vec<String>,
    /// Seeds, comma-separated, e.g. 1,2,3 (one row each).
    #[arg(long, value_delimiter = ',', default_value = "1", value_name = "N,N,...", value_parser = parse_seed)]
    pub seeds: Vec<u64>,
    /// Another setting to compare: steps=1,2,4 | guidance=0,1.5 | sampler=euler,dpmpp-2m |
    /// model=sd-turbo,sdxl-turbo (may be given more than once).
    #[arg(long, value_name = "NAME=V1,V2")]
    pub vary: Vec<String>,
    #[command(flatten)]
    pub image: ImageArgs,
    /// Output sheet PNG (default: named after the caption); single images go next to it.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// A TTF/OTF font for the labels (default: the bundled Nanum Gothic, which covers Korean).
    #[arg(long, value_name = "FILE")]
    pub font: Option<PathBuf>,
    /// Replace existing files.
    #[arg(long)]
    pub force: bool,
    /// How file names write Korean words: korean keeps Hangul (works in Windows, HWP and
    /// Word), roman writes it in Latin letters for tools that only take ASCII names.
    #[arg(long, value_enum, value_name = "MODE", default_value = "korean")]
    pub names: NamesArg,
    #[command(flatten)]
    pub translate: TranslateArgs,
    #[command(flatten)]
    pub model: ModelArgs,
}

#[derive(Debug, Args)]
pub struct TranslateCommandArgs {
    /// One or more captions (each in quotes); one English line is printed per caption
    #[arg(required = true, value_name = "CAPTION")]
    pub captions: Vec<String>,
    #[command(flatten)]
    pub translate: TranslateArgs,
    /// Use only downloaded models, never the network
    #[arg(long)]
    pub offline: bool,
    /// Print a JSON array of {caption, english, translated_by} instead of lines
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum StylesCommand {
    /// All styles, grouped by category.
    #[command(after_help = "Examples:\n  \
        reportfig styles list\n  \
        reportfig styles list --json > styles.json")]
    List {
        /// Extra folder of user styles (besides the user config folder).
        #[arg(long, value_name = "DIR")]
        styles_dir: Option<PathBuf>,
        /// Print the list as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// One style and the prompt it makes from a sample caption.
    #[command(after_help = "Examples:\n  \
        reportfig styles show flat-vector-infographic\n  \
        reportfig styles show paper-cut --caption \"Library opening\" --model sdxl")]
    Show {
        /// The style's name, e.g. flat-vector-infographic (see `reportfig styles list`).
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
        /// Extra folder of user styles (besides the user config folder).
        #[arg(long, value_name = "DIR")]
        styles_dir: Option<PathBuf>,
    },
    /// Check a style file for mistakes before using it.
    #[command(after_help = "Example:\n  \
        reportfig styles check my-style.toml")]
    Check {
        /// The style file (.toml) to check.
        file: PathBuf,
    },
    /// Convert A1111 styles.csv or Fooocus/InvokeAI style JSON into reportfig style files.
    #[command(after_help = "Examples:\n  \
        reportfig styles import styles.csv\n  \
        reportfig styles import fooocus_styles.json --out my-styles")]
    Import {
        /// An A1111 styles.csv or a Fooocus/InvokeAI style .json file.
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
    /// The model and translator presets, their licences and whether they are downloaded.
    #[command(after_help = "Example:\n  \
        reportfig models list")]
    List {
        /// Print the list as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Download a model or translator now, for later use without internet.
    #[command(after_help = "Examples:\n  \
        reportfig models fetch sd-turbo\n  \
        reportfig models fetch opus-mt-ko-en      # the Korean-English translator\n  \
        reportfig models fetch stabilityai/sdxl-turbo")]
    Fetch {
        /// A preset (sd-turbo, sdxl-turbo, sd15, sd21, sdxl; translators opus-mt-ko-en,
        /// opus-mt-tc-big-ko-en) or a Hugging Face repo id.
        name: String,
    },
}
