//! The `reportfig` binary: parse arguments, call one library function per subcommand, print
//! results on stdout and messages on stderr, and turn failures into exit codes
//! (0 success, 1 failure at run time, 2 bad usage or bad input).

mod cli;
mod progress;
mod usage;

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::Context;

use cli::{Cli, Command, DTypeArg, DeviceArg, ModelArgs, ModelsCommand, StylesCommand};
use reportfig::commands::session::ModelOptions;
use reportfig::commands::{self, BadInput};
use reportfig::i18n::Lang;
use reportfig::model::source::{HubOptions, SourceError};
use reportfig::settings::ImageOptions;
use reportfig::style::StyleLibrary;
use reportfig::translate::{Glossary, TranslateOptions};
use reportfig::{explain, msg, tr};
use reportfig_engine::pipeline::vae::VaeUse;
use reportfig_engine::pipeline::LoadOptions;

fn main() -> ExitCode {
    #[cfg(unix)]
    reportfig::output::fail_writes_past_file_size_limit();
    let args: Vec<OsString> = std::env::args_os().collect();
    // The one place the language is decided: `--lang`, else the locale, else English.
    let lang = cli::lang_in_args(&args).unwrap_or_else(Lang::from_env);
    let cli = match cli::parse(lang, args.clone()) {
        Ok(c) => c,
        Err(e) => {
            // clap prints help/version on stdout and usage errors on stderr with code 2.
            if !e.use_stderr() {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            let _ = write!(
                std::io::stderr().lock(),
                "{}",
                usage::render(&e, lang, &args)
            );
            return ExitCode::from(2);
        }
    };
    let lang = cli.lang.unwrap_or(lang);
    // This binary owns the process, so it (not the engine) sets the allocator's policy:
    // freed activations are kept for reuse instead of being unmapped after every op.
    reportfig_engine::pipeline::memory::keep_freed_memory_for_reuse();
    let mut term = progress::Terminal::new(cli.quiet, lang);
    match run(cli, &mut term) {
        Ok(code) => code,
        Err(err) => {
            report_error(&err, lang);
            ExitCode::from(exit_code(&err))
        }
    }
}

/// Bad input (exit 2) is anything the user can fix by changing what they typed or the files
/// they pointed at; everything else is a run-time failure (exit 1). The first cause that
/// knows decides: a failed computation inside the pipeline is a run-time failure even though
/// the pipeline's other errors (bad weights, configs, requests) are the user's input.
fn exit_code(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if let Some(p) = cause.downcast_ref::<reportfig_engine::pipeline::PipelineError>() {
            return if p.is_user_input() { 2 } else { 1 };
        }
        if let Some(s) = cause.downcast_ref::<SourceError>() {
            return if s.is_user_input() { 2 } else { 1 };
        }
        if let Some(t) = cause.downcast_ref::<reportfig::translate::source::TranslatorError>() {
            return if t.is_user_input() { 2 } else { 1 };
        }
        if let Some(b) = cause.downcast_ref::<reportfig::model::bundle::BundleError>() {
            return if b.is_user_input() { 2 } else { 1 };
        }
        if let Some(i) = cause.downcast_ref::<reportfig::style::import::ImportError>() {
            // Only failing to write the converted files is not the input's fault.
            return if matches!(i, reportfig::style::import::ImportError::Write { .. }) {
                1
            } else {
                2
            };
        }
        // A write that fails part-way (the disk filled up, the folder vanished) is a run-time
        // failure; a folder the user may not write to is theirs to change, as `generate`'s
        // check before any work says.
        let write_problem = match cause.downcast_ref::<reportfig::batch::BatchError>() {
            Some(reportfig::batch::BatchError::Write { problem, .. }) => Some(problem.clone()),
            _ => cause
                .downcast_ref::<reportfig::output::OutputError>()
                .and_then(|o| o.folder_problem())
                .map(|(_, problem)| problem),
        };
        if let Some(problem) = write_problem {
            return if problem == reportfig::output::WriteProblem::Denied {
                2
            } else {
                1
            };
        }
        if cause.is::<BadInput>()
            || cause.is::<reportfig::style::StyleError>()
            || cause.is::<reportfig::outline::OutlineError>()
            || cause.is::<reportfig_engine::model::config::ConfigError>()
            || cause.is::<reportfig_engine::pipeline::text::TextError>()
            || cause.is::<reportfig_engine::pipeline::scheduler::SchedulerError>()
            || cause.is::<reportfig::output::OutputError>()
            || cause.is::<reportfig::translate::glossary::GlossaryError>()
            || cause.is::<reportfig::lora::LoraSpecError>()
            || cause.is::<reportfig_engine::pipeline::lora::LoraError>()
        {
            return 2;
        }
    }
    1
}

/// One `error:` line (plus the message's own `hint:` lines), then each further cause whose
/// text the message does not already include.
fn report_error(err: &anyhow::Error, lang: Lang) {
    let mut stderr = std::io::stderr().lock();
    let texts = explain::error_chain(err, lang);
    let mut shown = texts[0].clone();
    let _ = writeln!(stderr, "{} {shown}", tr!(lang, "label-error"));
    for text in texts.iter().skip(1) {
        if !shown.contains(text.as_str()) {
            let _ = writeln!(stderr, "  {} {text}", tr!(lang, "label-because"));
            shown.push_str(text);
        }
    }
}

/// Prints a result line; a closed pipe (`| head`) ends the program quietly.
fn print_out(text: &str) {
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{text}").is_err() {
        std::process::exit(0);
    }
}

fn model_options(args: &ModelArgs) -> anyhow::Result<ModelOptions> {
    let device = match args.device {
        DeviceArg::Cpu => candle_core::Device::Cpu,
        DeviceArg::Cuda => candle_core::Device::new_cuda(0)
            .map_err(|e| BadInput(msg!("device-cuda-unavailable", reason = e.to_string())))?,
        DeviceArg::Metal => candle_core::Device::new_metal(0)
            .map_err(|e| BadInput(msg!("device-metal-unavailable", reason = e.to_string())))?,
    };
    let dtype = match args.dtype {
        DTypeArg::F32 => candle_core::DType::F32,
        DTypeArg::F16 => candle_core::DType::F16,
        DTypeArg::Bf16 => candle_core::DType::BF16,
    };
    Ok(ModelOptions {
        model: args.model.clone(),
        model_config: args.model_config.clone(),
        loras: args.lora.clone(),
        hub: HubOptions::from_env(args.offline)?,
        load: LoadOptions {
            device,
            dtype,
            isa: isa_from_env()?,
            ..LoadOptions::default()
        },
        state_dir: directories::ProjectDirs::from("", "", "reportfig")
            .map(|d| d.data_local_dir().to_path_buf()),
    })
}

/// The translation settings: glossaries are read here, once, so a bad glossary file fails
/// before any work. The user's own glossary (config folder) and `--glossary` add to the
/// built-in one, in that order.
/// [`translate_options`] on the hub, device and kernels of the image model's options.
fn translate_options_for(
    args: &cli::TranslateArgs,
    model: &ModelOptions,
) -> anyhow::Result<TranslateOptions> {
    translate_options(
        args,
        model.hub.clone(),
        model.load.device.clone(),
        model.load.isa,
    )
}

fn translate_options(
    args: &cli::TranslateArgs,
    hub: HubOptions,
    device: candle_core::Device,
    isa: reportfig_engine::pipeline::Isa,
) -> anyhow::Result<TranslateOptions> {
    let glossary = if args.no_glossary {
        None
    } else {
        let mut g = Glossary::builtin();
        let dirs = directories::ProjectDirs::from("", "", "reportfig");
        if let Some(user) = dirs.as_ref().map(|d| d.config_dir().join("glossary.toml")) {
            if user.is_file() {
                g = g.merged_with(Glossary::load(&user)?);
            }
        }
        if let Some(file) = &args.glossary {
            g = g.merged_with(Glossary::load(file)?);
        }
        Some(g)
    };
    Ok(TranslateOptions {
        enabled: !args.no_translate,
        translator: args.translator.clone(),
        glossary,
        hub,
        device,
        isa,
        converted_dir: directories::ProjectDirs::from("", "", "reportfig")
            .map(|d| d.data_local_dir().join("converted")),
    })
}

/// `REPORTFIG_ISA` (`avx512`, `avx2` or `portable`) chooses the CPU kernels, for checking
/// or comparing the narrower paths on a machine that has the wider ones; unset, the widest
/// this CPU runs.
fn isa_from_env() -> anyhow::Result<reportfig_engine::pipeline::Isa> {
    match std::env::var("REPORTFIG_ISA") {
        Ok(name) => reportfig_engine::pipeline::Isa::from_name(&name)
            .map_err(|e| BadInput(msg!("isa-env-invalid", reason = explain::isa_error(&e))).into()),
        Err(_) => Ok(reportfig_engine::pipeline::Isa::detect()),
    }
}

fn image_options(a: &cli::ImageArgs) -> Result<ImageOptions, BadInput> {
    let upscaler = a
        .upscaler
        .as_deref()
        .map(reportfig::model::upscaler::UpscalerSource::parse)
        .transpose()
        .map_err(|e| BadInput::from_error(&e))?;
    Ok(ImageOptions {
        style: a.style.clone(),
        size: a.size.clone(),
        exact_ratio: a.exact_ratio,
        finish: reportfig::print::Finish {
            dpi: a.dpi,
            page: a.print.map(cli::PrintArg::page),
            upscaler,
        },
        steps: a.steps,
        guidance: a.guidance,
        sampler: a.sampler,
        negative: a.negative.clone(),
        init: None,
    })
}

/// `--init-image`/`--strength`, read and checked before any model loads.
fn init_picture(
    a: &cli::InitImageArgs,
) -> Result<Option<Arc<reportfig::init_image::InitPicture>>, BadInput> {
    use reportfig::init_image::{InitPicture, DEFAULT_STRENGTH};
    match (&a.init_image, a.strength) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(BadInput(msg!("strength-needs-init-image"))),
        (Some(path), strength) => {
            let picture = InitPicture::open(path, strength.unwrap_or(DEFAULT_STRENGTH));
            let picture = match &a.mask {
                Some(mask) => picture.and_then(|p| p.with_mask(mask)),
                None => picture,
            };
            picture
                .map(|p| Some(Arc::new(p)))
                .map_err(|e| BadInput(e.message()))
        }
    }
}

fn style_library(
    styles_dir: Option<&std::path::Path>,
    term: &mut progress::Terminal,
) -> anyhow::Result<StyleLibrary> {
    use reportfig::commands::{Event, Reporter};
    let user_dir = reportfig::style::default_user_styles_dir();
    let lib = StyleLibrary::load(user_dir.as_deref(), styles_dir)?;
    for d in lib.diagnostics() {
        // A style file's diagnostics quote the file and field; their wording is English.
        term.event(Event::Warning(d.detail()));
    }
    Ok(lib)
}

fn title_spec(title: &str, a: &cli::TitleStyleArgs) -> reportfig::title::TitleSpec {
    reportfig::title::TitleSpec {
        title: title.to_string(),
        subtitle: a.subtitle.clone(),
        layout: title_layout(a.title_layout),
        font: title_font(a.title_font),
    }
}

fn title_layout(a: cli::TitleLayoutArg) -> reportfig::title::TitleLayout {
    use reportfig::title::TitleLayout;
    match a {
        cli::TitleLayoutArg::Top => TitleLayout::Top,
        cli::TitleLayoutArg::Bottom => TitleLayout::Bottom,
        cli::TitleLayoutArg::Center => TitleLayout::Center,
        cli::TitleLayoutArg::Band => TitleLayout::Band,
    }
}

fn title_font(a: cli::TitleFontArg) -> reportfig::title::TitleFont {
    match a {
        cli::TitleFontArg::Sans => reportfig::title::TitleFont::Sans,
        cli::TitleFontArg::Serif => reportfig::title::TitleFont::Serif,
    }
}

fn naming(arg: cli::NamesArg) -> reportfig::output::Naming {
    match arg {
        cli::NamesArg::Korean => reportfig::output::Naming::Korean,
        cli::NamesArg::Roman => reportfig::output::Naming::Roman,
    }
}

fn run(cli: Cli, term: &mut progress::Terminal) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Generate(a) => {
            let styles = style_library(a.model.styles_dir.as_deref(), term)?;
            let mut model = model_options(&a.model)?;
            if a.init.init_image.is_some() {
                model.load.vae_use = VaeUse::EncodeToo;
            }
            let opts = commands::generate::GenerateOptions {
                caption: a.caption.clone(),
                image: ImageOptions {
                    init: init_picture(&a.init)?,
                    ..image_options(&a.image)?
                },
                seed: a.seed,
                output: a.output.clone(),
                force: a.force,
                naming: naming(a.names),
                translate: translate_options_for(&a.translate, &model)?,
                model,
                title: a.title.as_ref().map(|t| title_spec(t, &a.title_style)),
                draft_decoder: draft_decoder(&a.decoder)?,
            };
            let done = commands::generate::run(&opts, &styles, term)?;
            if a.json {
                print_out(&serde_json::to_string_pretty(&done)?);
            } else {
                print_out(&done.path.display().to_string());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Batch(a) => {
            let styles = style_library(a.model.styles_dir.as_deref(), term)?;
            let cancel = Arc::new(AtomicBool::new(false));
            let flag = cancel.clone();
            let stopping = tr!(term.lang(), "note-batch-stopping");
            // First Ctrl-C: finish the image being made, write it, then stop. Second: stop now.
            let _ = ctrlc::set_handler(move || {
                if flag.swap(true, std::sync::atomic::Ordering::SeqCst) {
                    std::process::exit(130);
                }
                eprintln!("\n{stopping}");
            });
            let model = model_options(&a.model)?;
            let opts = commands::batch::BatchOptions {
                translate: translate_options_for(&a.translate, &model)?,
                outline: a.outline.clone(),
                image: image_options(&a.image)?,
                base_seed: a.seed,
                out: a.out.clone(),
                force: a.force,
                shard: a.shard.clone(),
                dry_run: a.dry_run,
                markdown: a.markdown,
                docx: a.docx.as_deref().map(docx_path),
                cover: a.cover,
                cover_title: commands::batch::CoverTitle {
                    title: a.title.clone(),
                    subtitle: a.subtitle.clone(),
                    layout: title_layout(a.title_layout),
                    font: title_font(a.title_font),
                },
                draft_decoder: draft_decoder(&a.decoder)?,
                naming: naming(a.names),
                lang: term.lang(),
                model,
            };
            let outcome = commands::batch::run(&opts, &styles, &cancel, term)?;
            if a.json {
                print_out(&serde_json::to_string_pretty(&outcome.json)?);
            } else {
                let text = reportfig::batch::render_lines(&outcome.lines, term.lang());
                print_out(text.trim_end());
            }
            Ok(if outcome.cancelled {
                ExitCode::from(130)
            } else if outcome.success {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Retitle(a) => {
            let styles = style_library(a.styles_dir.as_deref(), term)?;
            let opts = commands::retitle::RetitleOptions {
                file: a.file.clone(),
                title: title_spec(&a.title, &a.title_style),
                output: a.output.clone(),
                force: a.force,
            };
            let done = commands::retitle::run(&opts, &styles)?;
            if a.json {
                print_out(&serde_json::to_string_pretty(&done)?);
            } else {
                print_out(&done.path.display().to_string());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Compare(a) => {
            let styles = style_library(a.model.styles_dir.as_deref(), term)?;
            let mut model = model_options(&a.model)?;
            if a.init.init_image.is_some() {
                model.load.vae_use = VaeUse::EncodeToo;
            }
            let opts = commands::compare::CompareOptions {
                translate: translate_options_for(&a.translate, &model)?,
                captions: a.captions.clone(),
                styles: a.styles.clone(),
                seeds: a.seeds.clone(),
                vary: a.vary.clone(),
                image: ImageOptions {
                    init: init_picture(&a.init)?,
                    ..image_options(&a.image)?
                },
                output: a.output.clone(),
                font: a.font.clone(),
                force: a.force,
                naming: naming(a.names),
                lang: term.lang(),
                model,
                title: a.title.as_ref().map(|t| title_spec(t, &a.title_style)),
                draft_decoder: draft_decoder(&a.decoder)?,
            };
            let done = commands::compare::run(&opts, &styles, term)?;
            // The sheet to send, then the page with every single image and its snippet.
            print_out(&done.sheet.display().to_string());
            print_out(&done.index.display().to_string());
            Ok(ExitCode::SUCCESS)
        }
        Command::Translate(a) => {
            let hub = HubOptions::from_env(a.offline)?;
            let opts =
                translate_options(&a.translate, hub, candle_core::Device::Cpu, isa_from_env()?)?;
            let out = commands::translate::run(&a.captions, opts, term)?;
            if a.json {
                print_out(&serde_json::to_string_pretty(&out)?);
            } else {
                for line in &out {
                    print_out(&line.english);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve(a) => {
            let styles = style_library(a.model.styles_dir.as_deref(), term)?;
            let model = model_options(&a.model)?;
            let data = match a.data.clone() {
                Some(d) => d,
                None => directories::ProjectDirs::from("", "", "reportfig")
                    .map(|d| d.data_local_dir().join("serve"))
                    .ok_or_else(|| BadInput(msg!("serve-no-data-folder")))?,
            };
            let opts = reportfig::serve::ServeOptions {
                addr: a.addr.clone(),
                // The environment keeps the token out of `ps` and shell history.
                token: a.token.clone().or_else(|| {
                    std::env::var("REPORTFIG_TOKEN")
                        .ok()
                        .filter(|t| !t.is_empty())
                }),
                data,
                queue_limit: a.queue,
                per_client: a.per_client,
                instance: a.instance.clone().unwrap_or_else(host_name),
                translate: translate_options_for(&a.translate, &model)?,
                model,
            };
            let lang = term.lang();
            let quiet = term.is_quiet();
            let log: reportfig::serve::Log = Box::new(move |line| {
                if !quiet {
                    eprintln!("{}", line.get(lang));
                }
            });
            reportfig::serve::run(
                opts,
                styles,
                term,
                &mut |l| {
                    // The address on stdout (a script or test reads it), the rest on stderr.
                    print_out(&format!("http://{}", l.addr));
                    let mut err = std::io::stderr().lock();
                    if let Some(token) = &l.generated_token {
                        let _ = writeln!(
                            err,
                            "{}",
                            tr!(lang, "serve-token-generated", token = token.as_str())
                        );
                    }
                    if !quiet {
                        let url = format!("http://{}", l.addr);
                        let _ =
                            writeln!(err, "{}", tr!(lang, "serve-listening", url = url.as_str()));
                    }
                },
                log,
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Styles(s) => run_styles(s, term),
        Command::Models(ModelsCommand::List { json, offline }) => {
            let hub = HubOptions::from_env(offline)?;
            print_out(commands::models::list(&hub, json, term.lang())?.trim_end());
            Ok(ExitCode::SUCCESS)
        }
        Command::Models(ModelsCommand::Fetch { name, offline }) => {
            let hub = HubOptions::from_env(offline)?;
            // Said before anything starts, in the words of what the user set.
            if hub.offline {
                return Err(BadInput(if offline {
                    msg!("fetch-offline-flag", name = &name)
                } else {
                    msg!("fetch-offline-env", name = &name)
                })
                .into());
            }
            let lang = term.lang();
            let text = commands::models::fetch(&name, &hub, term, lang)
                .with_context(|| msg!("fetch-failed", name = &name))?;
            print_out(text.trim_end());
            Ok(ExitCode::SUCCESS)
        }
        Command::Models(ModelsCommand::Export {
            items,
            no_translator,
            offline,
        }) => {
            let (dir, names) = match items.split_last() {
                Some((dir, names)) if !names.is_empty() => (dir, names),
                _ => return Err(BadInput(msg!("export-needs-folder")).into()),
            };
            let dir = std::path::PathBuf::from(dir);
            let hub = HubOptions::from_env(offline)?;
            let report = commands::models::export(names, &dir, !no_translator, &hub, term)
                .with_context(|| msg!("export-failed", dir = dir.display().to_string()))?;
            print_out(
                commands::models::render_bundle_report(&report, true, term.lang()).trim_end(),
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Models(ModelsCommand::Import { dir }) => {
            let hub = HubOptions::from_env(true)?;
            let report = commands::models::import(&dir, &hub, term)
                .with_context(|| msg!("import-failed", dir = dir.display().to_string()))?;
            print_out(
                commands::models::render_bundle_report(&report, false, term.lang()).trim_end(),
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `--docx report` means `report.docx`: Word and HWP go by the extension.
fn docx_path(path: &std::path::Path) -> std::path::PathBuf {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("docx"))
    {
        path.to_path_buf()
    } else {
        let mut name = path.as_os_str().to_owned();
        name.push(".docx");
        name.into()
    }
}

fn run_styles(cmd: StylesCommand, term: &mut progress::Terminal) -> anyhow::Result<ExitCode> {
    match cmd {
        StylesCommand::List { styles_dir, json } => {
            let lib = style_library(styles_dir.as_deref(), term)?;
            print_out(commands::styles::list(&lib, json, term.lang())?.trim_end());
            Ok(ExitCode::SUCCESS)
        }
        StylesCommand::Show {
            name,
            caption,
            model,
            styles_dir,
        } => {
            let lib = style_library(styles_dir.as_deref(), term)?;
            print_out(
                commands::styles::show(&lib, &name, &caption, &model, term.lang())?.trim_end(),
            );
            Ok(ExitCode::SUCCESS)
        }
        StylesCommand::Check { file } => {
            let (text, ok) = commands::styles::check(&file, term.lang())?;
            print_out(text.trim_end());
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
        StylesCommand::Import { file, out, force } => {
            let dir = match out {
                Some(d) => d,
                None => reportfig::style::default_user_styles_dir()
                    .ok_or_else(|| BadInput(msg!("import-no-config-folder")))?,
            };
            print_out(commands::styles::import(&file, &dir, force, term.lang())?.trim_end());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The tiny decoder's folder when `--decoder tiny` asks for drafts.
fn draft_decoder(
    a: &cli::DecoderArgs,
) -> Result<Option<reportfig::model::tiny_decoder::DraftDecoder>, BadInput> {
    use reportfig::model::tiny_decoder::{DraftDecoder, TinyDecoderSource};
    match (a.decoder, &a.tiny_decoder) {
        (cli::DecoderArg::Full, None) => Ok(None),
        (cli::DecoderArg::Full, Some(_)) => Err(BadInput(msg!("tiny-decoder-needs-decoder-tiny"))),
        (cli::DecoderArg::Tiny, None) => Ok(Some(DraftDecoder(None))),
        (cli::DecoderArg::Tiny, Some(name)) => TinyDecoderSource::parse(name)
            .map(|s| Some(DraftDecoder(Some(s))))
            .map_err(|e| BadInput::from_error(&e)),
    }
}

/// The machine's name (a Kubernetes pod's name, which is its host name), naming a server
/// instance when `--instance` is not given; `reportfig` when no name can be found.
fn host_name() -> String {
    let from_file = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok();
    from_file
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|n| n.trim().to_string())
        .filter(|n| reportfig::serve::instances::check_name(n).is_ok())
        .unwrap_or_else(|| "reportfig".to_string())
}
