//! `reportfig compare`: one caption (or a few) in several styles or settings, side by side on
//! one labelled contact sheet.
//!
//! Grid: one column per `--styles` entry (or, without styles, per value of the last `--vary`
//! axis); one row per combination of the other axes, outermost first: model, caption, the
//! other `--vary` axes, seed. Every cell of a row has the same seed, so differences across a
//! row come from the compared setting alone. Models load one at a time, in the order they
//! are named. Everything a user can get wrong (axis names and values, styles, missing glyphs,
//! existing files) is checked before the first model loads.
//!
//! As batch does, [`run`] plans before it makes: `prepare` checks, translates, resolves and
//! plans everything and finds where the files go; `make_cells` generates and writes the
//! single images; `write_sheet` draws the sheet and its page.

use std::path::{Path, PathBuf};

use image::RgbImage;
use serde::Serialize;

use crate::commands::session::{self, ModelOptions, ResolvedModel};
use crate::commands::{BadInput, Event, Reporter};
use crate::compare::{self as sheet, ContactSheet, SheetCell, SheetFont};
use crate::i18n::Lang;
use crate::model::source::ModelSource;
use crate::msg;
use crate::output;
use crate::settings::ImageOptions;
use crate::style::{SamplerChoice, StyleLibrary};
use crate::tr;
use crate::translate::{CaptionTranslator, TranslateOptions};
use reportfig_engine::pipeline::scheduler::{SamplerKind, SchedulerError};
use reportfig_engine::pipeline::Pipeline;
use reportfig_engine::request::{AppliedLora, GenerationRequest, InitImage};

/// The settings `--vary` can compare.
pub const VARY_AXES: [&str; 5] = ["steps", "guidance", "sampler", "strength", "model"];

/// `compare`'s checked options.
#[derive(Debug, Clone)]
pub struct CompareOptions {
    pub captions: Vec<String>,
    /// One column each; `a+b` stacks.
    pub styles: Vec<String>,
    /// One row each; every cell of a row uses the same seed.
    pub seeds: Vec<u64>,
    /// `NAME=V1,V2` as typed.
    pub vary: Vec<String>,
    pub image: ImageOptions,
    /// The sheet PNG; `None` is `compare-<caption>.png` in the current folder.
    pub output: Option<PathBuf>,
    pub font: Option<PathBuf>,
    pub force: bool,
    /// How file names write Korean words.
    pub naming: output::Naming,
    /// The language of the labels, the legend and the page.
    pub lang: Lang,
    pub translate: TranslateOptions,
    pub model: ModelOptions,
    /// `--title`: every single image is titled (its plain picture kept beside it as
    /// `NAME.untitled.png`), and the sheet shows the titled images, to compare how the title
    /// reads on each.
    pub title: Option<crate::title::TitleSpec>,
    /// `--decoder tiny`: every cell is a draft from the tiny preview decoder (the one for each
    /// model's family unless named), to pick from before making the chosen one in full.
    pub draft_decoder: Option<crate::model::tiny_decoder::DraftDecoder>,
}

/// What was written.
#[derive(Debug, Clone, Serialize)]
pub struct CompareOutcome {
    pub sheet: PathBuf,
    pub index: PathBuf,
    /// The single images, row by row.
    pub cells: Vec<PathBuf>,
    pub rows: usize,
    pub columns: usize,
}

/// One value of a `--vary` axis.
#[derive(Debug, Clone, PartialEq)]
pub enum AxisValue {
    Steps(u32),
    Guidance(f64),
    Sampler(SamplerKind),
    /// How much of `--init-image` is repainted.
    Strength(f64),
    Model(String),
}

impl AxisValue {
    /// How the value reads in labels: `steps 2` / `단계 2`, `guidance 1.5`, `sampler euler`,
    /// `sd-turbo`; the legend says what the words mean.
    pub fn label(&self, lang: Lang) -> String {
        match self {
            AxisValue::Steps(s) => tr!(lang, "compare-steps", steps = *s),
            AxisValue::Guidance(g) => tr!(lang, "compare-guidance", guidance = g.to_string()),
            AxisValue::Sampler(s) => tr!(lang, "compare-sampler", name = s.to_string()),
            AxisValue::Strength(s) => tr!(lang, "compare-strength", strength = s.to_string()),
            AxisValue::Model(m) => m.clone(),
        }
    }

    /// The value in a file name, in words that do not depend on the interface language, so
    /// the same comparison always writes the same files.
    fn file_words(&self, naming: output::Naming) -> String {
        let korean = naming == output::Naming::Korean;
        match self {
            AxisValue::Steps(s) if korean => format!("단계 {s}"),
            AxisValue::Steps(s) => format!("steps {s}"),
            AxisValue::Guidance(g) if korean => format!("지침강도 {g}"),
            AxisValue::Guidance(g) => format!("guidance {g}"),
            AxisValue::Sampler(s) => s.to_string(),
            AxisValue::Strength(s) if korean => format!("변경 {s}"),
            AxisValue::Strength(s) => format!("strength {s}"),
            AxisValue::Model(m) => m.clone(),
        }
    }

    /// The `batch` flag that sets this value: an outline line cannot say it.
    fn batch_flag(&self) -> String {
        match self {
            AxisValue::Steps(s) => format!("--steps {s}"),
            AxisValue::Guidance(g) => format!("--guidance {g}"),
            AxisValue::Sampler(s) => format!("--sampler {s}"),
            AxisValue::Strength(s) => format!("--strength {s}"),
            AxisValue::Model(m) => format!("--model {m}"),
        }
    }

    fn apply(&self, cell: &mut CellSettings) {
        match self {
            AxisValue::Steps(s) => cell.image.steps = Some(*s),
            AxisValue::Guidance(g) => cell.image.guidance = Some(*g),
            AxisValue::Sampler(s) => cell.image.sampler = Some(SamplerChoice::Kind(*s)),
            AxisValue::Strength(s) => {
                // `run` refuses a strength axis without a starting picture.
                if let Some(init) = &cell.image.init {
                    cell.image.init = Some(std::sync::Arc::new(init.with_strength(*s)));
                }
            }
            AxisValue::Model(m) => cell.model = m.clone(),
        }
    }
}

/// A parsed `--vary NAME=V1,V2`.
#[derive(Debug, Clone, PartialEq)]
pub struct VaryAxis {
    pub name: &'static str,
    pub values: Vec<AxisValue>,
}

/// Parses one `--vary` argument; errors name the argument, the bad part and the valid axes.
pub fn parse_vary(spec: &str) -> Result<VaryAxis, BadInput> {
    let bad = |problem: crate::i18n::Message| {
        BadInput(msg!("compare-vary-bad", spec = spec, problem = problem))
    };
    let (name, values) = spec
        .split_once('=')
        .ok_or_else(|| bad(msg!("vary-problem-shape")))?;
    let name = name.trim().to_ascii_lowercase();
    let name = VARY_AXES
        .iter()
        .copied()
        .find(|a| *a == name)
        .ok_or_else(|| {
            bad(msg!(
                "vary-problem-axis",
                name = name.as_str(),
                axes = VARY_AXES.join(", ")
            ))
        })?;
    let raw: Vec<&str> = values
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    if raw.is_empty() {
        return Err(bad(msg!("vary-problem-no-values", name = name)));
    }
    let mut out = Vec::with_capacity(raw.len());
    for v in raw {
        out.push(match name {
            "steps" => match v.parse::<u32>() {
                Ok(s) if (1..=1000).contains(&s) => AxisValue::Steps(s),
                _ => return Err(bad(msg!("vary-problem-steps", value = v))),
            },
            "guidance" => match v.parse::<f64>() {
                Ok(g) if g.is_finite() && g >= 0.0 => AxisValue::Guidance(g),
                _ => return Err(bad(msg!("vary-problem-guidance", value = v))),
            },
            "sampler" => AxisValue::Sampler(
                v.parse()
                    .map_err(|e: SchedulerError| bad(crate::explain::message(&e)))?,
            ),
            "strength" => match v.parse::<f64>() {
                Ok(s) if InitImage::strength_is_valid(s) => AxisValue::Strength(s),
                _ => return Err(bad(msg!("vary-problem-strength", value = v))),
            },
            _ => {
                ModelSource::parse(v).map_err(|e| bad(crate::explain::message(&e)))?;
                AxisValue::Model(v.to_string())
            }
        });
    }
    Ok(VaryAxis { name, values: out })
}

/// What one cell is made from, before the request is built.
#[derive(Debug, Clone)]
struct CellSettings {
    caption: String,
    seed: u64,
    image: ImageOptions,
    model: String,
    /// The `--vary` values this cell was given, outermost first.
    values: Vec<AxisValue>,
    /// Position of its caption among the captions compared.
    caption_index: usize,
}

/// A row being built: its settings and the parts of its label.
type Row = (CellSettings, Vec<String>);
/// Sets one column's value on a cell.
type ColumnFn = Box<dyn Fn(&mut CellSettings)>;
/// A request field as text, and its name in labels.
type Field<'a> = (&'a dyn Fn(&GenerationRequest) -> String, &'a str);

/// What the grid of a comparison is made from: `compare`'s options, or a served request's.
#[derive(Debug, Clone)]
pub struct GridSpec {
    pub captions: Vec<String>,
    /// One column each; `a+b` stacks.
    pub styles: Vec<String>,
    /// One row each; every cell of a row uses the same seed.
    pub seeds: Vec<u64>,
    /// `NAME=V1,V2` as typed.
    pub vary: Vec<String>,
    pub image: ImageOptions,
    /// The model as named (`--model`); `model=` values vary it.
    pub model: String,
    /// The language of the labels and the legend.
    pub lang: Lang,
}

impl CompareOptions {
    fn grid_spec(&self) -> GridSpec {
        GridSpec {
            captions: self.captions.clone(),
            styles: self.styles.clone(),
            seeds: self.seeds.clone(),
            vary: self.vary.clone(),
            image: self.image.clone(),
            model: self.model.model.clone(),
            lang: self.lang,
        }
    }
}

/// A comparison's cells, checked: every axis, value and style is valid and there are not too
/// many images. Nothing has been translated, resolved or loaded.
#[derive(Debug, Clone)]
pub struct Grid {
    pub spec: GridSpec,
    pub axes: Vec<VaryAxis>,
    cells: Vec<Vec<CellSettings>>,
    row_labels: Vec<Vec<String>>,
}

impl Grid {
    pub fn rows(&self) -> usize {
        self.cells.len()
    }

    pub fn columns(&self) -> usize {
        self.cells.first().map_or(0, Vec::len)
    }

    /// Every cell's caption, row by row (for the translator).
    pub fn cell_captions(&self) -> Vec<&str> {
        self.cells
            .iter()
            .flatten()
            .map(|c| c.caption.as_str())
            .collect()
    }

    /// The models the cells use, each once, in the order they are first used.
    pub fn models(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for cell in self.cells.iter().flatten() {
            if !out.contains(&cell.model.as_str()) {
                out.push(&cell.model);
            }
        }
        out
    }

    /// The image options of cell `(row, column)`: the starting picture at its strength.
    pub fn cell_image(&self, row: usize, column: usize) -> &ImageOptions {
        &self.cells[row][column].image
    }
}

/// Checks a comparison's captions, seeds, `--vary` axes and styles and lays out its cells.
/// `max_images` is the most cells allowed.
pub fn check_grid(
    spec: GridSpec,
    styles: &StyleLibrary,
    max_images: usize,
) -> Result<Grid, BadInput> {
    if spec.captions.is_empty() || spec.captions.iter().any(|c| c.trim().is_empty()) {
        return Err(BadInput(msg!("compare-caption-empty")));
    }
    if spec.seeds.is_empty() {
        return Err(BadInput(msg!("compare-no-seeds")));
    }
    let mut axes: Vec<VaryAxis> = Vec::new();
    for text in &spec.vary {
        let axis = parse_vary(text)?;
        if axes.iter().any(|a| a.name == axis.name) {
            return Err(BadInput(msg!("compare-vary-twice", axis = axis.name)));
        }
        axes.push(axis);
    }
    if spec.image.init.is_none() && axes.iter().any(|a| a.name == "strength") {
        return Err(BadInput(msg!("compare-strength-needs-init-image")));
    }
    for s in spec.styles.iter().chain(&spec.image.style) {
        styles
            .resolve_stack(s)
            .map_err(|e| BadInput::from_error(&e))?;
    }
    let (cells, row_labels) = grid(&spec, &axes);
    let columns = cells[0].len();
    let rows = cells.len();
    if rows * columns > max_images {
        return Err(BadInput(msg!(
            "compare-too-many",
            rows = rows,
            columns = columns,
            images = rows * columns
        )));
    }
    Ok(Grid {
        spec,
        axes,
        cells,
        row_labels,
    })
}

/// A checked grid with every cell's request and the sheet's words: what is made, and how
/// the sheet names it.
pub struct ComparePlan {
    /// `[row][column]`.
    pub requests: Vec<Vec<GenerationRequest>>,
    /// Each cell's label lines, `[row][column]`.
    pub labels: Vec<Vec<Vec<String>>>,
    pub row_labels: Vec<String>,
    pub header: String,
    pub legend: Vec<String>,
    /// What the user should hear, each once: a note about only some cells names them.
    pub notes: Vec<crate::i18n::Message>,
}

/// Builds every cell's request (with `english` for a caption's translation and `model_of`
/// for a model named in the grid) and the sheet's labels, and checks that `font` can draw
/// them, so a comparison that cannot be shown fails before anything is made.
pub fn plan<'m>(
    grid: &Grid,
    styles: &StyleLibrary,
    font: &SheetFont,
    english: &dyn Fn(&str) -> Option<crate::translate::English>,
    model_of: &dyn Fn(&str) -> &'m ResolvedModel,
) -> Result<ComparePlan, BadInput> {
    let lang = grid.spec.lang;
    let (rows, columns) = (grid.rows(), grid.columns());
    // Each note with the cells it concerns, so a warning says which picture it is about.
    let mut notes: Vec<(crate::i18n::Message, Vec<String>)> = Vec::new();
    let mut requests: Vec<Vec<GenerationRequest>> = Vec::with_capacity(rows);
    for (r, row) in grid.cells.iter().enumerate() {
        let mut out = Vec::with_capacity(columns);
        for (c, cell) in row.iter().enumerate() {
            let english = english(&cell.caption);
            let (req, n) = session::build_request(
                &cell.caption,
                english.as_ref(),
                &cell.image,
                cell.seed,
                model_of(&cell.model),
                styles,
            )
            .map_err(|e| {
                BadInput(msg!(
                    "compare-cell-error",
                    row = r + 1,
                    column = c + 1,
                    text = e.0
                ))
            })?;
            let style = if req.styles.is_empty() {
                "no style".to_string()
            } else {
                req.styles.join(" + ")
            };
            let cell_name = format!("row {}, column {} ({style})", r + 1, c + 1);
            for note in n {
                match notes.iter_mut().find(|(text, _)| *text == note) {
                    Some((_, cells)) => cells.push(cell_name.clone()),
                    None => notes.push((note, vec![cell_name.clone()])),
                }
            }
            out.push(req);
        }
        requests.push(out);
    }
    let notes = notes
        .into_iter()
        // A note about every cell is about the comparison as a whole.
        .map(|(note, cells)| {
            if cells.len() == rows * columns {
                note
            } else {
                msg!("warn-for-figure", file = cells.join("; "), text = note)
            }
        })
        .collect();

    // A cell names only what changes along its row: the row label already says the rest
    // (seed, caption, the outer axes), and repeating it in every cell hides the difference.
    let labels: Vec<Vec<Vec<String>>> = requests
        .iter()
        .map(|row| {
            let in_row: Vec<&GenerationRequest> = row.iter().collect();
            row.iter()
                .map(|req| {
                    let mut lines = vec![style_title(req, styles, lang)];
                    let d = differing_settings(req, &in_row, lang);
                    if !d.is_empty() {
                        lines.push(d);
                    }
                    lines
                })
                .collect()
        })
        .collect();
    let captions = &grid.spec.captions;
    let header = if captions.len() == 1 {
        captions[0].trim().to_string()
    } else {
        tr!(lang, "compare-header-many")
    };
    let row_labels: Vec<String> = grid.row_labels.iter().map(|l| l.join("\n")).collect();
    let legend = legend(&grid.axes, &labels, lang);
    let mut text = header.clone();
    for l in row_labels
        .iter()
        .chain(&legend)
        .chain(labels.iter().flatten().flatten())
    {
        text.push('\n');
        text.push_str(l);
    }
    font.check_coverage(&text)
        .map_err(|e| BadInput::from_error(&e))?;
    Ok(ComparePlan {
        requests,
        labels,
        row_labels,
        header,
        legend,
        notes,
    })
}

/// The contact sheet of a plan's made images (`[row][column]`, at the generated size):
/// cells of different sizes fitted into one box, each labelled and carrying its request,
/// with `files` naming the single images when they were written.
pub fn contact_sheet(
    grid: &Grid,
    plan: &ComparePlan,
    images: Vec<Vec<RgbImage>>,
    files: Option<&[Vec<String>]>,
) -> anyhow::Result<ContactSheet> {
    let (w, h) = images
        .iter()
        .flatten()
        .fold((0, 0), |(w, h), i| (w.max(i.width()), h.max(i.height())));
    let mut sheet_rows = Vec::with_capacity(images.len());
    for (r, row) in images.into_iter().enumerate() {
        let mut out = Vec::with_capacity(row.len());
        for (c, image) in row.into_iter().enumerate() {
            out.push(SheetCell {
                image: fit_into(image, w, h),
                label_lines: plan.labels[r][c].clone(),
                params_json: serde_json::to_value(&plan.requests[r][c])?,
                file: files.map(|f| f[r][c].clone()),
                snippet: Some(snippet(&plan.requests[r][c])),
                snippet_note: batch_note(&grid.cells[r][c], grid.spec.lang),
            });
        }
        sheet_rows.push(out);
    }
    Ok(ContactSheet {
        header: plan.header.clone(),
        column_labels: Vec::new(),
        row_labels: plan.row_labels.clone(),
        rows: sheet_rows,
        legend: plan.legend.clone(),
    })
}

/// The cells, `[row][column]`, and a label per row.
fn grid(spec: &GridSpec, axes: &[VaryAxis]) -> (Vec<Vec<CellSettings>>, Vec<Vec<String>>) {
    let opts = spec;
    let base = CellSettings {
        caption: String::new(),
        seed: 0,
        image: opts.image.clone(),
        model: opts.model.clone(),
        values: Vec::new(),
        caption_index: 0,
    };
    let lang = opts.lang;
    // Columns: styles, else the innermost --vary axis, else one column.
    let (column_axis, row_vary): (Option<&VaryAxis>, Vec<&VaryAxis>) = if opts.styles.is_empty() {
        match axes.split_last() {
            Some((last, rest)) => (Some(last), rest.iter().collect()),
            None => (None, Vec::new()),
        }
    } else {
        (None, axes.iter().collect())
    };
    // Rows: model outermost (one load per model), caption, other axes, seed innermost.
    let mut row_order: Vec<&VaryAxis> = row_vary
        .iter()
        .copied()
        .filter(|a| a.name == "model")
        .collect();
    row_order.extend(row_vary.iter().copied().filter(|a| a.name != "model"));
    let many_captions = opts.captions.len() > 1;

    let mut rows: Vec<Row> = vec![(base, Vec::new())];
    let expand = |rows: Vec<Row>, f: &dyn Fn(&CellSettings, &Vec<String>) -> Vec<Row>| {
        rows.iter().flat_map(|(c, l)| f(c, l)).collect::<Vec<_>>()
    };
    // One row per value of `axis` for each row so far, labelled with the value.
    let by_axis = |rows: Vec<Row>, axis: &VaryAxis| {
        expand(rows, &|c, l| {
            axis.values
                .iter()
                .map(|v| {
                    let mut c = c.clone();
                    v.apply(&mut c);
                    c.values.push(v.clone());
                    let mut l = l.clone();
                    l.push(v.label(lang));
                    (c, l)
                })
                .collect()
        })
    };
    for axis in row_order.iter().filter(|a| a.name == "model") {
        rows = by_axis(rows, axis);
    }
    rows = expand(rows, &|c, l| {
        opts.captions
            .iter()
            .enumerate()
            .map(|(i, cap)| {
                let mut c = c.clone();
                c.caption = cap.trim().to_string();
                c.caption_index = i;
                let mut l = l.clone();
                if many_captions {
                    l.push(cap.trim().to_string());
                }
                (c, l)
            })
            .collect()
    });
    for axis in row_order.iter().filter(|a| a.name != "model") {
        rows = by_axis(rows, axis);
    }
    rows = expand(rows, &|c, l| {
        opts.seeds
            .iter()
            .map(|s| {
                let mut c = c.clone();
                c.seed = *s;
                let mut l = l.clone();
                l.push(tr!(lang, "compare-seed", seed = s.to_string()));
                (c, l)
            })
            .collect()
    });

    let columns: Vec<ColumnFn> = if !opts.styles.is_empty() {
        opts.styles
            .iter()
            .map(|s| {
                let s = s.trim().to_string();
                Box::new(move |c: &mut CellSettings| {
                    c.image.style = Some(s.clone());
                }) as ColumnFn
            })
            .collect()
    } else if let Some(axis) = column_axis {
        axis.values
            .iter()
            .map(|v| {
                let v = v.clone();
                Box::new(move |c: &mut CellSettings| {
                    v.apply(c);
                    c.values.push(v.clone());
                }) as ColumnFn
            })
            .collect()
    } else {
        vec![Box::new(|_: &mut CellSettings| {})]
    };

    let mut cells = Vec::with_capacity(rows.len());
    let mut labels = Vec::with_capacity(rows.len());
    for (row, label) in rows {
        cells.push(
            columns
                .iter()
                .map(|f| {
                    let mut c = row.clone();
                    f(&mut c);
                    c
                })
                .collect(),
        );
        labels.push(label);
    }
    (cells, labels)
}

/// Titles of the styles a request used, `+`-joined: `ko (en)` on a Korean sheet, `en (ko)`
/// on an English one; `(no style)` without one.
fn style_title(req: &GenerationRequest, styles: &StyleLibrary, lang: Lang) -> String {
    if req.styles.is_empty() {
        return tr!(lang, "compare-no-style");
    }
    req.styles
        .iter()
        .map(|name| match styles.get(name) {
            Ok(l) => match (&l.style.title.ko, lang) {
                (Some(ko), Lang::Ko) if !ko.trim().is_empty() => {
                    format!("{ko} ({})", l.style.title.en)
                }
                (Some(ko), Lang::En) if !ko.trim().is_empty() => {
                    format!("{} ({ko})", l.style.title.en)
                }
                _ => l.style.title.en.clone(),
            },
            Err(_) => name.clone(),
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// The settings that differ between the cells of one row, named for the label of `req`.
fn differing_settings(req: &GenerationRequest, all: &[&GenerationRequest], lang: Lang) -> String {
    let differs = |f: &dyn Fn(&GenerationRequest) -> String| all.iter().any(|r| f(r) != f(all[0]));
    let fields: [Field<'_>; 6] = [
        (&|r| r.model.clone(), "model"),
        (&|r| format!("{}x{}", r.width, r.height), "size"),
        (&|r| r.steps.to_string(), "steps"),
        (&|r| r.guidance.to_string(), "guidance"),
        (
            &|r| {
                r.sampler.map_or_else(
                    || tr!(lang, "compare-sampler-default"),
                    |k| k.name().to_string(),
                )
            },
            "sampler",
        ),
        (&|r| r.seed.to_string(), "seed"),
    ];
    fields
        .iter()
        .filter(|(f, _)| differs(*f))
        .map(|(f, name)| match *name {
            "steps" => tr!(lang, "compare-steps", steps = f(req)),
            "guidance" => tr!(lang, "compare-guidance", guidance = f(req)),
            "sampler" => tr!(lang, "compare-sampler", name = f(req)),
            "seed" => tr!(lang, "compare-seed", seed = f(req)),
            _ => f(req),
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// One line per word the labels use (seed always, as every row has one), saying what it means.
fn legend(axes: &[VaryAxis], labels: &[Vec<Vec<String>>], lang: Lang) -> Vec<String> {
    // A word shows when its axis is compared, or when a cell label names it because the
    // styles chose different values (the label with no value is the word itself).
    let shown = |axis: &str, word: String| {
        let word = word.trim().to_string();
        axes.iter().any(|a| a.name == axis)
            || labels
                .iter()
                .flatten()
                .flat_map(|lines| lines.iter().skip(1))
                .any(|l| l.contains(&word))
    };
    let mut out = vec![tr!(lang, "compare-legend-seed")];
    if shown("steps", tr!(lang, "compare-steps", steps = "")) {
        out.push(tr!(lang, "compare-legend-steps"));
    }
    if shown("guidance", tr!(lang, "compare-guidance", guidance = "")) {
        out.push(tr!(lang, "compare-legend-guidance"));
    }
    if shown("sampler", tr!(lang, "compare-sampler", name = "")) {
        out.push(tr!(lang, "compare-legend-sampler"));
    }
    if axes.iter().any(|a| a.name == "strength") {
        out.push(tr!(lang, "compare-legend-strength"));
    }
    if axes.iter().any(|a| a.name == "model") {
        out.push(tr!(lang, "compare-legend-model"));
    }
    out
}

/// The single images' names: style, seed and the compared values, so a user who picked one
/// on the sheet finds its file (`수채화-도시-풍경-시드-2.png`, `watercolor-cityscape-seed-2.png`).
/// Names that would still clash (the same style twice) get `-2`, `-3`.
fn cell_file_names(
    cells: &[Vec<CellSettings>],
    styles: &StyleLibrary,
    naming: output::Naming,
    many_captions: bool,
) -> Vec<Vec<String>> {
    let korean = naming == output::Naming::Korean;
    let style_words = |spec: Option<&String>| -> String {
        let Some(spec) = spec else {
            return if korean { "화풍없음" } else { "no-style" }.to_string();
        };
        spec.split('+')
            .map(|name| {
                let name = name.trim();
                match styles.get(name) {
                    Ok(l) if korean => l
                        .style
                        .title
                        .ko
                        .clone()
                        .filter(|t| !t.trim().is_empty())
                        .unwrap_or_else(|| name.to_string()),
                    Ok(l) => l.style.name.clone(),
                    Err(_) => name.to_string(),
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut seen: Vec<String> = Vec::new();
    cells
        .iter()
        .map(|row| {
            row.iter()
                .map(|cell| {
                    let mut parts = Vec::new();
                    if many_captions {
                        parts.push(output::name_slug(&cell.caption, 24, naming));
                    }
                    parts.push(output::name_slug(
                        &style_words(cell.image.style.as_ref()),
                        40,
                        naming,
                    ));
                    let seed = if korean { "시드" } else { "seed" };
                    parts.push(format!("{seed}-{}", cell.seed));
                    for v in &cell.values {
                        parts.push(output::name_slug(&v.file_words(naming), 40, naming));
                    }
                    let stem = parts.join("-");
                    let mut name = format!("{stem}.png");
                    let mut n = 2;
                    while seen.iter().any(|s| s.eq_ignore_ascii_case(&name)) {
                        name = format!("{stem}-{n}.png");
                        n += 1;
                    }
                    seen.push(name.clone());
                    name
                })
                .collect()
        })
        .collect()
}

/// The outline settings block that makes this cell's picture in a batch.
fn snippet(req: &GenerationRequest) -> String {
    if req.styles.is_empty() {
        format!("{{seed={}}}", req.seed)
    } else {
        format!("{{seed={} style={}}}", req.seed, req.styles.join("+"))
    }
}

/// The batch flags this cell's compared values need, which an outline line cannot carry.
fn batch_note(cell: &CellSettings, lang: Lang) -> Option<String> {
    if cell.values.is_empty() {
        return None;
    }
    let flags = cell
        .values
        .iter()
        .map(AxisValue::batch_flag)
        .collect::<Vec<_>>()
        .join(" ");
    Some(tr!(lang, "compare-note-flags", flags = flags))
}

/// Where a comparison writes: the sheet, the page and the single images beside it.
struct CompareFiles {
    sheet: PathBuf,
    index: PathBuf,
    /// The folder of the single images, named after the sheet.
    cell_dir: PathBuf,
    /// Each cell's file name in `cell_dir`, `[row][column]`.
    cell_names: Vec<Vec<String>>,
}

/// Everything a comparison needs before its first image: the checked grid and its plan,
/// the resolved models with their draft decoders, and where the files go. Made by
/// [`prepare`], so every mistake is found before minutes of generating.
struct Prepared {
    grid: Grid,
    font: SheetFont,
    finisher: crate::print::Finisher,
    /// In the order they are named; loaded one at a time.
    models: Vec<(String, ResolvedModel)>,
    /// Each model's draft decoder (`--decoder tiny`), beside `models`.
    drafts: Vec<Option<reportfig_engine::pipeline::tiny_vae::TinyDecoder>>,
    /// Its requests carry the draft decoder's name.
    planned: ComparePlan,
    files: CompareFiles,
}

pub fn run(
    opts: &CompareOptions,
    styles: &StyleLibrary,
    reporter: &mut dyn Reporter,
) -> anyhow::Result<CompareOutcome> {
    let prepared = prepare(opts, styles, reporter)?;
    let images = make_cells(opts, styles, &prepared, reporter)?;
    write_sheet(opts, prepared, images, reporter)
}

/// Checks the comparison, translates its captions, resolves its models, plans its cells and
/// sheet, and finds where the files go (refusing to overwrite without `--force`).
fn prepare(
    opts: &CompareOptions,
    styles: &StyleLibrary,
    reporter: &mut dyn Reporter,
) -> anyhow::Result<Prepared> {
    let grid = check_grid(opts.grid_spec(), styles, 400)?;
    if let Some(spec) = &opts.title {
        spec.check().map_err(|e| BadInput::from_error(&e))?;
    }
    let font = SheetFont::load(opts.font.as_deref()).map_err(|e| BadInput::from_error(&e))?;

    // Korean captions become English first, and the translator is freed before any image
    // model loads.
    crate::settings::check_given(&opts.image, styles).map_err(BadInput)?;
    let finisher = session::finisher(&opts.image.finish, &opts.model, reporter)?;
    if let Some(n) = finisher.note(None) {
        reporter.event(Event::Note(n));
    }
    let mut translator = CaptionTranslator::new(opts.translate.clone())?;
    translator.prepare(&grid.cell_captions(), reporter)?;
    translator.unload();

    // Every model is resolved (downloaded if needed) up front, but loaded one at a time later.
    let mut models: Vec<(String, ResolvedModel)> = Vec::new();
    for name in grid.models() {
        let mut mopts = opts.model.clone();
        mopts.model = name.to_string();
        let source = session::parse_model(&mopts, reporter)?;
        let resolved = session::resolve_model(source, &mopts, reporter)?;
        models.push((name.to_string(), resolved));
    }
    let model_of = |name: &str| -> &ResolvedModel {
        &models
            .iter()
            .find(|(n, _)| n == name)
            .expect("every cell's model was resolved above")
            .1
    };

    // Labels first, so a font that cannot draw them fails before minutes of work.
    let mut planned = plan(&grid, styles, &font, &|c| translator.english(c), &model_of)?;
    for note in &planned.notes {
        reporter.event(Event::Warning(note.clone()));
    }

    let files = compare_files(opts, &grid, styles)?;

    // Each model's draft decoder is found and loaded before anything is generated, and its
    // name recorded in the cells' requests.
    let mut drafts: Vec<Option<reportfig_engine::pipeline::tiny_vae::TinyDecoder>> = Vec::new();
    for (name, model) in &models {
        let Some(choice) = &opts.draft_decoder else {
            drafts.push(None);
            continue;
        };
        let (label, decoder) =
            session::load_draft_decoder(choice, model.family, &opts.model, (64, 64), reporter)?;
        for (r, row) in grid.cells.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                if cell.model == *name {
                    planned.requests[r][c].draft_decoder = Some(label.clone());
                }
            }
        }
        drafts.push(Some(decoder));
    }

    // A title too long for a cell's size is refused before minutes of generating.
    if let Some(spec) = &opts.title {
        for req in planned.requests.iter().flatten() {
            crate::title::typeset(spec, req.width, req.height)
                .map_err(|e| BadInput::from_error(&e))?;
        }
    }
    Ok(Prepared {
        grid,
        font,
        finisher,
        models,
        drafts,
        planned,
        files,
    })
}

/// Where the sheet, its page and the single images go; nothing is overwritten without
/// `--force`. Creates the single images' folder.
fn compare_files(
    opts: &CompareOptions,
    grid: &Grid,
    styles: &StyleLibrary,
) -> anyhow::Result<CompareFiles> {
    let captions = &grid.spec.captions;
    let default_name = match opts.naming {
        output::Naming::Korean => format!(
            "비교-{}.png",
            output::name_slug(&captions[0], output::DEFAULT_SLUG_LEN, opts.naming)
        ),
        output::Naming::Roman => format!(
            "compare-{}.png",
            output::name_slug(&captions[0], output::DEFAULT_SLUG_LEN, opts.naming)
        ),
    };
    let sheet_path = session::png_output_path(opts.output.as_deref(), &default_name)?;
    session::check_output_folder(&sheet_path)?;
    session::remove_stale_temporaries_beside(&sheet_path);
    let stem = sheet_path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "compare".to_string());
    let cell_dir = sheet_path
        .parent()
        .unwrap_or_else(|| Path::new(""))
        .join(&stem);
    let index_path = cell_dir.join("index.html");
    let cell_names = cell_file_names(&grid.cells, styles, opts.naming, captions.len() > 1);
    if !opts.force {
        let mut existing: Vec<PathBuf> = vec![sheet_path.clone(), index_path.clone()];
        existing.extend(cell_names.iter().flatten().map(|n| cell_dir.join(n)));
        if opts.title.is_some() {
            existing.extend(
                cell_names
                    .iter()
                    .flatten()
                    .map(|n| crate::title::untitled_path(&cell_dir.join(n))),
            );
        }
        if let Some(p) = existing.iter().find(|p| p.exists()) {
            return Err(
                BadInput(msg!("compare-file-exists", path = p.display().to_string())).into(),
            );
        }
    }
    std::fs::create_dir_all(&cell_dir).map_err(|e| {
        msg!(
            "folder-cannot-create",
            path = cell_dir.display().to_string(),
            reason = crate::outline::io_reason(&e)
        )
    })?;
    Ok(CompareFiles {
        sheet: sheet_path,
        index: index_path,
        cell_dir,
        cell_names,
    })
}

/// Generates every cell, one model loaded at a time in the order the models were named,
/// writing each single image as it is made; the images as generated, `[row][column]`.
fn make_cells(
    opts: &CompareOptions,
    styles: &StyleLibrary,
    prepared: &Prepared,
    reporter: &mut dyn Reporter,
) -> anyhow::Result<Vec<Vec<RgbImage>>> {
    let Prepared {
        grid,
        models,
        drafts,
        planned,
        ..
    } = prepared;
    let cells = &grid.cells;
    let (rows, columns) = (grid.rows(), grid.columns());
    let requests = &planned.requests;
    let labels = &planned.labels;
    reporter.event(Event::FiguresStarted {
        total: rows * columns,
    });
    let mut images: Vec<Vec<Option<RgbImage>>> = vec![vec![None; columns]; rows];
    let mut done = 0;
    for ((name, model), draft) in models.iter().zip(drafts) {
        // Loaded again only when a cell's styles name other LoRAs than the last cell's.
        let mut loaded: Option<(Vec<AppliedLora>, Pipeline)> = None;
        for r in 0..rows {
            for c in 0..columns {
                if cells[r][c].model != *name {
                    continue;
                }
                let req = &requests[r][c];
                let pipeline = match loaded {
                    Some((ref loras, ref mut p)) if *loras == req.loras => p,
                    _ => {
                        loaded = None;
                        let mut p = model.load(&opts.model, &req.loras, reporter)?;
                        if let Some(d) = draft {
                            p.use_draft_decoder(d.clone())
                                .map_err(|e| BadInput::from_error(&e))?;
                        }
                        &mut loaded.insert((req.loras.clone(), p)).1
                    }
                };
                done += 1;
                reporter.event(Event::Stage(msg!(
                    "stage-compare-cell",
                    done = done,
                    of = rows * columns,
                    row = r + 1,
                    column = c + 1,
                    label = labels[r][c].join(" · ")
                )));
                let start = cells[r][c]
                    .image
                    .init
                    .as_ref()
                    .map(|init| init.fitted(req.width, req.height));
                let made =
                    pipeline.generate_from(req, start.as_ref().map(|s| s.start()), &mut |p| {
                        reporter.event(Event::Pipeline(p))
                    })?;
                if !made.dropped_words.is_empty() {
                    reporter.event(Event::Warning(session::dropped_words_warning(
                        &made.dropped_words,
                    )));
                }
                let path = prepared
                    .files
                    .cell_dir
                    .join(&prepared.files.cell_names[r][c]);
                let image = save_cell(opts, styles, prepared, &path, req, made.image.clone())?;
                reporter.event(Event::FigureDone {
                    message: msg!(
                        "note-wrote",
                        path = path.display().to_string(),
                        seconds = format!("{:.1}", made.seconds)
                    ),
                });
                images[r][c] = Some(image);
            }
        }
    }
    let mut made = Vec::with_capacity(rows);
    for (r, row) in images.into_iter().enumerate() {
        let mut out = Vec::with_capacity(columns);
        for (c, image) in row.into_iter().enumerate() {
            out.push(image.ok_or_else(|| {
                anyhow::Error::new(crate::msg!(
                    "internal-error",
                    detail = format!("cell {r},{c} was not made")
                ))
            })?);
        }
        made.push(out);
    }
    Ok(made)
}

/// Writes one cell's single image at `path`, finished for print (then titled), and returns
/// the picture the sheet shows: at the generated size, titled when the cells are.
fn save_cell(
    opts: &CompareOptions,
    styles: &StyleLibrary,
    prepared: &Prepared,
    path: &Path,
    req: &GenerationRequest,
    generated: RgbImage,
) -> anyhow::Result<RgbImage> {
    let (finished, print) = prepared.finisher.apply(generated.clone())?;
    Ok(match &opts.title {
        None => {
            output::save_finished(path, &finished, req, print.as_ref(), true)?;
            generated
        }
        Some(spec) => {
            let untitled = crate::title::untitled_path(path);
            output::save_finished(&untitled, &finished, req, print.as_ref(), true)?;
            let palette = super::retitle::palette_of(req, styles);
            let plain = super::retitle::Plain {
                path: &untitled,
                image: &finished,
                request: req,
                print: print.as_ref(),
            };
            let (_, titled) = super::retitle::write_titled(path, &plain, spec, &palette, true)?;
            if titled.dimensions() == generated.dimensions() {
                titled
            } else {
                let (w, h) = generated.dimensions();
                image::imageops::resize(&titled, w, h, image::imageops::FilterType::Lanczos3)
            }
        }
    })
}

/// Renders and writes the contact sheet and its page from the made images, and tells the
/// user what was made.
fn write_sheet(
    opts: &CompareOptions,
    prepared: Prepared,
    made: Vec<Vec<RgbImage>>,
    reporter: &mut dyn Reporter,
) -> anyhow::Result<CompareOutcome> {
    let Prepared {
        grid,
        font,
        models,
        planned,
        files,
        ..
    } = prepared;
    let (rows, columns) = (grid.rows(), grid.columns());
    let cell_paths: Vec<PathBuf> = files
        .cell_names
        .iter()
        .flatten()
        .map(|n| files.cell_dir.join(n))
        .collect();
    // The sheet carries the requests as made (with their draft decoder).
    let contact = contact_sheet(&grid, &planned, made, Some(&files.cell_names))?;
    let picture = sheet::render_sheet(&contact, &font)?;
    output::save_png(&files.sheet, &picture, &sheet::sheet_chunks(&contact), true)?;
    let sheet_name = files
        .sheet
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let html = sheet::render_index_html(&contact, Some(&format!("../{sheet_name}")), opts.lang);
    output::write_atomic(&files.index, html.as_bytes(), true)?;
    for (_, model) in &models {
        session::record_licence_notice(&opts.model, model);
    }
    if opts.draft_decoder.is_some() {
        reporter.event(Event::Note(msg!("note-draft-compare")));
    }
    reporter.event(Event::Finished);
    Ok(CompareOutcome {
        sheet: files.sheet,
        index: files.index,
        cells: cell_paths,
        rows,
        columns,
    })
}

/// `image` scaled (keeping its shape) and centred on white in a `width`×`height` box; as it
/// is when it already has that size.
fn fit_into(image: RgbImage, width: u32, height: u32) -> RgbImage {
    if image.dimensions() == (width, height) {
        return image;
    }
    let scale = (width as f64 / image.width() as f64).min(height as f64 / image.height() as f64);
    let w = ((image.width() as f64 * scale).round() as u32).clamp(1, width);
    let h = ((image.height() as f64 * scale).round() as u32).clamp(1, height);
    let scaled = image::imageops::resize(&image, w, h, image::imageops::FilterType::Lanczos3);
    let mut out = RgbImage::from_pixel(width, height, image::Rgb([255, 255, 255]));
    image::imageops::overlay(
        &mut out,
        &scaled,
        i64::from((width - w) / 2),
        i64::from((height - h) / 2),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vary_parsing_and_errors() {
        assert_eq!(
            parse_vary("steps=1,2,4").unwrap().values,
            [
                AxisValue::Steps(1),
                AxisValue::Steps(2),
                AxisValue::Steps(4)
            ]
        );
        assert_eq!(
            parse_vary("guidance=0, 1.5").unwrap().values,
            [AxisValue::Guidance(0.0), AxisValue::Guidance(1.5)]
        );
        assert_eq!(
            parse_vary("strength=0.4,1").unwrap().values,
            [AxisValue::Strength(0.4), AxisValue::Strength(1.0)]
        );
        let e = parse_vary("strength=0.5,1.2").unwrap_err().to_string();
        assert!(e.contains("\"1.2\" is not a strength"), "{e}");
        let e = parse_vary("colour=red").unwrap_err().to_string();
        assert!(
            e.starts_with("--vary colour=red: there is no axis \"colour\"; the axes are steps, guidance, sampler, strength, model"),
            "{e}"
        );
        for bad in [
            "steps=0",
            "steps=x",
            "guidance=-1",
            "sampler=nope",
            "steps",
            "steps=",
        ] {
            let e = parse_vary(bad).unwrap_err().to_string();
            assert!(e.starts_with(&format!("--vary {bad}: ")), "{e}");
            assert!(e.contains("hint: write --vary NAME=V1,V2"), "{e}");
        }
    }

    #[test]
    fn fit_keeps_shape_and_centres() {
        let img = RgbImage::from_pixel(10, 20, image::Rgb([0, 0, 0]));
        let out = fit_into(img, 20, 20);
        assert_eq!(out.dimensions(), (20, 20));
        assert_eq!(out.get_pixel(0, 10), &image::Rgb([255, 255, 255]));
        assert_eq!(out.get_pixel(10, 10), &image::Rgb([0, 0, 0]));
    }
}
