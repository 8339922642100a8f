//! The style library as the CLI uses it: built-ins, composition, user folders, check, import.
//!
//! Token counts use `estimate_clip_tokens`, a conservative stand-in for CLIP's tokenizer (it
//! never counts fewer tokens than the real BPE for these texts). The lead will switch these
//! tests to the real CLIP tokenizer once `pipeline::text` can load one without a download.

use std::path::Path;

use reportfig::i18n::Lang;
use reportfig::page::{PagePreset, SizeSpec};
use reportfig::style::builtin::BUILTIN_STYLES;
use reportfig::style::compose::compose;
use reportfig::style::compose::ComposedPrompt;
use reportfig::style::import::{
    import_file, import_text, write_imported, ImportError, ImportFormat,
};
use reportfig::style::render::{
    check_style_text, render_check, render_list, render_show, SAMPLE_CAPTION_EN, SAMPLE_CAPTION_KO,
};
use reportfig::style::{
    estimate_clip_tokens, parse_style, Diagnostic, DiagnosticKind, Origin, Severity, Style,
    StyleLibrary,
};
use reportfig_engine::family::ModelFamily;

/// A composition's notes as `styles show` prints them in English.
fn notes(c: &ComposedPrompt, family: ModelFamily) -> Vec<String> {
    c.notes(family).iter().map(|n| n.render(Lang::En)).collect()
}

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/styles");

fn count(s: &str) -> usize {
    estimate_clip_tokens(s)
}

fn style(toml: &str) -> Style {
    let (s, d) = parse_style(toml, "test.toml", None);
    s.unwrap_or_else(|| panic!("style did not parse: {d:?}"))
}

fn errors(d: &[Diagnostic]) -> Vec<&Diagnostic> {
    d.iter().filter(|d| d.severity == Severity::Error).collect()
}

// ---------------------------------------------------------------- built-ins

#[test]
fn every_builtin_file_is_embedded() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/styles");
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    on_disk.sort();
    let embedded: Vec<String> = BUILTIN_STYLES.iter().map(|(f, _)| f.to_string()).collect();
    assert_eq!(on_disk, embedded, "update src/style/builtin.rs");
}

#[test]
fn builtins_load_cleanly_and_there_are_at_least_24() {
    let lib = StyleLibrary::builtin();
    assert!(lib.diagnostics().is_empty(), "{:#?}", lib.diagnostics());
    assert!(lib.len() >= 24, "only {} built-in styles", lib.len());
}

#[test]
fn builtins_pass_styles_check_without_warnings() {
    for (file, text) in BUILTIN_STYLES {
        let (s, diags) = check_style_text(text, file, Some(file.trim_end_matches(".toml")), &count);
        assert!(s.is_some(), "{file}: {diags:#?}");
        assert!(diags.is_empty(), "{file}: {diags:#?}");
    }
}

#[test]
fn builtins_have_korean_titles_and_descriptions() {
    for s in StyleLibrary::builtin().iter() {
        let ko = s.style.title.ko.as_deref().unwrap_or("");
        assert!(
            ko.chars().any(|c| ('\u{ac00}'..='\u{d7a3}').contains(&c)),
            "{}: Korean title `{ko}`",
            s.style.name
        );
        assert!(!s.style.description.is_empty(), "{}", s.style.name);
        assert!(
            s.style.size.is_some(),
            "{} recommends no size",
            s.style.name
        );
    }
}

#[test]
fn builtin_negatives_keep_text_and_logos_out_on_every_family() {
    for s in StyleLibrary::builtin().iter() {
        for fam in ModelFamily::ALL {
            let neg = s.style.for_family(fam).negative_prompt.to_ascii_lowercase();
            for word in ["text", "letters", "watermark", "logo"] {
                assert!(
                    neg.contains(word),
                    "{} on {fam}: negative prompt lacks `{word}`",
                    s.style.name
                );
            }
        }
    }
}

#[test]
fn builtins_compose_english_and_korean_captions_within_budget() {
    let lib = StyleLibrary::builtin();
    for s in lib.iter() {
        for fam in ModelFamily::ALL {
            for caption in [
                SAMPLE_CAPTION_EN,
                SAMPLE_CAPTION_KO,
                "2025 budget by sector",
            ] {
                let c = compose(caption, &[&s.style], fam, &count);
                assert!(
                    c.dropped.is_empty() && c.tokens <= fam.token_window(),
                    "{} on {fam} with `{caption}`: {} tokens, dropped {:?}",
                    s.style.name,
                    c.tokens,
                    c.dropped
                );
                assert!(c.prompt.contains(caption), "{}: {}", s.style.name, c.prompt);
                assert!(c.dropped_negative.is_empty(), "{}", s.style.name);
            }
        }
    }
}

#[test]
fn builtin_turbo_settings_are_distilled_settings() {
    for s in StyleLibrary::builtin().iter() {
        for fam in [ModelFamily::Turbo, ModelFamily::SdxlTurbo] {
            let c = compose("a park", &[&s.style], fam, &count);
            let steps = c.steps.unwrap_or(0);
            assert!(
                (1..=4).contains(&steps),
                "{} on {fam}: {steps} steps",
                s.style.name
            );
            assert_eq!(c.guidance, Some(0.0), "{} on {fam}", s.style.name);
            assert_eq!(
                c.sampler, None,
                "{} on {fam}: the model's own scheduler",
                s.style.name
            );
            assert!(c.negative_has_no_effect);
        }
        let c = compose("a park", &[&s.style], ModelFamily::Sd15, &count);
        assert!(c.guidance.unwrap_or(0.0) > 1.0, "{}", s.style.name);
        assert!(!c.negative_has_no_effect);
    }
}

// ---------------------------------------------------------------- composition rules

const BASE: &str = r##"
name = "base"
title = { en = "Base", ko = "기본" }
category = "test"
description = "test"
prompt = "flat illustration of {prompt}, clean lines, white background"
negative_prompt = "text, watermark, blurry"
steps = 30
guidance = 7.0
sampler = "dpmpp-2m-karras"
size = "a4-portrait"

[sdxl]
prompt = "sdxl flat illustration of {prompt}, clean"
guidance = 5.0

[turbo]
prompt = "quick flat {prompt}"
steps = 2
guidance = 0.0
sampler = "default"
"##;

const NIGHT: &str = r##"
name = "night"
title = { en = "Night", ko = "밤" }
category = "test"
description = "test"
prompt = "{prompt} at night, city lights"
negative_prompt = "Text, overexposed, watermark"
steps = 40
size = "slide-16x9"
palette = ["#1f4e79", "#fafafa"]
"##;

#[test]
fn caption_replaces_the_slot() {
    let c = compose("a new library", &[&style(BASE)], ModelFamily::Sd15, &count);
    assert_eq!(
        c.prompt,
        "flat illustration of a new library, clean lines, white background"
    );
    assert_eq!(
        c.negative_prompt.as_deref(),
        Some("text, watermark, blurry")
    );
    assert_eq!(c.steps, Some(30));
    assert_eq!(c.guidance, Some(7.0));
    assert_eq!(c.sampler.map(|k| k.name()), Some("dpmpp-2m-karras"));
    assert_eq!(c.size, Some(SizeSpec::Preset(PagePreset::A4Portrait)));
    assert!(
        notes(&c, ModelFamily::Sd15).is_empty(),
        "{:?}",
        notes(&c, ModelFamily::Sd15)
    );
}

#[test]
fn no_slot_puts_the_caption_first() {
    let s = style(&BASE.replace("flat illustration of {prompt}, ", ""));
    let c = compose("a new library", &[&s], ModelFamily::Sd15, &count);
    assert_eq!(c.prompt, "a new library, clean lines, white background");
}

#[test]
fn no_style_is_the_bare_caption() {
    let c = compose("  a new library ", &[], ModelFamily::Sd15, &count);
    assert_eq!(c.prompt, "a new library");
    assert_eq!(c.negative_prompt, None);
    assert_eq!(c.steps, None);
}

#[test]
fn family_overrides_apply() {
    let s = style(BASE);
    let c = compose("a park", &[&s], ModelFamily::Sdxl, &count);
    assert_eq!(c.prompt, "sdxl flat illustration of a park, clean");
    assert_eq!(c.guidance, Some(5.0));
    assert_eq!(c.steps, Some(30));
    // SD 2.1 has no table: base values.
    let c = compose("a park", &[&s], ModelFamily::Sd21, &count);
    assert_eq!(
        c.prompt,
        "flat illustration of a park, clean lines, white background"
    );
    let c = compose("a park", &[&s], ModelFamily::Turbo, &count);
    assert_eq!(c.prompt, "quick flat a park");
    assert_eq!(
        (c.steps, c.guidance, c.sampler.map(|k| k.name())),
        (Some(2), Some(0.0), None)
    );
    assert!(c.negative_has_no_effect);
    assert_eq!(
        notes(&c, ModelFamily::Turbo)
            .iter()
            .filter(|n| n.contains("negative prompt has no effect"))
            .count(),
        1
    );
}

#[test]
fn sdxl_turbo_takes_sdxl_then_turbo_overrides() {
    let s = style(&BASE.replace("prompt = \"quick flat {prompt}\"\n", ""));
    let c = compose("a park", &[&s], ModelFamily::SdxlTurbo, &count);
    // Prompt from [sdxl] (turbo has none), steps and guidance from [turbo].
    assert_eq!(c.prompt, "sdxl flat illustration of a park, clean");
    assert_eq!((c.steps, c.guidance), (Some(2), Some(0.0)));
}

#[test]
fn stacking_wraps_in_order_and_merges_negatives() {
    let (a, b) = (style(BASE), style(NIGHT));
    let c = compose("a bridge", &[&a, &b], ModelFamily::Sd15, &count);
    assert_eq!(
        c.prompt,
        "flat illustration of a bridge, clean lines, white background at night, \
         navy blue and white color palette, city lights"
    );
    assert_eq!(
        c.negative_prompt.as_deref(),
        Some("text, watermark, blurry, overexposed")
    );
    // The first style's settings win; later styles fill gaps.
    assert_eq!(c.steps, Some(30));
    assert_eq!(c.size, Some(SizeSpec::Preset(PagePreset::A4Portrait)));
    let c = compose("a bridge", &[&b, &a], ModelFamily::Sd15, &count);
    assert_eq!(
        c.prompt,
        "flat illustration of a bridge at night, navy blue and white color palette, city lights, \
         clean lines, white background"
    );
    assert_eq!(c.steps, Some(40));
    assert_eq!(c.guidance, Some(7.0));
}

#[test]
fn library_resolves_stacks_and_suggests_names() {
    let lib = StyleLibrary::builtin();
    let stack = lib
        .resolve_stack("flat-vector-infographic + night-city")
        .unwrap();
    assert_eq!(stack.len(), 2);
    let e = lib
        .resolve_stack("flat-vector-infographc+night-city")
        .unwrap_err()
        .to_string();
    insta::assert_snapshot!(e, @"no style named `flat-vector-infographc` (did you mean `flat-vector-infographic` (플랫 벡터 인포그래픽)?); run `reportfig styles list` to see them all");
}

/// Counts every character as a token, so a 75-token window fills quickly.
fn chars(s: &str) -> usize {
    s.chars().count()
}

#[test]
fn trimming_drops_style_phrases_from_the_end_and_keeps_the_caption() {
    let s = style(&BASE.replace(
        "flat illustration of {prompt}, clean lines, white background",
        "vector, flat illustration of {prompt}, clean lines, white background, minimal, calm",
    ));
    let caption = "a new public library by the river";
    let c = compose(caption, &[&s], ModelFamily::Sd15, &chars);
    assert!(c.prompt.contains(caption), "{}", c.prompt);
    assert!(c.tokens <= 75, "{} tokens: {}", c.tokens, c.prompt);
    assert_eq!(c.dropped, vec!["calm", "minimal", "white background"]);
    assert_eq!(
        c.prompt,
        "vector, flat illustration of a new public library by the river, clean lines"
    );
    let told = notes(&c, ModelFamily::Sd15);
    assert_eq!(told.len(), 1, "{told:?}");
}

#[test]
fn trimming_removes_the_words_around_the_caption_last() {
    let caption = "a new public library by the river with a garden and a cafe for all";
    let c = compose(caption, &[&style(BASE)], ModelFamily::Sd15, &chars);
    assert_eq!(c.prompt, caption);
    assert_eq!(
        c.dropped,
        vec!["white background", "clean lines", "flat illustration of"]
    );
}

#[test]
fn a_caption_longer_than_the_window_is_kept_whole_with_a_note() {
    let caption = "x".repeat(100);
    let c = compose(&caption, &[&style(BASE)], ModelFamily::Sdxl, &chars);
    assert_eq!(c.prompt, caption);
    let told = notes(&c, ModelFamily::Sdxl);
    assert!(
        told.iter()
            .any(|n| n.contains("its last words will have no effect")),
        "{told:?}"
    );
}

#[test]
fn long_negative_prompts_are_trimmed_from_the_end() {
    let long = (0..40)
        .map(|i| format!("bad{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let s = style(&BASE.replace(
        "text, watermark, blurry",
        &format!("text, watermark, {long}"),
    ));
    let c = compose("a park", &[&s], ModelFamily::Sd15, &count);
    let neg = c.negative_prompt.unwrap();
    assert!(neg.starts_with("text, watermark"));
    assert!(count(&neg) <= 75);
    assert_eq!(
        c.dropped_negative.first().map(String::as_str),
        Some("bad39")
    );
}

// ---------------------------------------------------------------- malformed files

fn check_fixture(name: &str) -> String {
    let text = std::fs::read_to_string(format!("{FIXTURES}/malformed/{name}")).unwrap();
    let (s, diags) = check_style_text(&text, name, Some(name.trim_end_matches(".toml")), &count);
    assert!(s.is_none(), "{name} should fail the check");
    let mut out = Vec::new();
    render_check(name, &diags, Lang::En, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn malformed_syntax() {
    insta::assert_snapshot!(check_fixture("syntax.toml"));
}

#[test]
fn malformed_unknown_key() {
    insta::assert_snapshot!(check_fixture("unknown-key.toml"));
}

#[test]
fn malformed_missing_prompt() {
    insta::assert_snapshot!(check_fixture("missing-prompt.toml"));
}

#[test]
fn malformed_bad_values() {
    insta::assert_snapshot!(check_fixture("bad-values.toml"));
}

#[test]
fn malformed_bad_name() {
    insta::assert_snapshot!(check_fixture("bad-name.toml"));
}

#[test]
fn malformed_too_long_for_the_window() {
    insta::assert_snapshot!(check_fixture("too-long.toml"));
}

#[test]
fn unknown_keys_only_warn_when_loading() {
    let text = std::fs::read_to_string(format!("{FIXTURES}/malformed/unknown-key.toml")).unwrap();
    let (s, diags) = parse_style(&text, "unknown-key.toml", Some("unknown-key"));
    assert!(s.is_some());
    assert!(errors(&diags).is_empty());
    let unknown: Vec<_> = diags
        .iter()
        .filter(|d| d.kind == DiagnosticKind::UnknownKey)
        .map(|d| (d.line, d.field.clone()))
        .collect();
    assert_eq!(
        unknown,
        vec![
            (Some(6), Some("negative_promt".to_string())),
            (Some(10), Some("sdxl.stpes".to_string()))
        ]
    );
}

// ---------------------------------------------------------------- user folders

#[test]
fn user_styles_override_builtins_and_bad_files_do_not_stop_loading() {
    let user = Path::new(FIXTURES).join("user");
    let lib = StyleLibrary::load(None, Some(&user)).unwrap();
    let builtins = StyleLibrary::builtin().len();
    // broken.toml is skipped, no-slot.toml is new, flat-vector-infographic replaces.
    assert_eq!(lib.len(), builtins + 1);
    let flat = lib.get("flat-vector-infographic").unwrap();
    assert!(matches!(flat.origin, Origin::File(_)));
    assert!(matches!(flat.replaces, Some(Origin::Builtin(_))));
    let errs = errors(lib.diagnostics());
    assert!(!errs.is_empty());
    assert!(
        errs.iter().all(|d| d.file.ends_with("broken.toml")),
        "{errs:#?}"
    );
    assert!(errs.iter().any(|d| d.line == Some(3)), "{errs:#?}");

    let mut out = Vec::new();
    render_show(
        flat,
        "a park",
        ModelFamily::Sd15,
        &count,
        Lang::En,
        &mut out,
    )
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("replaces the one in built-in flat-vector-infographic.toml"),
        "{text}"
    );

    let c = compose(
        "a park",
        &[&lib.get("no-slot").unwrap().style],
        ModelFamily::Sd15,
        &count,
    );
    assert_eq!(c.prompt, "a park, pastel colors, soft light");
}

#[test]
fn missing_config_dir_is_fine_but_missing_styles_dir_is_an_error() {
    let nowhere = Path::new(FIXTURES).join("does-not-exist");
    assert!(StyleLibrary::load(Some(&nowhere), None).is_ok());
    let e = StyleLibrary::load(None, Some(&nowhere))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("does-not-exist") && e.contains("--styles-dir"),
        "{e}"
    );
}

#[test]
fn list_is_grouped_with_korean_titles() {
    let mut out = Vec::new();
    render_list(&StyleLibrary::builtin(), Lang::En, &mut out).unwrap();
    insta::assert_snapshot!(String::from_utf8(out).unwrap());
}

#[test]
fn show_composes_for_the_family() {
    let lib = StyleLibrary::builtin();
    let mut out = Vec::new();
    let s = lib.get("flat-vector-infographic").unwrap();
    render_show(
        s,
        SAMPLE_CAPTION_EN,
        ModelFamily::Sdxl,
        &count,
        Lang::En,
        &mut out,
    )
    .unwrap();
    render_show(
        s,
        SAMPLE_CAPTION_KO,
        ModelFamily::Turbo,
        &count,
        Lang::En,
        &mut out,
    )
    .unwrap();
    insta::assert_snapshot!(String::from_utf8(out).unwrap());
}

/// The same in Korean: every label in the user's language, the values as they are.
#[test]
fn show_in_korean() {
    let lib = StyleLibrary::builtin();
    let mut out = Vec::new();
    let s = lib.get("flat-vector-infographic").unwrap();
    render_show(
        s,
        SAMPLE_CAPTION_KO,
        ModelFamily::Turbo,
        &count,
        Lang::Ko,
        &mut out,
    )
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    for label in [
        "제목:",
        "분류:",
        "출처:       기본 제공",
        "프롬프트:",
        "토큰:",
        "지침 강도:",
    ] {
        assert!(text.contains(label), "{label}\n{text}");
    }
    for english in [
        "title:",
        "category:",
        "prompt:",
        "tokens:",
        "built-in",
        "model default",
    ] {
        assert!(!text.contains(english), "{english}\n{text}");
    }
}

// ---------------------------------------------------------------- import

#[test]
fn imports_a1111_csv() {
    let styles = import_file(&Path::new(FIXTURES).join("import/styles.csv")).unwrap();
    let names: Vec<&str> = styles.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        vec!["cinematic-sdxl", "line-art", "quoted-name", "imported-5"]
    );
    for s in &styles {
        let (parsed, diags) = parse_style(&s.toml, "imported.toml", Some(&s.name));
        let parsed = parsed.unwrap_or_else(|| panic!("{}: {diags:#?}\n{}", s.name, s.toml));
        assert_eq!(parsed.name, s.name);
        assert_eq!(parsed.title.en, s.original_name);
    }
    insta::assert_snapshot!(styles[0].toml);
    let quoted = style_of(&styles[2].toml);
    assert_eq!(quoted.prompt, "poster of {prompt}, \"bold\" colors");
    let line_art = style_of(&styles[1].toml);
    let c = compose("a dog", &[&line_art], ModelFamily::Sd15, &count);
    assert_eq!(c.prompt, "a dog, line art drawing, clean outlines");
}

/// A style that only adds a negative prompt (a row with an empty prompt, found by the long
/// fuzz run) imports as one that keeps the caption as the prompt and loads, in CSV and JSON
/// alike; it was written with `prompt = ""`, which no style library loads.
#[test]
fn an_imported_style_with_only_a_negative_prompt_keeps_the_caption_and_loads() {
    for (text, format) in [
        (
            "name,prompt,negative_prompt\nNo text,,\"text, watermark\"\n",
            ImportFormat::A1111Csv,
        ),
        (
            r#"[{"name": "No text", "prompt": "", "negative_prompt": "text, watermark"}]"#,
            ImportFormat::StyleJson,
        ),
    ] {
        let styles = import_text(text, format, "s").unwrap();
        let (style, diags) = parse_style(&styles[0].toml, "x.toml", Some(&styles[0].name));
        let style = style.unwrap_or_else(|| panic!("{diags:#?}\n{}", styles[0].toml));
        assert_eq!(style.prompt, "{prompt}");
        let c = compose("a bus stop", &[&style], ModelFamily::Sd15, &count);
        assert_eq!(c.prompt, "a bus stop");
        assert_eq!(style.negative_prompt, "text, watermark");
    }
}

fn style_of(toml: &str) -> Style {
    parse_style(toml, "x.toml", None).0.unwrap()
}

#[test]
fn imports_fooocus_and_invokeai_json() {
    let styles = import_file(&Path::new(FIXTURES).join("import/sdxl_styles.json")).unwrap();
    let names: Vec<&str> = styles.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, vec!["sai-3d-model", "mre-minimalist"]);
    let s = style_of(&styles[0].toml);
    assert_eq!(
        s.prompt,
        "professional 3d model {prompt} . octane render, highly detailed, volumetric, dramatic lighting"
    );
    assert_eq!(style_of(&styles[1].toml).negative_prompt, "");

    let styles = import_file(&Path::new(FIXTURES).join("import/invoke_presets.json")).unwrap();
    let s = style_of(&styles[0].toml);
    assert_eq!(
        (s.name.as_str(), s.prompt.as_str()),
        ("poster", "poster of {prompt}, bold")
    );
}

#[test]
fn import_errors_say_what_and_where() {
    let e = import_file(&Path::new(FIXTURES).join("import/broken.json")).unwrap_err();
    assert!(matches!(e, ImportError::Json { line: 3, .. }), "{e}");
    let e = import_text("title,text\na,b\n", ImportFormat::A1111Csv, "x.csv").unwrap_err();
    insta::assert_snapshot!(e.to_string(), @"x.csv: the CSV has no `name` and `prompt` columns (found: title,text); A1111's styles.csv starts with the line name,prompt,negative_prompt");
    let e = import_text("name,prompt\nNone,\n", ImportFormat::A1111Csv, "x.csv").unwrap_err();
    assert_eq!(e.to_string(), "x.csv has no styles to import");
}

/// The catalogue's English for import errors is their own English, word for word, so
/// giving them a Korean translation changed nothing for English users.
#[test]
fn import_errors_read_the_same_from_the_catalogue_in_english() {
    let errors = [
        import_text("title,text\na,b\n", ImportFormat::A1111Csv, "x.csv").unwrap_err(),
        import_text("name,prompt\nNone,\n", ImportFormat::A1111Csv, "x.csv").unwrap_err(),
        import_file(&Path::new(FIXTURES).join("import/broken.json")).unwrap_err(),
        ImportError::Exists {
            paths: vec!["a.toml".into()],
        },
        ImportError::Exists {
            paths: vec!["a.toml".into(), "b.toml".into()],
        },
    ];
    for e in errors {
        let m = reportfig::explain::message(&e);
        assert_ne!(m.id(), "untranslated", "{e}");
        assert_eq!(m.render(reportfig::i18n::Lang::En), e.to_string());
    }
}

#[test]
fn import_writes_files_and_never_overwrites_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let styles = import_file(&Path::new(FIXTURES).join("import/sdxl_styles.json")).unwrap();
    let written = write_imported(&styles, dir.path(), false).unwrap();
    assert_eq!(written.len(), 2);
    std::fs::write(&written[0], "# edited by hand\n").unwrap();
    let e = write_imported(&styles, dir.path(), false).unwrap_err();
    assert!(
        matches!(&e, ImportError::Exists { paths } if paths.len() == 2),
        "{e}"
    );
    assert!(e.to_string().contains("pass --force"), "{e}");
    assert_eq!(
        std::fs::read_to_string(&written[0]).unwrap(),
        "# edited by hand\n"
    );
    write_imported(&styles, dir.path(), true).unwrap();
    assert_eq!(
        std::fs::read_to_string(&written[0]).unwrap(),
        styles[0].toml
    );
    // The written folder loads as a user styles folder.
    let lib = StyleLibrary::load(None, Some(dir.path())).unwrap();
    assert!(lib.get("sai-3d-model").is_ok());
    assert!(
        errors(lib.diagnostics()).is_empty(),
        "{:#?}",
        lib.diagnostics()
    );
}

#[test]
fn page_presets_per_family() {
    let mut out = Vec::new();
    reportfig::page::render_presets(&mut out).unwrap();
    insta::assert_snapshot!(String::from_utf8(out).unwrap());
}

#[test]
fn a_unique_beginning_names_a_style() {
    let lib = reportfig::style::StyleLibrary::builtin();
    assert_eq!(
        lib.get("flat-vector").unwrap().style.name,
        "flat-vector-infographic"
    );
    assert_eq!(
        lib.get("watercolor-city").unwrap().style.name,
        "watercolor-cityscape"
    );
    // "texture" begins three styles: not enough to choose one.
    assert!(lib.get("texture").is_err());
}

#[test]
fn an_import_field_that_is_not_text_is_an_error_naming_the_style_not_a_silent_skip() {
    let text = r#"[{"name": "ok", "prompt": "a {prompt}"}, {"name": "bad", "prompt": 42}]"#;
    let err = import_text(text, ImportFormat::StyleJson, "s.json").unwrap_err();
    assert!(
        matches!(
            err,
            ImportError::BadField {
                entry: 2,
                field: "prompt",
                found: "a number",
                ..
            }
        ),
        "{err}"
    );
    // Through the binary: exit 2 (bad input), nothing written.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.json"), text).unwrap();
    let r = crate::common::run(
        crate::common::reportfig_in(dir.path()).args(["styles", "import", "s.json"]),
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("style 2"), "{}", r.stderr);
    assert!(!dir.path().join(".home/config/reportfig/styles").exists());
    // So is a file that is not JSON at all.
    std::fs::write(dir.path().join("s.json"), "garbage{").unwrap();
    let r = crate::common::run(
        crate::common::reportfig_in(dir.path()).args(["styles", "import", "s.json"]),
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
}
