//! Batch runs end to end with a fake renderer (deterministic images from the seed) and a
//! fake store (real PNG files with the request as an iTXt chunk, written atomically), so the
//! plan / resume / shard / cancel logic is tested without a model.

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use reportfig::batch::{
    self, illustrated_path, plan, render_plan, run, write_illustrated_markdown, Action, BatchError,
    BatchEvent, BatchSettings, Existing, FigureRenderer, FigureSpec, FigureStore, Manifest, Plan,
    RunSummary, Shard, StepProgress, StoreError,
};
use reportfig::outline::{read_outline, Outline};
use reportfig_engine::GenerationRequest;

use crate::common;
use common::{files, sample, style_check};

// ---- fakes -------------------------------------------------------------------------------

struct PngStore;

impl FigureStore for PngStore {
    fn existing(&self, path: &Path) -> Existing {
        let Ok(file) = std::fs::File::open(path) else {
            return Existing::Missing;
        };
        let mut decoder = png::Decoder::new(BufReader::new(file));
        decoder.set_ignore_text_chunk(false);
        let Ok(reader) = decoder.read_info() else {
            return Existing::Foreign;
        };
        let request: Option<GenerationRequest> = reader
            .info()
            .utf8_text
            .iter()
            .find(|c| c.keyword == "reportfig")
            .and_then(|c| serde_json::from_str(&c.get_text().ok()?).ok());
        match (request, image::open(path)) {
            (None, _) => Existing::Foreign,
            (Some(r), Ok(_)) => Existing::Made(Box::new(r)),
            (Some(_), Err(e)) => Existing::Unusable {
                reason: reportfig::msg!("untranslated", text = e.to_string()),
            },
        }
    }

    fn write_png(
        &self,
        path: &Path,
        image: &image::RgbImage,
        request: &GenerationRequest,
    ) -> Result<(), StoreError> {
        let figure = |e: String| StoreError::Figure(reportfig::msg!("untranslated", text = e));
        let mut bytes = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut bytes, image.width(), image.height());
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            enc.add_itxt_chunk(
                "reportfig".into(),
                serde_json::to_string(request).map_err(|e| figure(e.to_string()))?,
            )
            .map_err(|e| figure(e.to_string()))?;
            let mut w = enc.write_header().map_err(|e| figure(e.to_string()))?;
            w.write_image_data(image.as_raw())
                .map_err(|e| figure(e.to_string()))?;
        }
        batch::write_atomic(path, &bytes).map_err(|e| match e {
            BatchError::Write { problem, .. } => StoreError::Folder(problem),
            other => figure(other.to_string()),
        })
    }
}

#[derive(Default)]
struct FakeRenderer<'a> {
    /// Captions rendered, in order.
    rendered: Vec<String>,
    fail_caption: Option<&'a str>,
    /// Set this flag after this many images (a Ctrl-C during the next image).
    cancel_after: Option<(usize, &'a AtomicBool)>,
    /// Panic in the middle of image k+1 (a crash: nothing of it may reach the disk).
    crash_after: Option<usize>,
    /// Remove this folder during image k+1 (a network drive or stick that vanishes).
    remove_folder_after: Option<(usize, &'a Path)>,
}

impl FigureRenderer for FakeRenderer<'_> {
    fn render(
        &mut self,
        req: &GenerationRequest,
        progress: &mut dyn FnMut(StepProgress),
    ) -> Result<image::RgbImage, reportfig::i18n::Message> {
        if self.crash_after == Some(self.rendered.len()) {
            panic!("simulated crash");
        }
        if let Some((k, folder)) = self.remove_folder_after {
            if self.rendered.len() == k {
                std::fs::remove_dir_all(folder).unwrap();
            }
        }
        for step in 1..=req.steps {
            progress(StepProgress {
                step,
                total: req.steps,
            });
        }
        if self.fail_caption == Some(req.caption.as_str()) {
            return Err(reportfig::msg!(
                "untranslated",
                text = "the model ran out of memory"
            ));
        }
        self.rendered.push(req.caption.clone());
        if let Some((k, flag)) = self.cancel_after {
            if self.rendered.len() == k {
                flag.store(true, Ordering::SeqCst);
            }
        }
        let s = req.seed;
        Ok(image::RgbImage::from_fn(req.width, req.height, |x, y| {
            image::Rgb([
                (s.wrapping_mul(31) as u32 + x * 7) as u8,
                (s.wrapping_mul(17) as u32 + y * 5) as u8,
                (req.prompt.len() as u32 + x + y) as u8,
            ])
        }))
    }
}

/// A stand-in for the lead's builder (style library + presets): batch style
/// `isometric-city`, tiny sizes.
fn build(spec: &FigureSpec<'_>) -> Result<GenerationRequest, reportfig::i18n::Message> {
    let style = spec
        .overrides
        .style
        .clone()
        .unwrap_or_else(|| "isometric-city".to_string());
    let (width, height) = match spec.overrides.size.as_deref() {
        None => (24, 16),
        Some("slide-16x9") => (32, 16),
        Some("square") => (16, 16),
        Some("a4-portrait") => (16, 24),
        Some(other) => {
            return Err(reportfig::msg!("size-unknown", given = other));
        }
    };
    Ok(GenerationRequest {
        caption: spec.caption.to_string(),
        styles: vec![style.clone()],
        prompt: format!("{}, {style} style", spec.caption),
        negative_prompt: Some(
            spec.overrides
                .negative
                .clone()
                .unwrap_or_else(|| "text, watermark".to_string()),
        ),
        width,
        height,
        steps: 3,
        guidance: 7.5,
        seed: spec.seed,
        sampler: Some("euler".parse().unwrap()),
        model: "tiny-sd15".into(),
        model_revision: Some("0123abc".into()),
        crop_to_ratio: None,
        draft_decoder: None,
        init_image: None,
        loras: Vec::new(),
        caption_en: None,
        translated_by: None,
    })
}

// ---- helpers -----------------------------------------------------------------------------

fn copy_sample(rel: &str, dir: &Path) -> PathBuf {
    let src = sample(rel);
    let dst = dir.join(src.file_name().unwrap());
    std::fs::copy(&src, &dst).unwrap();
    dst
}

fn settings(outline: &Path, force: bool, shard: Option<Shard>) -> BatchSettings {
    BatchSettings {
        out_dir: batch::default_out_dir(outline),
        base_seed: 100,
        force,
        shard,
        naming: reportfig::output::Naming::Roman,
        gallery: Default::default(),
    }
}

fn make_plan(outline: &Path, s: &BatchSettings) -> (Outline, Plan) {
    let o = read_outline(outline, &style_check).unwrap();
    let p = plan(&o, s, &build, &PngStore).unwrap();
    (o, p)
}

/// Runs a batch; returns the summary and the event log.
fn run_with(
    outline: &Path,
    s: &BatchSettings,
    renderer: &mut FakeRenderer<'_>,
    cancel: &AtomicBool,
) -> (RunSummary, Vec<String>) {
    let (_, p) = make_plan(outline, s);
    let mut log = Vec::new();
    let summary = run(&p, renderer, &PngStore, cancel, &mut |e| {
        log.push(match e {
            BatchEvent::Planned {
                to_generate,
                to_skip,
                total,
            } => format!("planned {to_generate}/{to_skip}/{total}"),
            BatchEvent::Skipped { job } => format!("skipped {}", job.file_name),
            BatchEvent::Started {
                job, position, of, ..
            } => format!("started {} {position}/{of}", job.file_name),
            BatchEvent::Step { .. } => "step".to_string(),
            BatchEvent::Finished { job, .. } => format!("finished {}", job.file_name),
            BatchEvent::Failed { job, error } => format!("failed {}: {error}", job.file_name),
            BatchEvent::Cancelled { remaining } => format!("cancelled {remaining}"),
        })
    })
    .unwrap();
    log.retain(|l| l != "step");
    (summary, log)
}

fn simple_run(outline: &Path, s: &BatchSettings) -> (RunSummary, Vec<String>) {
    let flag = AtomicBool::new(false);
    run_with(outline, s, &mut FakeRenderer::default(), &flag)
}

fn manifest(dir: &Path) -> Manifest {
    serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()
}

fn manifest_without_timing(dir: &Path) -> Manifest {
    let mut m = manifest(dir);
    for f in &mut m.figures {
        f.seconds = None;
    }
    m
}

// ---- tests -------------------------------------------------------------------------------

#[test]
fn each_outline_format_produces_its_figures() {
    let cases: [(&str, &[&str]); 4] = [
        (
            "transport-ko/outline.md",
            &[
                "01-chultoegeun-sigan-beoseuwa-seungyongchaga.png",
                "02-sunhwandoro-jungang-beoseu-jeonyongcharowa.png",
                "03-jeosangbeoseue-hwilcheeo-iyongjaga.png",
                "04-hacheonbyeoneul-ttara-ieojineun-jajeongeo-dorowa.png",
                "05-tanso-baechuri-jureodeun-kkaekkeuthan-dosi.png",
            ],
        ),
        (
            "green-city-en/outline.md",
            &[
                "01-green-city-2030-annual-climate-action-report.png",
                "02-rooftop-solar-panels-on-public-buildings.png",
                "03-electric-buses-charging-at-the-central-depot.png",
                "04-tree-lined-streets-that-cool-the-city-in-summer.png",
                "05-household-recycling-and-food-waste-collection.png",
                "riverside-park.png",
            ],
        ),
        (
            "welfare-csv/figures.csv",
            &[
                "01-noinbokjigwan-gaegwansigeseo-insahaneun.png",
                "02-aiwa-bumoga-hamkke-iyonghaneun.png",
                "04-chimae-ansimsenteo-sangdam-jangmyeon.png",
                "meal-delivery.png",
            ],
        ),
        (
            "captions-txt/captions.txt",
            &[
                "01-seumateu-beoseu-jeongryujangui-silsigan-dochak.png",
                "02-night-view-of-the-renovated-city-hall-square.png",
                "03-jaenan-daebi-daepiso-annaewa-bisang-mulpum.png",
            ],
        ),
    ];
    for (sample, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let outline = copy_sample(sample, dir.path());
        let s = settings(&outline, false, None);
        let (summary, _) = simple_run(&outline, &s);
        assert!(summary.is_success(), "{sample}: {}", summary.render());
        let out = dir.path().join("figures");
        let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
        want.extend(["index.html".to_string(), "manifest.json".to_string()]);
        want.sort();
        assert_eq!(files(&out), want, "{sample}");

        let (_, p) = make_plan(&outline, &s);
        let m = manifest(&out);
        assert_eq!(m.figures.len(), p.figures.len());
        let html = std::fs::read_to_string(out.join("index.html")).unwrap();
        for (f, entry) in p.figures.iter().zip(&m.figures) {
            let path = out.join(&f.job.file_name);
            assert_eq!(
                PngStore.existing(&path),
                Existing::Made(Box::new(f.job.request.clone()))
            );
            assert_eq!(entry.file, f.job.file_name);
            assert_eq!(entry.caption, f.job.caption);
            assert_eq!(entry.seed, f.job.request.seed);
            assert!(entry.up_to_date);
            assert!(entry.seconds.is_some());
            assert_eq!(entry.sha256.len(), 64);
            assert!(html.contains(&format!("href=\"{}\"", url(&f.job.file_name))));
        }
    }
}

fn url(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[test]
fn seeds_come_from_base_and_position_unless_overridden() {
    let dir = tempfile::tempdir().unwrap();
    let outline = copy_sample("transport-ko/outline.md", dir.path());
    let (_, p) = make_plan(&outline, &settings(&outline, false, None));
    let seeds: Vec<u64> = p.figures.iter().map(|f| f.job.request.seed).collect();
    // Figure 4 has {seed=2026}.
    assert_eq!(seeds, vec![100, 101, 102, 2026, 104]);
    assert_eq!(batch::figure_seed(u64::MAX, 2), 1);
}

#[test]
fn second_run_generates_nothing_and_force_regenerates_all() {
    let dir = tempfile::tempdir().unwrap();
    let outline = copy_sample("green-city-en/outline.md", dir.path());
    let s = settings(&outline, false, None);
    let (first, _) = simple_run(&outline, &s);
    assert_eq!(first.generated.len(), 6);
    let before = manifest(&s.out_dir);

    let (second, log) = simple_run(&outline, &s);
    assert_eq!(second.generated.len(), 0);
    assert_eq!(second.skipped, 6);
    assert_eq!(log[0], "planned 0/6/6");
    // Timings survive a run that did not remake the files.
    assert_eq!(manifest(&s.out_dir), before);

    let (forced, _) = simple_run(&outline, &settings(&outline, true, None));
    assert_eq!(forced.generated.len(), 6);
    // Same requests, same bytes.
    assert_eq!(manifest_without_timing(&s.out_dir).figures, {
        let mut b = before.clone();
        b.figures.iter_mut().for_each(|f| f.seconds = None);
        b.figures
    });
}

#[test]
fn editing_one_figure_regenerates_exactly_that_one() {
    let dir = tempfile::tempdir().unwrap();
    let outline = copy_sample("green-city-en/outline.md", dir.path());
    let s = settings(&outline, false, None);
    simple_run(&outline, &s);

    // A new style keeps the file name: the file is remade in place.
    let text = std::fs::read_to_string(&outline).unwrap();
    std::fs::write(
        &outline,
        text.replace(
            "## Rooftop solar panels on public buildings",
            "## Rooftop solar panels on public buildings {style=line-icons}",
        ),
    )
    .unwrap();
    let (_, p) = make_plan(&outline, &s);
    assert_eq!(
        p.figures[1].action,
        Action::Changed(vec!["style", "prompt"])
    );
    let mut r = FakeRenderer::default();
    let (summary, _) = run_with(&outline, &s, &mut r, &AtomicBool::new(false));
    assert_eq!(r.rendered, vec!["Rooftop solar panels on public buildings"]);
    assert_eq!(summary.skipped, 5);
    assert!(summary.stray.is_empty());

    // A new caption gives a new file name; the old file is left alone and reported.
    let text = std::fs::read_to_string(&outline).unwrap();
    std::fs::write(
        &outline,
        text.replace(
            "## Electric buses charging",
            "## Electric minibuses charging",
        ),
    )
    .unwrap();
    let mut r = FakeRenderer::default();
    let (summary, _) = run_with(&outline, &s, &mut r, &AtomicBool::new(false));
    assert_eq!(
        r.rendered,
        vec!["Electric minibuses charging at the central depot"]
    );
    let old = s
        .out_dir
        .join("03-electric-buses-charging-at-the-central-depot.png");
    assert_eq!(summary.stray, vec![old.clone()]);
    assert!(old.exists());
    assert!(summary.render().contains(
        "not in the outline (left alone): 03-electric-buses-charging-at-the-central-depot.png"
    ));
    let m = manifest(&s.out_dir);
    assert_eq!(m.figures.len(), 6);
    assert!(m
        .figures
        .iter()
        .all(|f| f.file != old.file_name().unwrap().to_string_lossy()));
}

#[test]
fn cancel_stops_after_the_current_image_and_the_next_run_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let outline = copy_sample("transport-ko/outline.md", dir.path());
    let s = settings(&outline, false, None);
    let flag = AtomicBool::new(false);
    let mut r = FakeRenderer {
        cancel_after: Some((2, &flag)),
        ..FakeRenderer::default()
    };
    let (summary, log) = run_with(&outline, &s, &mut r, &flag);
    assert!(summary.cancelled && !summary.is_success());
    assert_eq!(summary.generated.len(), 2);
    assert_eq!(summary.not_started, 3);
    assert_eq!(log.last().unwrap(), "cancelled 3");
    assert!(summary
        .render()
        .contains("stopped early: 3 figures not started; run the same command again to continue"));
    let m = manifest(&s.out_dir);
    assert_eq!(m.figures.len(), 2);
    assert_eq!(m.missing.len(), 3);
    assert_eq!(
        files(&s.out_dir),
        [
            "01-chultoegeun-sigan-beoseuwa-seungyongchaga.png",
            "02-sunhwandoro-jungang-beoseu-jeonyongcharowa.png",
            "index.html",
            "manifest.json"
        ]
    );

    let mut r = FakeRenderer::default();
    let (summary, _) = run_with(&outline, &s, &mut r, &AtomicBool::new(false));
    assert_eq!(r.rendered.len(), 3);
    assert_eq!(summary.skipped, 2);
    assert_eq!(manifest(&s.out_dir).figures.len(), 5);
}

#[test]
fn a_crash_mid_run_leaves_no_partial_file_and_the_next_run_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let outline = copy_sample("green-city-en/outline.md", dir.path());
    let s = settings(&outline, false, None);
    let crashed = std::panic::catch_unwind(|| {
        let mut r = FakeRenderer {
            crash_after: Some(3),
            ..FakeRenderer::default()
        };
        simple_run_with(&outline, &s, &mut r)
    });
    assert!(crashed.is_err());
    // Three complete figures, nothing else: no temporary, no manifest yet.
    let names = files(&s.out_dir);
    assert_eq!(names.len(), 3, "{names:?}");
    for n in &names {
        assert!(
            matches!(PngStore.existing(&s.out_dir.join(n)), Existing::Made(_)),
            "{n}"
        );
    }

    let mut r = FakeRenderer::default();
    let (summary, _) = run_with(&outline, &s, &mut r, &AtomicBool::new(false));
    assert_eq!(r.rendered.len(), 3);
    assert_eq!(summary.skipped, 3);
    assert!(summary.is_success());
    assert_eq!(manifest(&s.out_dir).figures.len(), 6);
}

fn simple_run_with(outline: &Path, s: &BatchSettings, r: &mut FakeRenderer<'_>) -> RunSummary {
    run_with(outline, s, r, &AtomicBool::new(false)).0
}

#[test]
fn a_failing_figure_is_reported_and_the_rest_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let outline = copy_sample("captions-txt/captions.txt", dir.path());
    let s = settings(&outline, false, None);
    let mut r = FakeRenderer {
        fail_caption: Some("Night view of the renovated city hall square"),
        ..FakeRenderer::default()
    };
    let (summary, log) = run_with(&outline, &s, &mut r, &AtomicBool::new(false));
    assert!(!summary.is_success());
    assert_eq!(summary.generated.len(), 2);
    assert_eq!(
        log,
        [
            "planned 3/0/3",
            "started 01-seumateu-beoseu-jeongryujangui-silsigan-dochak.png 1/3",
            "finished 01-seumateu-beoseu-jeongryujangui-silsigan-dochak.png",
            "started 02-night-view-of-the-renovated-city-hall-square.png 2/3",
            "failed 02-night-view-of-the-renovated-city-hall-square.png: the model ran out of memory",
            "started 03-jaenan-daebi-daepiso-annaewa-bisang-mulpum.png 3/3",
            "finished 03-jaenan-daebi-daepiso-annaewa-bisang-mulpum.png",
        ]
    );
    let text = summary.render();
    assert!(text.starts_with("2 generated, 0 up to date, 1 failed\nfailed: 02-night-view-of-the-renovated-city-hall-square.png: the model ran out of memory\n"), "{text}");
    assert_eq!(
        manifest(&s.out_dir).missing,
        ["02-night-view-of-the-renovated-city-hall-square.png"]
    );
}

/// A shard that finishes while another is indexing waits for it, so the two never read and
/// write the folder's index interleaved (the last to finish sees every figure).
#[test]
fn a_shard_indexes_the_folder_only_when_no_other_shard_is() {
    let dir = tempfile::tempdir().unwrap();
    let outline = copy_sample("green-city-en/outline.md", dir.path());
    let s = settings(&outline, false, Some("1/2".parse().unwrap()));
    let (_, p) = make_plan(&outline, &s);
    std::fs::create_dir_all(&p.out_dir).unwrap();
    let other_shard = batch::lock_for_shards(&p).unwrap();
    let manifest_path = p.out_dir.join(batch::MANIFEST_FILE);
    std::thread::scope(|scope| {
        let indexing = scope.spawn(|| batch::write_index(&p, &PngStore, &[]).unwrap());
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert!(
            !manifest_path.exists(),
            "indexed while another shard held the folder"
        );
        drop(other_shard);
        indexing.join().unwrap();
    });
    assert!(manifest_path.exists());
    // A run that is not a shard owns its folder and leaves no lock behind.
    let whole = tempfile::tempdir().unwrap();
    let outline = copy_sample("green-city-en/outline.md", whole.path());
    simple_run(&outline, &settings(&outline, false, None));
    assert!(!whole
        .path()
        .join("figures")
        .join(batch::SHARD_LOCK_FILE)
        .exists());
}

#[test]
fn shards_together_equal_a_whole_run() {
    let whole = tempfile::tempdir().unwrap();
    let sharded = tempfile::tempdir().unwrap();
    let a = copy_sample("green-city-en/outline.md", whole.path());
    let b = copy_sample("green-city-en/outline.md", sharded.path());
    simple_run(&a, &settings(&a, false, None));

    let mut r1 = FakeRenderer::default();
    let s1 = settings(&b, false, Some("1/2".parse().unwrap()));
    let (first, _) = run_with(&b, &s1, &mut r1, &AtomicBool::new(false));
    assert_eq!(first.generated.len(), 3);
    assert_eq!(first.other_shard, 3);
    assert!(first.render().contains(", 3 left to other shards"));
    let mut r2 = FakeRenderer::default();
    let s2 = settings(&b, false, Some("2/2".parse().unwrap()));
    simple_run_with(&b, &s2, &mut r2);
    // Disjoint.
    assert!(r1.rendered.iter().all(|c| !r2.rendered.contains(c)));

    let (wa, wb) = (whole.path().join("figures"), sharded.path().join("figures"));
    // The sharded folder also holds the lock its shards took in turn.
    let mut sharded_files = files(&wb);
    sharded_files.retain(|f| f != batch::SHARD_LOCK_FILE);
    assert_eq!(files(&wa), sharded_files);
    for name in files(&wa) {
        if name.ends_with(".png") {
            assert_eq!(
                std::fs::read(wa.join(&name)).unwrap(),
                std::fs::read(wb.join(&name)).unwrap(),
                "{name}"
            );
        }
    }
    assert_eq!(manifest_without_timing(&wa), manifest_without_timing(&wb));
}

#[test]
fn dry_run_plan_text() {
    let dir = tempfile::tempdir().unwrap();
    let outline = dir.path().join("outline.md");
    std::fs::write(
        &outline,
        "# 버스 전용차로 {size=slide-16x9}\n## Bike lanes {style=line-icons seed=7 negative=\"cars\"}\n",
    )
    .unwrap();
    let s = settings(&outline, false, None);
    simple_run(&outline, &s);
    std::fs::write(dir.path().join("figures/old.png"), b"x").unwrap();
    std::fs::write(
        &outline,
        "# 버스 전용차로 {size=slide-16x9}\n## Bike lanes {style=line-icons seed=8 negative=\"cars\"}\n## Parks\n",
    )
    .unwrap();
    let (_, p) = make_plan(&outline, &s);
    let text = render_plan(&p).replace(&dir.path().display().to_string(), "<dir>");
    assert_eq!(
        text,
        "<dir>/outline.md: 3 figures; 2 to generate, 1 up to date; output folder <dir>/figures

01-beoseu-jeonyongcharo.png  skip (up to date)
  caption:  버스 전용차로
  style:    isometric-city
  prompt:   버스 전용차로, isometric-city style
  negative: text, watermark
  size 32x16, seed 100, steps 3, guidance 7.5, sampler euler, model tiny-sd15

02-bike-lanes.png  generate (changed: seed)
  caption:  Bike lanes
  style:    line-icons
  prompt:   Bike lanes, line-icons style
  negative: cars
  size 24x16, seed 8, steps 3, guidance 7.5, sampler euler, model tiny-sd15

03-parks.png  generate (new)
  caption:  Parks
  style:    isometric-city
  prompt:   Parks, isometric-city style
  negative: text, watermark
  size 24x16, seed 102, steps 3, guidance 7.5, sampler euler, model tiny-sd15

Not in the outline (left alone): old.png
"
    );
}

#[test]
fn illustrated_markdown_links_each_figure_under_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let outline = copy_sample("transport-ko/outline.md", dir.path());
    let s = settings(&outline, false, None);
    simple_run(&outline, &s);
    let (o, p) = make_plan(&outline, &s);
    let path = write_illustrated_markdown(&o, &p).unwrap();
    assert_eq!(path, illustrated_path(&outline));
    assert_eq!(path.file_name().unwrap(), "outline.illustrated.md");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(
        "그림 1. 출퇴근 시간 버스와 승용차가 뒤섞인 도심 간선도로\n\n![출퇴근 시간 버스와 승용차가 뒤섞인 도심 간선도로](figures/01-chultoegeun-sigan-beoseuwa-seungyongchaga.png)\n\n"
    ), "{text}");
    assert_eq!(text.matches("](figures/").count(), 5);
    // The original is untouched.
    assert!(!std::fs::read_to_string(&outline).unwrap().contains("]("));

    // Not Markdown: a clear error.
    let csv = copy_sample("welfare-csv/figures.csv", dir.path());
    let (o, p) = make_plan(&csv, &settings(&csv, false, None));
    let msg = write_illustrated_markdown(&o, &p).unwrap_err().to_string();
    assert!(msg.ends_with(":1: --markdown needs a Markdown outline (.md), but this is a CSV outline\nhint: drop --markdown; the review page index.html shows the figures with their captions"), "{msg}");
}

#[test]
fn gallery_escapes_captions() {
    let dir = tempfile::tempdir().unwrap();
    let outline = dir.path().join("c.txt");
    std::fs::write(
        &outline,
        "<script>alert(1)</script> & \"quotes\" {file=\"a b#.png\"}\n",
    )
    .unwrap();
    let s = settings(&outline, false, None);
    simple_run(&outline, &s);
    let html = std::fs::read_to_string(s.out_dir.join("index.html")).unwrap();
    // The page's own script only.
    assert_eq!(html.matches("<script>").count(), 1);
    assert!(!html.contains("<script>alert"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;"));
    assert!(html.contains("href=\"a%20b%23.png\""));
}

#[test]
fn planning_errors_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let outline = dir.path().join("o.txt");
    std::fs::write(&outline, "one\ntwo {size=poster}\n").unwrap();
    let o = read_outline(&outline, &style_check).unwrap();
    let err = plan(&o, &settings(&outline, false, None), &build, &PngStore).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}:2: unknown page size `poster`; use one of a4-portrait, a4-landscape, slide-16x9, square, banner, icon, or WIDTHxHEIGHT in pixels such as 768x512",
            outline.display()
        )
    );
    // The same error in Korean: the frame and the figure's own message.
    let ko = reportfig::explain::message(&err).render(reportfig::i18n::Lang::Ko);
    assert!(
        ko.starts_with(&format!("{} 2번째 줄: ", outline.display())) && ko.contains("poster"),
        "{ko}"
    );
    assert!(!ko.contains("unknown page size"), "{ko}");

    std::fs::write(&outline, "one {file=x}\ntwo\nthree {file=X.png}\n").unwrap();
    let o = read_outline(&outline, &style_check).unwrap();
    let msg = plan(&o, &settings(&outline, false, None), &build, &PngStore)
        .unwrap_err()
        .to_string();
    assert_eq!(
        msg,
        format!(
            "{}: lines 1 and 3 both write X.png\nhint: give one of them a different file= name",
            outline.display()
        )
    );
}

/// The manifest's record of one file, and the file's own SHA-256 now.
fn recorded_and_actual_hash(dir: &Path, file: &str) -> (String, String) {
    let recorded = manifest(dir)
        .figures
        .into_iter()
        .find(|f| f.file == file)
        .unwrap()
        .sha256;
    let bytes = std::fs::read(dir.join(file)).unwrap();
    (recorded, common::sha256_hex(&bytes))
}

#[test]
fn a_truncated_or_altered_figure_is_made_again_and_the_manifest_records_the_good_file() {
    let dir = tempfile::tempdir().unwrap();
    let outline = copy_sample("green-city-en/outline.md", dir.path());
    let s = settings(&outline, false, None);
    simple_run(&outline, &s);
    let names: Vec<String> = files(&s.out_dir)
        .into_iter()
        .filter(|n| n.ends_with(".png"))
        .collect();
    let good = std::fs::read(s.out_dir.join(&names[0])).unwrap();

    // Truncated in the pixels (the end of IDAT and IEND): the metadata before them survives.
    std::fs::write(s.out_dir.join(&names[0]), &good[..good.len() - 16]).unwrap();
    // Altered but whole: same request in the metadata, different pixels.
    let (o, p) = make_plan(&outline, &s);
    let job = &p.figures[1].job;
    let other = image::RgbImage::from_pixel(8, 8, image::Rgb([1, 2, 3]));
    PngStore
        .write_png(&s.out_dir.join(&job.file_name), &other, &job.request)
        .unwrap();
    drop(o);

    let (_, p) = make_plan(&outline, &s);
    let unusable: Vec<_> = p
        .figures
        .iter()
        .filter(|f| matches!(f.action, Action::Unusable(_)))
        .map(|f| f.job.file_name.clone())
        .collect();
    assert_eq!(unusable, vec![names[0].clone(), job.file_name.clone()]);
    let (summary, _) = simple_run(&outline, &s);
    assert_eq!(summary.generated.len(), 2);
    assert_eq!(summary.skipped, 4);
    assert_eq!(std::fs::read(s.out_dir.join(&names[0])).unwrap(), good);
    for n in [&names[0], &job.file_name] {
        let (recorded, actual) = recorded_and_actual_hash(&s.out_dir, n);
        assert_eq!(recorded, actual, "{n}");
    }
    // And now all is well again.
    let (again, _) = simple_run(&outline, &s);
    assert_eq!(again.generated.len(), 0);
}

#[test]
fn files_the_batch_did_not_make_are_refused_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let outline = copy_sample("green-city-en/outline.md", dir.path());
    let s = settings(&outline, false, None);
    let (_, p) = make_plan(&outline, &s);
    let first = p.figures[0].job.file_name.clone();
    std::fs::create_dir_all(&s.out_dir).unwrap();
    let o = read_outline(&outline, &style_check).unwrap();

    // A picture of the user's own (no reportfig metadata) under a figure's name.
    let mine = image::RgbImage::from_pixel(4, 4, image::Rgb([9, 9, 9]));
    mine.save(s.out_dir.join(&first)).unwrap();
    let mine_bytes = std::fs::read(s.out_dir.join(&first)).unwrap();
    let err = plan(&o, &s, &build, &PngStore).unwrap_err();
    assert!(
        matches!(&err, BatchError::NotOurs { path, .. } if path.ends_with(&first)),
        "{err}"
    );
    assert!(err.to_string().contains("--force"), "{err}");
    assert_eq!(std::fs::read(s.out_dir.join(&first)).unwrap(), mine_bytes);
    std::fs::remove_file(s.out_dir.join(&first)).unwrap();

    // The user's own index.html or manifest.json in the folder.
    for (file, text) in [
        ("index.html", "<html>my page</html>"),
        ("manifest.json", "{\"mine\": true}"),
    ] {
        std::fs::write(s.out_dir.join(file), text).unwrap();
        let err = plan(&o, &s, &build, &PngStore).unwrap_err();
        assert!(
            matches!(&err, BatchError::NotOurs { path, .. } if path.ends_with(file)),
            "{file}: {err}"
        );
        assert_eq!(std::fs::read_to_string(s.out_dir.join(file)).unwrap(), text);
        std::fs::remove_file(s.out_dir.join(file)).unwrap();
    }

    // Our own index.html beside our manifest is ours to rewrite; --force replaces the rest.
    simple_run(&outline, &s);
    let (again, _) = simple_run(&outline, &s);
    assert_eq!(again.skipped, 6);
    mine.save(s.out_dir.join(&first)).unwrap();
    let (forced, _) = simple_run(&outline, &settings(&outline, true, None));
    assert_eq!(forced.generated.len(), 6);
    assert!(matches!(
        PngStore.existing(&s.out_dir.join(&first)),
        Existing::Made(_)
    ));
}

#[test]
fn a_run_removes_temporary_files_a_killed_run_left_behind() {
    let dir = tempfile::tempdir().unwrap();
    let outline = copy_sample("green-city-en/outline.md", dir.path());
    let s = settings(&outline, false, None);
    std::fs::create_dir_all(&s.out_dir).unwrap();
    let left = s.out_dir.join(".01-green-city.png.k9Xq2Z.tmp");
    std::fs::write(&left, b"half a picture").unwrap();
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&left)
        .unwrap()
        .set_modified(old)
        .unwrap();
    simple_run(&outline, &s);
    assert!(!left.exists());
    assert!(!files(&s.out_dir).iter().any(|n| n.ends_with(".tmp")));
}

/// The figures folder vanishes mid-run (a network drive disconnects): the run stops at the
/// first figure it cannot write instead of computing every other figure only to fail each,
/// and says the folder is gone. Nothing is recreated in its place.
#[test]
fn a_folder_that_vanishes_mid_run_stops_the_run_at_the_first_failed_write() {
    let dir = tempfile::tempdir().unwrap();
    let outline = copy_sample("green-city-en/outline.md", dir.path());
    let s = settings(&outline, false, None);
    let (_, p) = make_plan(&outline, &s);
    assert!(p.to_generate() > 3);
    let mut r = FakeRenderer {
        remove_folder_after: Some((2, &s.out_dir)),
        ..FakeRenderer::default()
    };
    let err = run(&p, &mut r, &PngStore, &AtomicBool::new(false), &mut |_| {}).unwrap_err();
    match &err {
        BatchError::Write { path, problem } => {
            assert_eq!(*problem, reportfig::output::WriteProblem::Gone, "{err}");
            assert_eq!(path.parent(), Some(s.out_dir.as_path()), "{err}");
        }
        other => panic!("{other}"),
    }
    assert_eq!(r.rendered.len(), 3, "stopped at the first failed write");
    assert!(
        !s.out_dir.exists(),
        "nothing recreated where the folder was"
    );
    let text = reportfig::explain::message(&err).render(reportfig::i18n::Lang::En);
    assert!(
        text.contains("the batch stopped") && text.contains("no longer there"),
        "{text}"
    );
    assert!(text.contains(&s.out_dir.display().to_string()), "{text}");
    let korean = reportfig::explain::message(&err).render(reportfig::i18n::Lang::Ko);
    assert!(korean.contains("일괄 작업을 멈췄습니다"), "{korean}");

    // Back again, the next run makes only what is missing.
    std::fs::create_dir_all(&s.out_dir).unwrap();
    let (summary, _) = simple_run(&outline, &s);
    assert!(summary.is_success());
    assert_eq!(manifest(&s.out_dir).figures.len(), p.to_generate());
}

/// A store that finds the disk full at the third figure.
struct FullAfter {
    written: std::cell::Cell<usize>,
    limit: usize,
}

impl FigureStore for FullAfter {
    fn existing(&self, path: &Path) -> Existing {
        PngStore.existing(path)
    }

    fn write_png(
        &self,
        path: &Path,
        image: &image::RgbImage,
        request: &GenerationRequest,
    ) -> Result<(), StoreError> {
        if self.written.get() == self.limit {
            return Err(StoreError::Folder(reportfig::output::WriteProblem::Full));
        }
        self.written.set(self.written.get() + 1);
        PngStore.write_png(path, image, request)
    }
}

/// A full disk stops the run at the figure that did not fit: the figures before it are kept
/// whole and listed in a manifest whose hashes match them, and the next run (space freed)
/// makes only the rest. A figure that fails on its own (not the folder) still lets the run
/// go on, as before.
#[test]
fn a_full_disk_stops_the_run_and_keeps_what_was_made() {
    let dir = tempfile::tempdir().unwrap();
    let outline = copy_sample("green-city-en/outline.md", dir.path());
    let s = settings(&outline, false, None);
    let (_, p) = make_plan(&outline, &s);
    let store = FullAfter {
        written: std::cell::Cell::new(0),
        limit: 2,
    };
    let mut r = FakeRenderer::default();
    let err = run(&p, &mut r, &store, &AtomicBool::new(false), &mut |_| {}).unwrap_err();
    assert!(
        matches!(&err, BatchError::Write { problem, .. } if *problem == reportfig::output::WriteProblem::Full),
        "{err}"
    );
    assert_eq!(
        r.rendered.len(),
        3,
        "the run stopped at the figure that did not fit"
    );
    let m = manifest(&s.out_dir);
    assert_eq!(m.figures.len(), 2);
    for f in &m.figures {
        let (recorded, actual) = recorded_and_actual_hash(&s.out_dir, &f.file);
        assert_eq!(recorded, actual, "{}", f.file);
    }
    assert!(
        files(&s.out_dir).iter().all(|f| !f.ends_with(".tmp")),
        "{:?}",
        files(&s.out_dir)
    );

    let mut r = FakeRenderer::default();
    let (summary, _) = run_with(&outline, &s, &mut r, &AtomicBool::new(false));
    assert!(summary.is_success());
    assert_eq!(summary.skipped, 2);
    assert_eq!(r.rendered.len(), p.to_generate() - 2);
}
