//! The command line: clap definitions only. Each subcommand's arguments are turned into the
//! library's checked option types in `main.rs`.
//!
//! Every argument has a help line, every command has examples, and examples stay under 80
//! columns so they never wrap in a terminal (a wrapped example cannot be copied and pasted).
//! The help texts are not here but in the message catalogue (`locales/*/cli.ftl`), in
//! Korean and English: [`command`] builds the derive's command and sets every about, help
//! and example text from it, by the ids `help-<command>[-<long option>]`.

use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use reportfig::i18n::{Lang, Message};
use reportfig::msg;
use reportfig::style::SamplerChoice;
use reportfig_engine::pipeline::scheduler::SchedulerError;

#[derive(Debug, Parser)]
#[command(name = "reportfig", version)]
pub struct Cli {
    #[arg(short, long, global = true)]
    pub quiet: bool,

    #[arg(long, global = true, value_name = "ko|en", value_parser = parse_lang)]
    pub lang: Option<Lang>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Generate(GenerateArgs),
    Batch(BatchArgs),
    Compare(CompareArgs),
    Retitle(RetitleArgs),
    Translate(TranslateCommandArgs),
    Serve(ServeArgs),
    #[command(subcommand)]
    Styles(StylesCommand),
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

/// `--names`: how file names write Korean words.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum NamesArg {
    // No doc comments here: clap would switch every help page to its long layout.
    #[default]
    Korean,
    Roman,
}

/// `--seed`: clap's own message ("invalid digit found in string") means nothing to a user.
pub fn parse_seed(s: &str) -> Result<u64, Message> {
    s.trim().parse::<u64>().map_err(|_| msg!("arg-bad-seed"))
}

/// `--steps`.
pub fn parse_steps(s: &str) -> Result<u32, Message> {
    s.trim().parse::<u32>().map_err(|_| msg!("arg-bad-steps"))
}

/// `--dpi`: 50 to 1200 (below, a page is a few hundred pixels; above, no office printer
/// resolves the difference).
pub fn parse_dpi(s: &str) -> Result<u32, Message> {
    match s.trim().parse::<u32>() {
        Ok(n) if (50..=1200).contains(&n) => Ok(n),
        _ => Err(msg!("arg-bad-dpi")),
    }
}

/// `--print`: the page the finished image fills.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum PrintArg {
    A4,
    A5,
    Slide,
}

impl PrintArg {
    pub fn page(self) -> reportfig::print::PrintPage {
        match self {
            Self::A4 => reportfig::print::PrintPage::A4,
            Self::A5 => reportfig::print::PrintPage::A5,
            Self::Slide => reportfig::print::PrintPage::Slide,
        }
    }
}

/// `--guidance`; negative values parse so the library can say why they are wrong.
pub fn parse_guidance(s: &str) -> Result<f64, Message> {
    s.trim()
        .parse::<f64>()
        .map_err(|_| msg!("arg-bad-guidance"))
}

/// `--strength`: a number above 0 and at most 1.
pub fn parse_strength(s: &str) -> Result<f64, Message> {
    let value = s
        .trim()
        .parse::<f64>()
        .map_err(|_| msg!("strength-out-of-range", strength = s.to_string()))?;
    reportfig::init_image::check_strength(value).map_err(|e| e.message())
}

/// `--sampler`: the engine's names (and aliases), or `default` for the model's own.
pub fn parse_lora(s: &str) -> Result<reportfig::lora::LoraSpec, Message> {
    s.parse()
        .map_err(|e: reportfig::lora::LoraSpecError| reportfig::explain::message(&e))
}

pub fn parse_sampler(s: &str) -> Result<SamplerChoice, Message> {
    s.parse().map_err(|e: SchedulerError| match e {
        SchedulerError::UnknownSampler(name) => msg!(
            "sampler-unknown",
            name = name,
            samplers = reportfig_engine::pipeline::scheduler::SamplerKind::ALL
                .iter()
                .map(|k| k.name())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => msg!("untranslated", text = other.to_string()),
    })
}

/// `--lang`: a catalogue message, so a Korean desktop hears about a wrong value in Korean.
pub fn parse_lang(s: &str) -> Result<Lang, Message> {
    s.parse()
        .map_err(|_: reportfig::i18n::UnknownLang| msg!("lang-unknown", value = s))
}

#[derive(Debug, Args, Clone)]
pub struct ModelArgs {
    #[arg(long, short = 'm', default_value_t = default_model())]
    pub model: String,
    #[arg(long, value_name = "DIR")]
    pub model_config: Option<String>,
    #[arg(long, value_name = "LORA", value_parser = parse_lora)]
    pub lora: Vec<reportfig::lora::LoraSpec>,
    #[arg(long)]
    pub offline: bool,
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: DeviceArg,
    #[arg(long, value_enum, default_value = "f32")]
    pub dtype: DTypeArg,
    #[arg(long, value_name = "DIR")]
    pub styles_dir: Option<PathBuf>,
}

#[derive(Debug, Args, Clone)]
pub struct TranslateArgs {
    #[arg(long, value_name = "MODEL", default_value = "opus-mt-ko-en")]
    pub translator: String,
    #[arg(long)]
    pub no_translate: bool,
    #[arg(long, value_name = "FILE", conflicts_with = "no_glossary")]
    pub glossary: Option<PathBuf>,
    #[arg(long)]
    pub no_glossary: bool,
}

#[derive(Debug, Args, Clone, Default)]
pub struct ImageArgs {
    #[arg(long, short = 's', value_name = "NAME")]
    pub style: Option<String>,
    #[arg(long, conflicts_with = "print")]
    pub size: Option<String>,
    #[arg(long)]
    pub exact_ratio: bool,
    #[arg(long, value_name = "N", value_parser = parse_dpi)]
    pub dpi: Option<u32>,
    #[arg(long, value_enum, value_name = "PAGE")]
    pub print: Option<PrintArg>,
    #[arg(long, value_name = "NAME|DIR", requires = "print")]
    pub upscaler: Option<String>,
    #[arg(long, value_name = "N", value_parser = parse_steps)]
    pub steps: Option<u32>,
    #[arg(long, value_name = "NUMBER", value_parser = parse_guidance, allow_negative_numbers = true)]
    pub guidance: Option<f64>,
    #[arg(long, value_name = "NAME", value_parser = parse_sampler)]
    pub sampler: Option<SamplerChoice>,
    #[arg(long, value_name = "TEXT")]
    pub negative: Option<String>,
}

/// `--title-layout`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum TitleLayoutArg {
    #[default]
    Top,
    Bottom,
    Center,
    Band,
}

/// `--title-font`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum TitleFontArg {
    #[default]
    Sans,
    Serif,
}

/// The typesetting of a title, shared by generate and retitle.
#[derive(Debug, Args, Clone, Default)]
pub struct TitleStyleArgs {
    #[arg(long, value_name = "TEXT", requires = "title")]
    pub subtitle: Option<String>,
    #[arg(long, value_enum, value_name = "WHERE", default_value = "top")]
    pub title_layout: TitleLayoutArg,
    #[arg(long, value_enum, value_name = "FACE", default_value = "sans")]
    pub title_font: TitleFontArg,
}

#[derive(Debug, Args)]
pub struct RetitleArgs {
    pub file: PathBuf,
    #[arg(long, value_name = "TEXT")]
    pub title: String,
    #[command(flatten)]
    pub title_style: TitleStyleArgs,
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[arg(long)]
    pub force: bool,
    #[arg(long)]
    pub json: bool,
    #[arg(long, value_name = "DIR")]
    pub styles_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    pub caption: String,
    #[command(flatten)]
    pub image: ImageArgs,
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
    #[command(flatten)]
    pub title_style: TitleStyleArgs,
    #[arg(long, value_name = "N", value_parser = parse_seed, allow_negative_numbers = true)]
    pub seed: Option<u64>,
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[arg(long)]
    pub force: bool,
    #[arg(long)]
    pub json: bool,
    #[arg(long, value_enum, value_name = "MODE", default_value = "korean")]
    pub names: NamesArg,
    #[command(flatten)]
    pub init: InitImageArgs,
    #[command(flatten)]
    pub decoder: DecoderArgs,
    #[command(flatten)]
    pub translate: TranslateArgs,
    #[command(flatten)]
    pub model: ModelArgs,
}

/// `--init-image FILE --strength S`: start from a picture instead of noise.
#[derive(Debug, Args)]
pub struct InitImageArgs {
    #[arg(long, value_name = "FILE")]
    pub init_image: Option<PathBuf>,
    #[arg(long, value_name = "S", value_parser = parse_strength)]
    pub strength: Option<f64>,
    #[arg(long, value_name = "FILE", requires = "init_image")]
    pub mask: Option<PathBuf>,
}

/// `--decoder full|tiny` and the tiny decoder's folder, for generate and batch.
#[derive(Debug, Args)]
pub struct DecoderArgs {
    #[arg(long, value_enum, value_name = "DECODER", default_value = "full")]
    pub decoder: DecoderArg,
    #[arg(long, value_name = "NAME")]
    pub tiny_decoder: Option<String>,
}

/// Which network turns the finished latents into the picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DecoderArg {
    // Plain comments: a doc comment would become clap's per-value help and change the layout
    // of the whole page; the option's help explains both values.
    // The model's own VAE: the final picture.
    Full,
    // A tiny preview decoder (TAESD): a draft in a fraction of the time.
    Tiny,
}

#[derive(Debug, Args)]
pub struct BatchArgs {
    pub outline: PathBuf,
    #[command(flatten)]
    pub image: ImageArgs,
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = parse_seed, allow_negative_numbers = true)]
    pub seed: u64,
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[arg(long, conflicts_with = "resume")]
    pub force: bool,
    #[arg(long)]
    pub resume: bool,
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long)]
    pub markdown: bool,
    #[arg(long, value_name = "FILE")]
    pub docx: Option<PathBuf>,
    #[arg(long)]
    pub cover: bool,
    // A batch's own title options rather than TitleStyleArgs: a subtitle goes under the
    // first heading as well as under --title.
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
    #[arg(long, value_name = "TEXT")]
    pub subtitle: Option<String>,
    #[arg(long, value_enum, value_name = "WHERE", default_value = "top")]
    pub title_layout: TitleLayoutArg,
    #[arg(long, value_enum, value_name = "FACE", default_value = "sans")]
    pub title_font: TitleFontArg,
    #[command(flatten)]
    pub decoder: DecoderArgs,
    #[arg(long)]
    pub json: bool,
    #[arg(long, value_enum, value_name = "MODE", default_value = "korean")]
    pub names: NamesArg,
    #[command(flatten)]
    pub translate: TranslateArgs,
    #[command(flatten)]
    pub model: ModelArgs,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    #[arg(required = true, value_name = "CAPTION")]
    pub captions: Vec<String>,
    #[arg(long, value_delimiter = ',', value_name = "A,B,...")]
    pub styles: Vec<String>,
    #[arg(long, value_delimiter = ',', default_value = "1", value_name = "N,N,...", value_parser = parse_seed)]
    pub seeds: Vec<u64>,
    #[arg(long, value_name = "NAME=V1,V2")]
    pub vary: Vec<String>,
    #[command(flatten)]
    pub image: ImageArgs,
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[arg(long, value_name = "FILE")]
    pub font: Option<PathBuf>,
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
    #[command(flatten)]
    pub title_style: TitleStyleArgs,
    #[arg(long)]
    pub force: bool,
    #[arg(long, value_enum, value_name = "MODE", default_value = "korean")]
    pub names: NamesArg,
    #[command(flatten)]
    pub init: InitImageArgs,
    #[command(flatten)]
    pub decoder: DecoderArgs,
    #[command(flatten)]
    pub translate: TranslateArgs,
    #[command(flatten)]
    pub model: ModelArgs,
}

#[derive(Debug, Args)]
pub struct TranslateCommandArgs {
    #[arg(required = true, value_name = "CAPTION")]
    pub captions: Vec<String>,
    #[command(flatten)]
    pub translate: TranslateArgs,
    #[arg(long)]
    pub offline: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:7860")]
    pub addr: String,
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub queue: usize,
    #[arg(long, value_name = "N", default_value_t = 48)]
    pub per_client: usize,
    #[arg(long, value_name = "NAME")]
    pub instance: Option<String>,
    #[command(flatten)]
    pub translate: TranslateArgs,
    #[command(flatten)]
    pub model: ModelArgs,
}

#[derive(Debug, Subcommand)]
pub enum StylesCommand {
    List {
        #[arg(long, value_name = "DIR")]
        styles_dir: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    Show {
        name: String,
        #[arg(
            long,
            default_value = "Smart traffic signals at a busy city intersection"
        )]
        caption: String,
        #[arg(long, short = 'm', default_value_t = default_model())]
        model: String,
        #[arg(long, value_name = "DIR")]
        styles_dir: Option<PathBuf>,
    },
    Check {
        file: PathBuf,
    },
    Import {
        file: PathBuf,
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    List {
        #[arg(long)]
        json: bool,
        #[arg(long)]
        offline: bool,
    },
    Fetch {
        name: String,
        #[arg(long)]
        offline: bool,
    },
    // The last value is the folder; clap's own usage line would not say so.
    #[command(override_usage = "reportfig models export [OPTIONS] <MODEL>... <DIR>")]
    Export {
        /// The models and translators, then the bundle folder: one list, split at its last
        /// value, because clap ends a list positional at the first option, so a folder after
        /// `--offline` would be refused.
        #[arg(required = true, num_args = 1.., value_name = "MODEL")]
        items: Vec<String>,
        #[arg(long)]
        no_translator: bool,
        #[arg(long)]
        offline: bool,
    },
    Import {
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
}

/// The preset `--model` falls back to: `default_model` in configs/presets.toml.
fn default_model() -> String {
    reportfig::model::presets::default_preset().name.clone()
}

/// The language `--lang` asks for, read before clap parses, since clap's help and errors are
/// rendered during parsing. An unknown value gives `None`: clap then reports it.
pub fn lang_in_args(args: &[std::ffi::OsString]) -> Option<Lang> {
    let mut it = args.iter().skip(1).filter_map(|a| a.to_str());
    while let Some(arg) = it.next() {
        if arg == "--" {
            break;
        }
        if let Some(value) = arg.strip_prefix("--lang=") {
            return value.parse().ok();
        }
        if arg == "--lang" {
            return it.next().and_then(|v| v.parse().ok());
        }
    }
    None
}

/// The command line with every text in `lang`.
pub fn command(lang: Lang) -> clap::Command {
    // The long description is set before building: clap decides then whether `--help`
    // shows a long page. Built first so clap's own help and version flags and the global
    // options exist in every subcommand, where their texts can then be replaced.
    let mut cmd = Cli::command().long_about(lang.messages().format("help-main.long", &[]));
    cmd.build();
    localize(cmd, "help-main", lang)
}

/// Parses `args` with the help in `lang`.
pub fn parse(lang: Lang, args: Vec<std::ffi::OsString>) -> Result<Cli, clap::Error> {
    use clap::FromArgMatches;
    let mut cmd = command(lang);
    let matches = cmd.try_get_matches_from_mut(args)?;
    Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut cmd))
}

fn localize(mut cmd: clap::Command, id: &str, lang: Lang) -> clap::Command {
    let m = lang.messages();
    let text = |key: &str| m.format(key, &[]);
    if cmd.get_name() == "help" && id != "help-main" {
        return cmd.about(text("help-help"));
    }
    cmd = cmd.about(text(id));
    let long = format!("{id}.long");
    cmd = if m.has(&long) {
        cmd.long_about(text(&long))
    } else {
        cmd.long_about(None)
    };
    let examples = format!("{id}-examples");
    if m.has(&examples) {
        cmd = cmd.after_help(text(&examples));
    }
    let args: Vec<(String, String, bool)> = cmd
        .get_arguments()
        .map(|a| {
            let name = a.get_long().unwrap_or(a.get_id().as_str()).to_string();
            (a.get_id().to_string(), name, a.get_long_help().is_some())
        })
        .collect();
    for (arg_id, name, had_long_help) in args {
        let help = match name.as_str() {
            "help" => text("help-flag-help"),
            "version" => text("help-flag-version"),
            // Global options are defined once, at the top.
            "quiet" | "lang" => text(&format!("help-main-{name}")),
            _ => {
                let own = format!("{id}-{name}");
                if m.has(&own) {
                    text(&own)
                } else {
                    text(&format!("help-common-{name}"))
                }
            }
        };
        let help_has_long = name == "help" && had_long_help;
        let help = if help_has_long {
            text("help-flag-help-more")
        } else {
            help
        };
        let long_help = help_has_long.then(|| text("help-flag-help-long"));
        cmd = cmd.mut_arg(arg_id, |a| {
            let (a, help) = if lang == Lang::En {
                (a, help)
            } else {
                value_notes_in(a, help, lang)
            };
            match long_help {
                Some(long) => a.help(help).long_help(long),
                None => a.help(help),
            }
        });
    }
    if lang != Lang::En {
        let template = help_template(&cmd, lang);
        cmd = cmd.help_template(template);
    }
    let subcommands: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in subcommands {
        let sub_id = if id == "help-main" {
            format!("help-{name}")
        } else {
            format!("{id}-{name}")
        };
        cmd = cmd.mut_subcommand(name, |s| localize(s, &sub_id, lang));
    }
    cmd
}

/// clap adds `[default: …]` and `[possible values: …]` to an option's help in English only;
/// in another language they are hidden from clap and written in the help text instead.
fn value_notes_in(arg: clap::Arg, help: String, lang: Lang) -> (clap::Arg, String) {
    if !arg.get_action().takes_values() {
        return (arg, help);
    }
    let m = lang.messages();
    let mut help = help;
    let mut note = |id: &str, var: &'static str, values: Vec<String>| {
        if !values.is_empty() {
            let text = m.format(id, &[(var, values.join(", ").into())]);
            help.push_str(&format!(" [{text}]"));
        }
    };
    if !arg.is_hide_possible_values_set() {
        let possible = arg
            .get_possible_values()
            .iter()
            .filter(|v| !v.is_hide_set())
            .map(|v| v.get_name().to_string())
            .collect();
        note("help-possible-values", "values", possible);
    }
    if !arg.is_hide_default_value_set() {
        let defaults = arg
            .get_default_values()
            .iter()
            .map(|v| v.to_string_lossy().into_owned())
            .collect();
        note("help-default-value", "value", defaults);
    }
    (
        arg.hide_possible_values(true).hide_default_value(true),
        help,
    )
}

/// clap writes its section headings (Usage, Arguments, Options, Commands) in English only;
/// another language gets a template with its own headings, and only the sections this
/// command has.
fn help_template(cmd: &clap::Command, lang: Lang) -> String {
    let m = lang.messages();
    let heading = |key: &str| m.format(key, &[]);
    let mut t = format!(
        "{{about-with-newline}}\n{} {{usage}}\n",
        heading("help-heading-usage")
    );
    if cmd.get_positionals().next().is_some() {
        t.push_str(&format!(
            "\n{}\n{{positionals}}\n",
            heading("help-heading-arguments")
        ));
    }
    if cmd.has_subcommands() {
        t.push_str(&format!(
            "\n{}\n{{subcommands}}\n",
            heading("help-heading-commands")
        ));
    }
    t.push_str(&format!(
        "\n{}\n{{options}}{{after-help}}",
        heading("help-heading-options")
    ));
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command and argument has its text in both languages: a missing id would show
    /// as the id itself.
    #[test]
    fn every_help_text_is_in_the_catalogue() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            let about = cmd.get_about().map(|a| a.to_string()).unwrap_or_default();
            if about.is_empty() || about.starts_with("help-") {
                missing.push(format!("{path}: about {about:?}"));
            }
            for a in cmd.get_arguments() {
                let help = a.get_help().map(|h| h.to_string()).unwrap_or_default();
                if help.is_empty() || help.starts_with("help-") {
                    missing.push(format!("{path} {}: {help:?}", a.get_id()));
                }
            }
            // clap's `help` command mirrors the tree for completion only; it shows nothing.
            if cmd.get_name() == "help" {
                return;
            }
            for s in cmd.get_subcommands() {
                walk(s, &format!("{path} {}", s.get_name()), missing);
            }
        }
        for lang in Lang::ALL {
            let mut missing = Vec::new();
            walk(&command(lang), "reportfig", &mut missing);
            assert!(missing.is_empty(), "{lang}: {missing:#?}");
        }
    }

    /// clap's own English notes never show in Korean help, and the Korean ones name the
    /// same values.
    #[test]
    fn korean_help_has_no_english_value_notes() {
        fn walk(cmd: &mut clap::Command, seen: &mut usize) {
            let help = cmd.render_long_help().to_string() + &cmd.render_help().to_string();
            for english in ["[default:", "[possible values:"] {
                assert!(!help.contains(english), "{}: {help}", cmd.get_name());
            }
            *seen += help.matches("[기본값:").count();
            if cmd.get_name() == "help" {
                return;
            }
            for s in cmd.get_subcommands_mut() {
                walk(s, seen);
            }
        }
        let mut seen = 0;
        let mut cmd = command(Lang::Ko);
        cmd.build();
        walk(&mut cmd, &mut seen);
        assert!(seen > 10, "only {seen} Korean default notes");
        let generate = command(Lang::Ko)
            .find_subcommand_mut("generate")
            .unwrap()
            .render_help()
            .to_string();
        let unwrapped = generate.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            unwrapped.contains("[고를 수 있는 값: cpu, cuda, metal] [기본값: cpu]"),
            "{generate}"
        );
    }

    #[test]
    fn lang_is_found_before_parsing() {
        let args = |v: &[&str]| v.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        assert_eq!(
            lang_in_args(&args(&["rf", "--lang", "ko", "x"])),
            Some(Lang::Ko)
        );
        assert_eq!(
            lang_in_args(&args(&["rf", "styles", "--lang=en"])),
            Some(Lang::En)
        );
        assert_eq!(lang_in_args(&args(&["rf", "--", "--lang", "ko"])), None);
        assert_eq!(lang_in_args(&args(&["rf", "--lang", "fr"])), None);
    }
}
