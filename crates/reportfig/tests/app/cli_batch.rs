//! `reportfig batch` end to end through the binary, on a tiny turbo model (64x64, 1 step).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use assert_cmd::Command;
use reportfig::batch::{self, BatchSettings, FigureRenderer, FigureSpec, StepProgress};
use reportfig::commands::batch::{figure_image_options, OutputStore, PipelineRenderer};
use reportfig::settings::ImageOptions;
use reportfig_engine::request::GenerationRequest;

use crate::common;
use common::{files, ok, reportfig_offline, run, tiny_turbo};

fn batch(home: &Path, outline: &Path, extra: &[&str]) -> Command {
    let mut cmd = reportfig_offline(home);
    cmd.arg("batch").arg(outline).args([
        "--model",
        tiny_turbo().to_str().unwrap(),
        "--size",
        "64x64",
        "--steps",
        "1",
        // Korean as typed: translation has its own tests (cli_translate.rs).
        "--no-translate",
    ]);
    cmd.args(extra);
    cmd
}

fn pngs(dir: &Path) -> Vec<String> {
    files(dir)
        .into_iter()
        .filter(|f| f.ends_with(".png"))
        .collect()
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()
}

#[test]
fn markdown_text_and_csv_outlines_make_their_figures_and_resume() {
    let home = tempfile::tempdir().unwrap();
    let cases: [(&str, &str, &[&str]); 3] = [
        (
            "outline.md",
            "# 2026 교통 보고서\n\n그림 1. 버스 전용차로 확대\n\n본문.\n\n그림 2: 자전거 도로 {style=watercolor-cityscape seed=9}\n",
            &["01-버스-전용차로-확대.png", "02-자전거-도로.png"],
        ),
        (
            "captions.txt",
            "# comment\nSmart bus stop with arrival times\n\nNight view of city hall {style=night-city file=night.png}\n",
            &["01-smart-bus-stop-with-arrival-times.png", "night.png"],
        ),
        (
            "figures.csv",
            "caption,style,size,seed,file,negative\n노인복지관 개관식,welfare-care,,,,\n\"Volunteers delivering meals, door to door\",community-people,64x64,77,meal.png,\"text, watermark\"\n",
            &["01-노인복지관-개관식.png", "meal.png"],
        ),
    ];
    for (name, text, expected) in cases {
        let report = home.path().join(name.replace('.', "-"));
        std::fs::create_dir_all(&report).unwrap();
        let outline = report.join(name);
        std::fs::write(&outline, text).unwrap();
        let first = ok(batch(home.path(), &outline, &["--style", "isometric-city"]));
        assert!(
            first
                .stdout
                .starts_with("2 generated, 0 up to date, 0 failed"),
            "{name}: {}",
            first.stdout
        );
        let figures = report.join("figures");
        let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
        want.extend(["index.html".into(), "manifest.json".into()]);
        want.sort();
        assert_eq!(files(&figures), want, "{name}");
        let m = manifest(&figures);
        assert_eq!(m["figures"].as_array().unwrap().len(), 2, "{name}: {m}");
        let html = std::fs::read_to_string(figures.join("index.html")).unwrap();
        for f in expected {
            assert!(html.contains(f), "{name}: {f} not in the gallery");
            let req = reportfig::output::read_metadata(&figures.join(f))
                .unwrap()
                .unwrap();
            assert_eq!((req.width, req.height, req.steps), (64, 64, 1));
        }
        // A second run makes nothing and loads no model.
        let second = ok(batch(home.path(), &outline, &["--style", "isometric-city"]));
        assert!(
            second
                .stdout
                .starts_with("0 generated, 2 up to date, 0 failed"),
            "{name}: {}",
            second.stdout
        );
        assert!(!second.stderr.contains("loading"), "{}", second.stderr);
    }
}

#[test]
fn per_figure_settings_reach_the_request() {
    let home = tempfile::tempdir().unwrap();
    let outline = home.path().join("o.txt");
    std::fs::write(
        &outline,
        "Parks {style=watercolor-cityscape seed=2026 negative=\"cars\"}\nRoads\n",
    )
    .unwrap();
    ok(batch(
        home.path(),
        &outline,
        &[
            "--style",
            "isometric-city",
            "--seed",
            "40",
            "--guidance",
            "2",
        ],
    ));
    let dir = home.path().join("figures");
    let a = reportfig::output::read_metadata(&dir.join("01-parks.png"))
        .unwrap()
        .unwrap();
    assert_eq!(a.styles, ["watercolor-cityscape"]);
    assert_eq!(a.seed, 2026);
    assert_eq!(a.negative_prompt.as_deref(), Some("cars"));
    let b = reportfig::output::read_metadata(&dir.join("02-roads.png"))
        .unwrap()
        .unwrap();
    assert_eq!(b.styles, ["isometric-city"]);
    assert_eq!(b.seed, 41, "figure 2 gets base + 1");
    assert_ne!(b.negative_prompt.as_deref(), Some("cars"));
}

#[test]
fn editing_one_caption_regenerates_exactly_one() {
    let home = tempfile::tempdir().unwrap();
    let outline = home.path().join("outline.txt");
    std::fs::write(&outline, "Bus lanes\nBike lanes\nParks\n").unwrap();
    ok(batch(home.path(), &outline, &[]));
    let dir = home.path().join("figures");
    let before_1 = std::fs::read(dir.join("01-bus-lanes.png")).unwrap();
    std::fs::write(&outline, "Bus lanes\nProtected bike lanes\nParks\n").unwrap();
    let r = ok(batch(home.path(), &outline, &[]));
    assert!(
        r.stdout.starts_with("1 generated, 2 up to date, 0 failed"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("not in the outline (left alone): 02-bike-lanes.png"),
        "{}",
        r.stdout
    );
    assert_eq!(
        std::fs::read(dir.join("01-bus-lanes.png")).unwrap(),
        before_1
    );
    assert!(dir.join("02-protected-bike-lanes.png").exists());
    // --force remakes everything, byte for byte the same.
    let r = ok(batch(home.path(), &outline, &["--force"]));
    assert!(
        r.stdout.starts_with("3 generated, 0 up to date"),
        "{}",
        r.stdout
    );
    assert_eq!(
        std::fs::read(dir.join("01-bus-lanes.png")).unwrap(),
        before_1
    );
}

#[test]
fn shards_together_equal_a_whole_run() {
    let home = tempfile::tempdir().unwrap();
    let text = "One\nTwo\nThree\nFour\nFive\n";
    let whole = home.path().join("whole");
    let split = home.path().join("split");
    for d in [&whole, &split] {
        std::fs::create_dir_all(d).unwrap();
        std::fs::write(d.join("o.txt"), text).unwrap();
    }
    ok(batch(home.path(), &whole.join("o.txt"), &[]));
    let r1 = ok(batch(
        home.path(),
        &split.join("o.txt"),
        &["--shard", "1/2"],
    ));
    assert!(
        r1.stdout
            .starts_with("3 generated, 0 up to date, 0 failed, 2 left to other shards"),
        "{}",
        r1.stdout
    );
    ok(batch(
        home.path(),
        &split.join("o.txt"),
        &["--shard", "2/2"],
    ));
    let (a, b) = (whole.join("figures"), split.join("figures"));
    assert_eq!(pngs(&a), pngs(&b));
    assert_eq!(pngs(&a).len(), 5);
    for f in pngs(&a) {
        assert_eq!(
            std::fs::read(a.join(&f)).unwrap(),
            std::fs::read(b.join(&f)).unwrap(),
            "{f}"
        );
    }
    let strip = |mut m: serde_json::Value| {
        for f in m["figures"].as_array_mut().unwrap() {
            f["seconds"] = serde_json::Value::Null;
        }
        m
    };
    assert_eq!(strip(manifest(&a)), strip(manifest(&b)));
}

/// Variables a scheduler sets in one task's environment.
type TaskEnvironment = Vec<(&'static str, String)>;

const SCHEDULER_VARIABLES: [&str; 6] = [
    "SLURM_ARRAY_TASK_ID",
    "SLURM_ARRAY_TASK_COUNT",
    "SLURM_ARRAY_TASK_MIN",
    "SLURM_ARRAY_TASK_MAX",
    "SLURM_ARRAY_TASK_STEP",
    "JOB_COMPLETION_INDEX",
];

/// One task of a cluster job: `batch --shard auto…` with only the given scheduler variables.
fn scheduled_task(home: &Path, outline: &Path, shard: &str, vars: &[(&str, String)]) -> Command {
    let docx = outline.with_file_name("report.docx");
    let mut cmd = batch(
        home,
        outline,
        &["--shard", shard, "--docx", docx.to_str().unwrap()],
    );
    for v in SCHEDULER_VARIABLES {
        cmd.env_remove(v);
    }
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd
}

/// What the tasks of a Slurm array and of a Kubernetes Indexed Job make when they all run at
/// once into one figures folder, as the schedulers start them: the same figures, manifest and
/// document as one process making the whole outline.
#[test]
fn cluster_tasks_running_at_once_make_what_one_run_makes() {
    let home = tempfile::tempdir().unwrap();
    let text = "One\nTwo\nThree\nFour\nFive\nSix\nSeven\n";
    let whole = home.path().join("whole");
    std::fs::create_dir_all(&whole).unwrap();
    std::fs::write(whole.join("o.txt"), text).unwrap();
    let whole_docx = whole.join("report.docx");
    ok(batch(
        home.path(),
        &whole.join("o.txt"),
        &["--docx", whole_docx.to_str().unwrap()],
    ));
    let whole_figures = whole.join("figures");

    // sbatch --array=1-3 sets these in each task; Kubernetes sets only the index (0-based)
    // and the manifest passes its completions in the command (auto/2).
    let slurm: Vec<TaskEnvironment> = (1..=3)
        .map(|id| {
            vec![
                ("SLURM_ARRAY_TASK_ID", id.to_string()),
                ("SLURM_ARRAY_TASK_COUNT", "3".into()),
                ("SLURM_ARRAY_TASK_MIN", "1".into()),
                ("SLURM_ARRAY_TASK_MAX", "3".into()),
                ("SLURM_ARRAY_TASK_STEP", "1".into()),
            ]
        })
        .collect();
    let kubernetes: Vec<TaskEnvironment> = (0..2)
        .map(|i| vec![("JOB_COMPLETION_INDEX", i.to_string())])
        .collect();
    for (name, shard, tasks) in [("slurm", "auto", slurm), ("k8s", "auto/2", kubernetes)] {
        let dir = home.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("o.txt"), text).unwrap();
        let outline = dir.join("o.txt");
        let runs: Vec<common::Run> = std::thread::scope(|scope| {
            let handles: Vec<_> = tasks
                .iter()
                .map(|vars| {
                    let cmd = scheduled_task(home.path(), &outline, shard, vars);
                    scope.spawn(move || run(cmd))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut made = 0;
        for r in &runs {
            assert_eq!(r.code, 0, "{name}: {}\n{}", r.stdout, r.stderr);
            made += r
                .stdout
                .split(" generated")
                .next()
                .unwrap()
                .parse::<usize>()
                .unwrap();
        }
        assert_eq!(made, 7, "{name}: every figure made by exactly one task");
        let figures = dir.join("figures");
        assert_eq!(pngs(&figures), pngs(&whole_figures), "{name}");
        for f in pngs(&figures) {
            assert_eq!(
                std::fs::read(figures.join(&f)).unwrap(),
                std::fs::read(whole_figures.join(&f)).unwrap(),
                "{name}: {f}"
            );
        }
        let strip = |mut m: serde_json::Value| {
            for f in m["figures"].as_array_mut().unwrap() {
                f["seconds"] = serde_json::Value::Null;
            }
            m
        };
        assert_eq!(
            strip(manifest(&figures)),
            strip(manifest(&whole_figures)),
            "{name}: the last task to finish indexed every figure"
        );
        assert_eq!(
            manifest(&figures)["missing"],
            serde_json::json!([]),
            "{name}"
        );
        let gallery = std::fs::read_to_string(figures.join("index.html")).unwrap();
        for f in pngs(&figures) {
            assert!(gallery.contains(&f), "{name}: the gallery shows {f}");
        }
        // Every figure is in the document once the last task wrote it (pictures are stored
        // in the .docx as media files).
        let docx = std::fs::read(dir.join("report.docx")).unwrap();
        let whole_docx = std::fs::read(&whole_docx).unwrap();
        assert_eq!(
            docx_media_count(&docx),
            docx_media_count(&whole_docx),
            "{name}"
        );
    }
}

fn docx_media_count(docx: &[u8]) -> usize {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(docx)).unwrap();
    (0..zip.len())
        .filter(|&i| {
            let f = zip.by_index(i).unwrap();
            f.name().unwrap().starts_with("word/media/")
        })
        .count()
}

#[test]
fn shard_auto_outside_a_scheduler_says_what_it_reads() {
    let home = tempfile::tempdir().unwrap();
    let outline = home.path().join("o.txt");
    std::fs::write(&outline, "One\nTwo\n").unwrap();
    let cases: [(&str, TaskEnvironment, &str); 3] = [
        (
            "auto",
            vec![],
            "--shard auto: neither SLURM_ARRAY_TASK_ID (Slurm) nor JOB_COMPLETION_INDEX (Kubernetes) is set",
        ),
        (
            "auto",
            vec![("JOB_COMPLETION_INDEX", "1".into())],
            "--shard auto: JOB_COMPLETION_INDEX gives this task's index but not how many tasks there are",
        ),
        (
            "auto/2",
            vec![
                ("SLURM_ARRAY_TASK_ID", "3".into()),
                ("SLURM_ARRAY_TASK_MIN", "1".into()),
                ("SLURM_ARRAY_TASK_MAX", "3".into()),
            ],
            "--shard auto/2: the command says 2 shards but the Slurm array has 3 tasks",
        ),
    ];
    for (shard, vars, first_line) in cases {
        let r = run(scheduled_task(home.path(), &outline, shard, &vars));
        assert_eq!(r.code, 2, "{shard}: {}", r.stderr);
        assert!(r.stderr.contains(first_line), "{shard}: {}", r.stderr);
        assert!(r.stderr.contains("sbatch --array=1-N"), "{}", r.stderr);
        assert!(!home.path().join("figures").exists(), "nothing made");
    }
    // In Korean too, with the same variables named.
    let mut cmd = scheduled_task(home.path(), &outline, "auto", &[]);
    cmd.env("LANG", "ko_KR.UTF-8");
    let r = run(cmd);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("SLURM_ARRAY_TASK_ID(Slurm)도 JOB_COMPLETION_INDEX(Kubernetes)도"),
        "{}",
        r.stderr
    );
}

#[test]
fn bad_outlines_and_options_exit_2_with_clear_errors() {
    let home = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = home.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let cases: Vec<(PathBuf, Vec<&str>, &str)> = vec![
        (
            home.path().join("missing.md"),
            vec![],
            "cannot read the outline",
        ),
        (
            write("empty.txt", "# only a comment\n"),
            vec![],
            "the outline has no figures",
        ),
        (
            write("style.txt", "Parks\nRoads {style=no-such-style}\n"),
            vec![],
            "style.txt:2: unknown style \"no-such-style\"",
        ),
        (
            write("seed.txt", "Parks {seed=abc}\n"),
            vec![],
            "seed.txt:1: seed \"abc\" is not a whole number",
        ),
        (
            write("size.txt", "Parks\nRoads {size=huge}\n"),
            vec![],
            "size.txt:2:",
        ),
        (
            write("ok.txt", "Parks\n"),
            vec!["--shard", "3/2"],
            "--shard 3/2",
        ),
        (
            write("ok2.txt", "Parks\n"),
            vec!["--style", "nope-style"],
            "nope-style",
        ),
        (
            write("ok3.txt", "Parks\n"),
            vec!["--markdown"],
            "--markdown needs a Markdown outline",
        ),
    ];
    for (outline, extra, expected) in cases {
        let r = run(batch(home.path(), &outline, &extra));
        assert_eq!(r.code, 2, "{}: {}", outline.display(), r.stderr);
        assert!(
            r.stderr.contains(expected),
            "{}: expected {expected:?} in\n{}",
            outline.display(),
            r.stderr
        );
        assert!(!home.path().join("figures").exists());
    }
}

/// The default preset (SD 1.5 with its LCM-LoRA) plans from an empty cache too: a new user's
/// first `--dry-run` shows the plan and says the model and its LoRA are not downloaded,
/// instead of stopping on the LoRA (it used to exit 2).
#[test]
fn dry_run_of_the_default_preset_needs_neither_model_nor_lora() {
    let home = tempfile::tempdir().unwrap();
    let outline = home.path().join("outline.md");
    std::fs::write(&outline, "# Bus lanes\n## Bike lanes {seed=7}\n").unwrap();
    let mut cmd = reportfig_offline(home.path());
    cmd.arg("batch")
        .arg(&outline)
        .args(["--dry-run", "--lang", "en"]);
    let r = ok(cmd);
    assert!(
        r.stdout
            .contains("outline.md: 2 figures; 2 to generate, 0 up to date"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr
            .contains("the LoRA latent-consistency/lcm-lora-sdv1-5 is not downloaded either"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("error"), "{}", r.stderr);
    assert!(!home.path().join("figures").exists());

    // The plan records the LoRA by name, with no hash to match old figures against.
    let mut cmd = reportfig_offline(home.path());
    cmd.arg("batch").arg(&outline).args(["--dry-run", "--json"]);
    let r = ok(cmd);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let lora = &v["figures"][0]["request"]["loras"][0];
    assert_eq!(lora["source"], "latent-consistency/lcm-lora-sdv1-5", "{v}");
    assert_eq!(lora["sha256"], "", "{v}");

    // A LoRA file of the user's own that is missing is still their mistake to fix.
    let mut cmd = reportfig_offline(home.path());
    cmd.arg("batch")
        .arg(&outline)
        .args(["--dry-run", "--lora", "./no-such-lora.safetensors"]);
    let r = run(cmd);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn dry_run_needs_no_model_and_writes_nothing() {
    let home = tempfile::tempdir().unwrap();
    let outline = home.path().join("outline.md");
    std::fs::write(
        &outline,
        "# Bus lanes {size=slide-16x9}\n## Bike lanes {style=line-icons seed=7}\n",
    )
    .unwrap();
    // An empty Hugging Face cache and --offline: nothing can be downloaded or loaded.
    let mut cmd = reportfig_offline(home.path());
    cmd.arg("batch")
        .arg(&outline)
        .args(["--model", "sd-turbo", "--offline", "--dry-run"]);
    let r = ok(cmd);
    assert!(
        r.stdout
            .contains("outline.md: 2 figures; 2 to generate, 0 up to date"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("01-bus-lanes.png  generate (new)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("seed 7"), "{}", r.stdout);
    assert!(r.stdout.contains("model sd-turbo"), "{}", r.stdout);
    assert!(!home.path().join("figures").exists());

    // --json gives the same plan, machine-readable.
    let mut cmd = reportfig_offline(home.path());
    cmd.arg("batch").arg(&outline).args([
        "--model",
        "sd-turbo",
        "--offline",
        "--dry-run",
        "--json",
    ]);
    let r = ok(cmd);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["to_generate"], 2);
    assert_eq!(v["figures"][1]["request"]["seed"], 7);

    // A repo that is not a preset cannot be planned without its files.
    let mut cmd = reportfig_offline(home.path());
    cmd.arg("batch").arg(&outline).args([
        "--model",
        "someone/unknown-model",
        "--offline",
        "--dry-run",
    ]);
    let r = run(cmd);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("--dry-run does not download"),
        "{}",
        r.stderr
    );
}

#[test]
fn markdown_copy_links_every_figure() {
    let home = tempfile::tempdir().unwrap();
    let outline = home.path().join("report.md");
    std::fs::write(&outline, "# Report\n\nFigure: Bus lanes\n\nFigure: Parks\n").unwrap();
    let r = ok(batch(home.path(), &outline, &["--markdown"]));
    assert!(r.stdout.contains("illustrated outline:"), "{}", r.stdout);
    let text = std::fs::read_to_string(home.path().join("report.illustrated.md")).unwrap();
    assert!(text.contains("](figures/01-bus-lanes.png)"), "{text}");
    assert!(text.contains("](figures/02-parks.png)"), "{text}");
}

/// The real pipeline and store, with a renderer that raises the cancel flag (as Ctrl-C does)
/// after `stop_after` images.
struct CancellingRenderer<'a> {
    inner: PipelineRenderer<'a>,
    flag: &'a AtomicBool,
    made: &'a AtomicUsize,
    stop_after: usize,
}

impl FigureRenderer for CancellingRenderer<'_> {
    fn render(
        &mut self,
        request: &GenerationRequest,
        progress: &mut dyn FnMut(StepProgress),
    ) -> Result<image::RgbImage, reportfig::i18n::Message> {
        let image = self.inner.render(request, progress)?;
        if self.made.fetch_add(1, Ordering::SeqCst) + 1 == self.stop_after {
            self.flag.store(true, Ordering::SeqCst);
        }
        Ok(image)
    }
}

#[test]
fn an_interrupted_run_leaves_no_partial_file_and_resumes() {
    use reportfig::commands::session::{self, ModelOptions};
    use reportfig::commands::Recorder;
    use reportfig::model::source::HubOptions;

    let home = tempfile::tempdir().unwrap();
    let outline = home.path().join("o.txt");
    std::fs::write(&outline, "One\nTwo\nThree\nFour\n").unwrap();
    let styles = reportfig::style::StyleLibrary::builtin();
    let opts = ModelOptions {
        model: tiny_turbo().display().to_string(),
        model_config: None,
        loras: Vec::new(),
        hub: HubOptions::new(home.path().join("hf")),
        load: Default::default(),
        state_dir: None,
    };
    let mut rec = Recorder::default();
    let source = session::parse_model(&opts, &mut rec).unwrap();
    let model = session::resolve_model(source, &opts, &mut rec).unwrap();
    let image = ImageOptions {
        size: Some("64x64".into()),
        steps: Some(1),
        ..Default::default()
    };
    let build = |spec: &FigureSpec<'_>| {
        session::build_request(
            spec.caption,
            None,
            &figure_image_options(&image, spec),
            spec.seed,
            &model,
            &styles,
        )
        .map(|(r, _)| r)
        .map_err(|e| e.0)
    };
    let o = reportfig::outline::read_outline(&outline, &|_| Ok(())).unwrap();
    let settings = BatchSettings {
        out_dir: batch::default_out_dir(&outline),
        base_seed: 1,
        force: false,
        shard: None,
        naming: reportfig::output::Naming::Roman,
        gallery: Default::default(),
    };
    let plan = batch::plan(&o, &settings, &build, &OutputStore).unwrap();
    let flag = AtomicBool::new(false);
    let made = AtomicUsize::new(0);
    let mut renderer = CancellingRenderer {
        inner: PipelineRenderer::new(model.load(&opts, &[], &mut rec).unwrap()),
        flag: &flag,
        made: &made,
        stop_after: 2,
    };
    let summary = batch::run(&plan, &mut renderer, &OutputStore, &flag, &mut |_| {}).unwrap();
    assert!(summary.cancelled);
    assert_eq!(summary.generated.len(), 2);
    assert_eq!(summary.not_started, 2);
    let dir = home.path().join("figures");
    // Only whole files: the two PNGs, the manifest and the gallery; no temporaries.
    assert_eq!(
        files(&dir),
        ["01-one.png", "02-two.png", "index.html", "manifest.json"]
    );

    // The same command through the binary finishes the job.
    let r = ok(batch(home.path(), &outline, &[]));
    assert!(
        r.stdout.starts_with("2 generated, 2 up to date, 0 failed"),
        "{}",
        r.stdout
    );
    assert_eq!(pngs(&dir).len(), 4);
}

/// Opens the gallery in headless Chromium (when installed; skipped otherwise) and checks every
/// image of the page loads.
#[test]
fn gallery_loads_every_image_in_a_browser() {
    let Some(chromium) = crate::common::chromium("gallery_loads_every_image_in_a_browser") else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let outline = home.path().join("o.txt");
    std::fs::write(
        &outline,
        "버스 전용차로 확대\nBike lanes {file=\"a b#1.png\"}\nParks\n",
    )
    .unwrap();
    ok(batch(home.path(), &outline, &[]));
    let gallery = home.path().join("figures/index.html");
    let probe = home.path().join("probe.html");
    std::fs::write(
        &probe,
        format!(
            "<!DOCTYPE html><html><body><pre id=out>pending</pre>\
             <iframe id=f src=\"file://{}\"></iframe><script>\
             document.getElementById('f').onload = () => {{\
               const imgs = [...document.getElementById('f').contentDocument.images];\
               Promise.all(imgs.map(i => i.complete ? 0 : new Promise(r => {{ i.onload = i.onerror = r; }})))\
               .then(() => {{ document.getElementById('out').textContent = 'RESULT ' + imgs.length + ' ' +\
                 imgs.filter(i => i.naturalWidth > 0).length + ' END'; }});\
             }};</script></body></html>",
            gallery.display()
        ),
    )
    .unwrap();
    let dom = crate::common::dump_dom(chromium, &probe, 5000);
    assert!(dom.contains("RESULT 3 3 END"), "{dom}");
}

#[test]
fn a_damaged_figure_is_made_again_and_a_foreign_file_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let report = tempfile::tempdir().unwrap();
    let outline = report.path().join("outline.txt");
    std::fs::write(&outline, "Smart bus stop\nCity hall at night\n").unwrap();
    let out = report.path().join("figures");
    ok(batch(home.path(), &outline, &["-q"]));
    let first = out.join("01-smart-bus-stop.png");
    let good = std::fs::read(&first).unwrap();

    // A copy cut short in the pixels: reportfig's metadata is still readable, the picture
    // is not. The next run says so and makes it again.
    std::fs::write(&first, &good[..good.len() - 40]).unwrap();
    let r = ok(batch(home.path(), &outline, &[]));
    assert!(r.stderr.contains("made again"), "{}", r.stderr);
    assert_eq!(std::fs::read(&first).unwrap(), good);
    let m = manifest(&out);
    let entry = &m["figures"][0];
    assert_eq!(entry["file"], "01-smart-bus-stop.png");
    assert_eq!(entry["sha256"], common::sha256_hex(&good));

    // The user's own picture under the second figure's name: refused, kept, named.
    let second = out.join("02-city-hall-at-night.png");
    image::RgbImage::from_pixel(4, 4, image::Rgb([200, 10, 10]))
        .save(&second)
        .unwrap();
    let mine = std::fs::read(&second).unwrap();
    let r = run(batch(home.path(), &outline, &["-q"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("02-city-hall-at-night.png"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("--force"), "{}", r.stderr);
    assert_eq!(std::fs::read(&second).unwrap(), mine);
    let r = run(batch(home.path(), &outline, &["-q", "--lang", "ko"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("reportfig가 만든 파일이 아니므로"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("--force"), "{}", r.stderr);
    // --force replaces it.
    ok(batch(home.path(), &outline, &["-q", "--force"]));
    assert_ne!(std::fs::read(&second).unwrap(), mine);
}

/// Links in the figures folder under the names a batch writes (a figure, the review page,
/// the manifest, the folder's lock) never make it write outside the folder: `--force`
/// replaces each link by its own file, and what the links pointed at is untouched.
#[cfg(unix)]
#[test]
fn links_in_the_figures_folder_never_lead_a_write_outside_it() {
    use std::os::unix::fs::symlink;
    let home = tempfile::tempdir().unwrap();
    let report = tempfile::tempdir().unwrap();
    let outline = report.path().join("outline.txt");
    std::fs::write(&outline, "Smart bus stop\nCity hall at night\n").unwrap();
    let out = report.path().join("figures");
    let elsewhere = report.path().join("elsewhere");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    let victim = elsewhere.join("victim.png");
    image::RgbImage::from_pixel(4, 4, image::Rgb([200, 10, 10]))
        .save(&victim)
        .unwrap();
    std::fs::write(elsewhere.join("page.html"), "mine").unwrap();
    std::fs::write(elsewhere.join("manifest.json"), "{}").unwrap();
    let before: Vec<_> = ["victim.png", "page.html", "manifest.json"]
        .iter()
        .map(|f| std::fs::read(elsewhere.join(f)).unwrap())
        .collect();
    for (link, target) in [
        ("01-smart-bus-stop.png", "victim.png"),
        ("index.html", "page.html"),
        ("manifest.json", "manifest.json"),
        (".reportfig-batch.lock", "lock"),
    ] {
        symlink(elsewhere.join(target), out.join(link)).unwrap();
    }
    ok(batch(home.path(), &outline, &["-q", "--force"]));
    let after: Vec<_> = ["victim.png", "page.html", "manifest.json"]
        .iter()
        .map(|f| std::fs::read(elsewhere.join(f)).unwrap())
        .collect();
    assert_eq!(after, before);
    let mut there: Vec<_> = std::fs::read_dir(&elsewhere)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    there.sort();
    assert_eq!(there, ["manifest.json", "page.html", "victim.png"]);
    for name in ["01-smart-bus-stop.png", "index.html", "manifest.json"] {
        let meta = out.join(name).symlink_metadata().unwrap();
        assert!(meta.file_type().is_file(), "{name} is the batch's own file");
    }
    assert_eq!(manifest(&out)["figures"].as_array().unwrap().len(), 2);
}

#[test]
fn out_naming_a_file_is_bad_input_in_the_words_of_the_flag() {
    let home = tempfile::tempdir().unwrap();
    let report = tempfile::tempdir().unwrap();
    let outline = report.path().join("outline.txt");
    std::fs::write(&outline, "Smart bus stop\n").unwrap();
    let file = report.path().join("not-a-folder");
    std::fs::write(&file, "mine").unwrap();
    let r = run(batch(
        home.path(),
        &outline,
        &["--dry-run", "--out", file.to_str().unwrap()],
    ));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("is a file, not a folder"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
}

/// A figures folder that takes no new files is the user's to change: exit 2, as `generate`
/// says for its `-o`, naming the folder, and found before the model loads, for a whole run
/// and for a shard alike. `/sys` refuses new files even to root (permission bits would not).
#[cfg(target_os = "linux")]
#[test]
fn an_unwritable_figures_folder_is_bad_input_found_before_any_work() {
    let home = tempfile::tempdir().unwrap();
    let outline = home.path().join("o.txt");
    std::fs::write(&outline, "One\nTwo\n").unwrap();
    for shard in [&[][..], &["--shard", "1/2"][..]] {
        let mut args = vec!["--out", "/sys"];
        args.extend_from_slice(shard);
        let r = run(batch(home.path(), &outline, &args));
        assert_eq!(r.code, 2, "{shard:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("/sys") && r.stderr.contains("permission was refused"),
            "{shard:?}: {}",
            r.stderr
        );
        assert!(
            !r.stderr.contains("loading"),
            "{shard:?}: refused before the model: {}",
            r.stderr
        );
    }
}

/// A 4 MB outline of one-letter lines (two million figures) took 16 GB and 95 s to plan;
/// past the figure limit it is bad input at once, in the user's language.
#[test]
fn an_outline_of_millions_of_figures_is_refused_at_once() {
    let home = tempfile::tempdir().unwrap();
    let outline = home.path().join("o.txt");
    std::fs::write(&outline, "a\n".repeat(2_000_000)).unwrap();
    let started = std::time::Instant::now();
    let mut cmd = batch(home.path(), &outline, &["--dry-run"]);
    cmd.env("LANG", "ko_KR.UTF-8");
    let r = run(cmd);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("o.txt 10001번째 줄"), "{}", r.stderr);
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
}

/// The plan a user checks before a long run reads in their language.
#[test]
fn dry_run_plan_in_korean() {
    let home = tempfile::tempdir().unwrap();
    let outline = home.path().join("o.txt");
    std::fs::write(&outline, "버스 정류장\n자전거 도로 {seed=7}\n").unwrap();
    let mut cmd = batch(home.path(), &outline, &["--dry-run"]);
    cmd.env("LANG", "ko_KR.UTF-8");
    let r = ok(cmd);
    for expected in [
        "그림 2장 중 2장을 만들고 0장은 이미 최신입니다",
        "01-버스-정류장.png  만듦 (새 그림)",
        "  그림 설명:  자전거 도로",
        "시드 7, 단계 1",
    ] {
        assert!(r.stdout.contains(expected), "{expected}\n{}", r.stdout);
    }
    assert!(!r.stdout.contains("caption:"), "{}", r.stdout);
    assert!(
        !home.path().join("figures").exists(),
        "a dry run writes nothing"
    );
}

/// The same batch started twice into one folder (twice by mistake, or from two PCs on a
/// shared drive): the second run stops at once with a clear message while the first holds
/// the folder, and nothing the first made is touched; once it is done, a run goes ahead.
/// The lock is held here as a running batch holds it, so the timing is not left to chance;
/// real processes started together check that whatever the order, every figure ends made
/// exactly once and the manifest is complete.
#[test]
fn a_second_batch_into_the_same_folder_waits_its_turn() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("report");
    std::fs::create_dir_all(dir.join("figures")).unwrap();
    let outline = dir.join("o.txt");
    std::fs::write(&outline, "One\nTwo\nThree\n").unwrap();

    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("figures").join(batch::RUN_LOCK_FILE))
        .unwrap();
    lock.lock().unwrap();
    let r = run(batch(home.path(), &outline, &[]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("another batch is making figures into") && r.stderr.contains("--shard"),
        "{}",
        r.stderr
    );
    let mut korean = batch(home.path(), &outline, &[]);
    korean.env("LANG", "ko_KR.UTF-8");
    let r = run(korean);
    assert!(r.stderr.contains("다른 일괄 작업이"), "{}", r.stderr);
    assert!(
        pngs(&dir.join("figures")).is_empty(),
        "nothing made while held"
    );
    drop(lock);

    let runs: Vec<common::Run> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let cmd = batch(home.path(), &outline, &[]);
                scope.spawn(move || run(cmd))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok_runs: Vec<&common::Run> = runs.iter().filter(|r| r.code == 0).collect();
    assert!(
        !ok_runs.is_empty(),
        "{:?}",
        runs.iter().map(|r| &r.stderr).collect::<Vec<_>>()
    );
    for r in &runs {
        assert!(
            r.code == 0 || r.stderr.contains("another batch is making figures"),
            "{}",
            r.stderr
        );
    }
    let made: usize = ok_runs
        .iter()
        .map(|r| {
            r.stdout
                .split(" generated")
                .next()
                .unwrap()
                .parse::<usize>()
                .unwrap()
        })
        .sum();
    assert_eq!(made, 3, "every figure made exactly once");
    let m = manifest(&dir.join("figures"));
    assert_eq!(m["figures"].as_array().unwrap().len(), 3);
}

/// Ctrl-C (SIGINT) and SIGTERM (a closed session, a scheduler's time limit) sent to a real
/// batch once its first figure is written: Ctrl-C finishes the figure being made and exits
/// 130 saying so; SIGTERM ends the process where it is. Either way every file under a
/// figure's name decodes, no temporary file is left, a manifest that is there matches its
/// files, and the next run makes exactly the figures still missing.
#[cfg(unix)]
#[test]
fn a_batch_stopped_by_sigint_or_sigterm_keeps_whole_figures_and_resumes() {
    use std::os::unix::process::ExitStatusExt;
    const FIGURES: usize = 40;
    for (signal, name) in [(libc::SIGINT, "SIGINT"), (libc::SIGTERM, "SIGTERM")] {
        let home = tempfile::tempdir().unwrap();
        let outline = home.path().join("o.txt");
        let captions: String = (1..=FIGURES).map(|i| format!("Bridge {i}\n")).collect();
        std::fs::write(&outline, captions).unwrap();
        let out = batch::default_out_dir(&outline);
        let mut cmd = common::reportfig_in_std(home.path());
        cmd.arg("batch")
            .arg(&outline)
            .args(["--model", tiny_turbo().to_str().unwrap()])
            .args(["--size", "64x64", "--steps", "1", "--no-translate"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let started = std::time::Instant::now();
        while (!out.is_dir() || pngs(&out).is_empty()) && child.try_wait().unwrap().is_none() {
            assert!(started.elapsed().as_secs() < 300, "{name}: no figure came");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        // SAFETY: kill(2) on the child's pid, which has not been waited for yet.
        unsafe { libc::kill(child.id() as libc::pid_t, signal) };
        let ended = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&ended.stderr);
        let finished = ended.status.code() == Some(0);
        match signal {
            libc::SIGINT => assert!(
                finished
                    || (ended.status.code() == Some(130)
                        && stderr.contains("stopping after the current figure")),
                "{name}: {:?} {stderr}",
                ended.status
            ),
            _ => assert!(
                finished || ended.status.signal() == Some(libc::SIGTERM),
                "{name}: {:?} {stderr}",
                ended.status
            ),
        }

        let made = pngs(&out);
        // What the signal met, for `--nocapture`: a run that ended first proves less.
        eprintln!(
            "{name}: {:?} with {} of {FIGURES} made",
            ended.status,
            made.len()
        );
        for f in &made {
            image::open(out.join(f)).unwrap_or_else(|e| panic!("{name}: {f}: {e}"));
        }
        let left: Vec<_> = files(&out)
            .into_iter()
            .filter(|f| f.ends_with(".tmp"))
            .collect();
        assert!(
            left.is_empty() || signal == libc::SIGTERM,
            "{name}: {left:?}"
        );
        if out.join("manifest.json").exists() {
            for entry in manifest(&out)["figures"].as_array().unwrap() {
                let file = entry["file"].as_str().unwrap();
                let bytes = std::fs::read(out.join(file)).unwrap();
                assert_eq!(
                    entry["sha256"],
                    common::sha256_hex(&bytes),
                    "{name}: {file}"
                );
            }
        }

        let again = ok(batch(home.path(), &outline, &[]));
        assert!(
            again.stdout.starts_with(&format!(
                "{} generated, {} up to date",
                FIGURES - made.len(),
                made.len()
            )),
            "{name}: {} made before: {}",
            made.len(),
            again.stdout
        );
        let m = manifest(&out);
        assert_eq!(m["figures"].as_array().unwrap().len(), FIGURES, "{name}");
        assert_eq!(pngs(&out).len(), FIGURES, "{name}");
    }
}
