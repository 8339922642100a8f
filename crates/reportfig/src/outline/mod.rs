//! Report outlines (Markdown, plain text, CSV) read into a list of figures to illustrate.
//!
//! Every format yields the same thing: one [`OutlineItem`] per figure, in outline order, with
//! the caption, optional per-figure overrides (style, size, seed, file, negative prompt) and
//! the line it came from, so every later error can point the user at the right line.
//!
//! Inline overrides (Markdown and text) are a trailing attribute block, the form Pandoc,
//! kramdown and markdown-it-attrs already use for headings:
//!
//! ```text
//! ## Bus lanes on the ring road {style=isometric-city seed=7 size=slide-16x9}
//! 그림: 자전거 도로 확충 계획 {negative="text, watermark"}
//! 그림: 영일대 야경 {en="Night view of Yeongildae Beach"}
//! 그림: 시청 앞 광장의 아침 {cover}
//! ```
//!
//! `{cover}` (a flag, or `cover=yes` / a CSV column) makes that figure the report's cover:
//! it is written titled with the outline's first heading, its plain picture kept beside it.
//! `{cover layout=band}` chooses where that cover's title goes (`top`, `bottom`, `center`,
//! `band`), as `--title-layout` does for the whole batch.

mod csv;
mod markdown;
mod text;

use std::fmt;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::i18n::Message;
use crate::os_reason::OsReason;

/// Longest caption accepted, in characters. Longer text is almost always a paragraph pasted
/// by mistake, and CLIP only reads the first 77 tokens anyway.
pub const MAX_CAPTION_CHARS: usize = 300;

/// Setting names accepted in an attribute block and as CSV columns (besides `caption`).
pub const OVERRIDE_KEYS: [&str; 11] = [
    "style", "size", "seed", "file", "negative", "en", "cover", "layout", "image", "strength",
    "mask",
];

/// Checks a style name (possibly `a+b`); the error says what is wrong and how to fix it.
pub type StyleCheck<'a> = &'a dyn Fn(&str) -> Result<(), Message>;

/// Per-figure settings that replace the batch-wide ones for this figure only.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    pub style: Option<String>,
    /// A page-size preset (`slide-16x9`) or `WxH`; checked when the request is built.
    pub size: Option<String>,
    pub seed: Option<u64>,
    /// Output file name instead of `NN-slug.png`; a plain name inside the figures folder.
    pub file: Option<String>,
    pub negative: Option<String>,
    /// The caption in English, written by the user: used instead of a translation.
    pub en: Option<String>,
    /// `{cover}`: the figure is the report's cover, titled with the outline's first heading.
    pub cover: bool,
    /// `{cover layout=band}`: where this cover's title goes (only with `cover`).
    pub layout: Option<crate::title::TitleLayout>,
    /// `image=photos/harbour.jpg`: the picture the figure starts from, resolved against the
    /// outline's folder and checked to lie inside it.
    pub image: Option<PathBuf>,
    /// `strength=0.5`: how much of `image` is repainted (only with `image`).
    pub strength: Option<f64>,
    /// `mask=photos/harbour-sky.png`: only its white part of `image` is repainted (only with
    /// `image`), checked like `image`.
    pub mask: Option<PathBuf>,
}

impl Overrides {
    pub fn is_empty(&self) -> bool {
        *self == Overrides::default()
    }
}

/// One figure of the outline.
#[derive(Debug, Clone, PartialEq)]
pub struct OutlineItem {
    pub caption: String,
    pub overrides: Overrides,
    /// 1-based line in the outline file.
    pub line: usize,
    /// Markdown only: byte offset in the source just after the line that names this figure,
    /// where `--markdown` inserts the image link.
    pub insert_at: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutlineFormat {
    Markdown,
    Text,
    Csv,
}

/// What is wrong with a `{…}` settings block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingsProblem {
    NotClosed,
    TwoBlocks,
    GivenTwice(String),
    NoValue(String),
    QuoteNotClosed(String),
    EmptyValue(String),
}

impl SettingsProblem {
    /// The catalogue selector (`outline-bad-settings`'s `$problem`) and the key it names.
    pub fn key(&self) -> (&'static str, &str) {
        match self {
            SettingsProblem::NotClosed => ("not-closed", ""),
            SettingsProblem::TwoBlocks => ("two-blocks", ""),
            SettingsProblem::GivenTwice(k) => ("twice", k),
            SettingsProblem::NoValue(k) => ("no-value", k),
            SettingsProblem::QuoteNotClosed(k) => ("quote-not-closed", k),
            SettingsProblem::EmptyValue(k) => ("empty-value", k),
        }
    }
}

impl fmt::Display for SettingsProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingsProblem::NotClosed => f.write_str(
                "it is not closed with } at the end of the line (settings go last on the line)",
            ),
            SettingsProblem::TwoBlocks => f.write_str(
                "a line takes one settings block, at its end; put all settings in that one",
            ),
            SettingsProblem::GivenTwice(key) => write!(f, "\"{key}\" is given twice"),
            SettingsProblem::NoValue(key) => write!(f, "\"{key}\" has no value (write {key}=…)"),
            SettingsProblem::QuoteNotClosed(key) => {
                write!(f, "the quoted value of \"{key}\" is not closed")
            }
            SettingsProblem::EmptyValue(key) => write!(f, "\"{key}\" has an empty value"),
        }
    }
}

/// What is wrong with a `file=` name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileNameProblem {
    Empty,
    HasFolder,
    BadCharacters,
    WindowsDevice,
    NotPng,
}

impl FileNameProblem {
    /// The catalogue selector (`outline-bad-file-name`'s `$problem`).
    pub fn key(self) -> &'static str {
        match self {
            FileNameProblem::Empty => "empty",
            FileNameProblem::HasFolder => "folder",
            FileNameProblem::BadCharacters => "characters",
            FileNameProblem::WindowsDevice => "device",
            FileNameProblem::NotPng => "not-png",
        }
    }
}

impl fmt::Display for FileNameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileNameProblem::Empty => "is empty",
            FileNameProblem::HasFolder => "must not contain a folder, a drive or start with a dot",
            FileNameProblem::BadCharacters => {
                "contains characters that are not allowed in file names"
            }
            FileNameProblem::WindowsDevice => {
                "is a name Windows keeps for a device (CON, PRN, AUX, NUL, COM1, LPT1 and the like)"
            }
            FileNameProblem::NotPng => "must end in .png",
        })
    }
}

/// Where a caption was expected but none was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptionPlace {
    /// A line of a text outline holding only settings.
    TextLine,
    CsvRow,
    MarkdownHeading,
    /// A Markdown `Figure:` / `그림:` line.
    FigureLine,
}

impl CaptionPlace {
    /// The catalogue selector (`outline-empty-caption`'s `$place`).
    pub fn key(self) -> &'static str {
        match self {
            CaptionPlace::TextLine => "text-line",
            CaptionPlace::CsvRow => "csv-row",
            CaptionPlace::MarkdownHeading => "heading",
            CaptionPlace::FigureLine => "figure-line",
        }
    }

    fn what(self) -> &'static str {
        match self {
            CaptionPlace::TextLine => "this line",
            CaptionPlace::CsvRow => "this row",
            CaptionPlace::MarkdownHeading => "this heading",
            CaptionPlace::FigureLine => "this figure line",
        }
    }

    fn hint(self) -> &'static str {
        match self {
            CaptionPlace::TextLine => "write the caption before the {…} settings",
            CaptionPlace::CsvRow => "fill in the caption cell, or delete the row",
            CaptionPlace::MarkdownHeading => {
                "write the caption after the #, or remove the empty heading"
            }
            CaptionPlace::FigureLine => "write the caption after \"Figure:\" or \"그림:\"",
        }
    }
}

impl OutlineFormat {
    /// The catalogue selector (`outline-empty`'s `$format`).
    pub fn key(self) -> &'static str {
        match self {
            OutlineFormat::Markdown => "markdown",
            OutlineFormat::Text => "text",
            OutlineFormat::Csv => "csv",
        }
    }

    fn empty_hint(self) -> &'static str {
        match self {
            OutlineFormat::Markdown => {
                "write each figure as a heading (## Caption) or a line starting with \"Figure:\" or \"그림:\""
            }
            OutlineFormat::Text => "write one caption per line; lines starting with # are comments",
            OutlineFormat::Csv => {
                "add one row per figure under the header line, with the caption in the caption column"
            }
        }
    }

    /// From the file extension: `.md`/`.markdown` and `.csv`; anything else is plain text.
    pub fn from_path(path: &Path) -> OutlineFormat {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase());
        match ext.as_deref() {
            Some("md" | "markdown") => OutlineFormat::Markdown,
            Some("csv") => OutlineFormat::Csv,
            _ => OutlineFormat::Text,
        }
    }
}

/// A parsed outline.
#[derive(Debug, Clone)]
pub struct Outline {
    pub path: PathBuf,
    pub format: OutlineFormat,
    /// The text as read (BOM removed); kept so `--markdown` can write an illustrated copy.
    pub source: String,
    pub items: Vec<OutlineItem>,
    /// Markdown only: every heading, in order, for the gallery's title and sections. In an
    /// outline whose headings are its figures these are the figures' lines too.
    pub headings: Vec<Heading>,
}

/// A Markdown heading of the outline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    /// 1 for `#`, 2 for `##`, …
    pub level: u8,
    /// Its text, without a trailing `{…}` block.
    pub text: String,
    /// 1-based line in the outline file.
    pub line: usize,
}

impl Outline {
    /// The report's title: the outline's first heading, if it has one.
    pub fn title(&self) -> Option<&str> {
        self.headings.first().map(|h| h.text.as_str())
    }
}

/// What is wrong with an `image=` path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImagePathProblem {
    Absolute,
    LeavesFolder,
    IsFolder,
    Missing,
    Unreadable,
    LinksOutside,
    /// Not among the files of the ZIP the outline was uploaded in.
    NotInUpload,
}

impl ImagePathProblem {
    /// The id of its wording in the message catalogue.
    pub fn message_id(self) -> &'static str {
        match self {
            ImagePathProblem::Absolute => "outline-image-absolute",
            ImagePathProblem::LeavesFolder => "outline-image-leaves-folder",
            ImagePathProblem::IsFolder => "outline-image-is-folder",
            ImagePathProblem::Missing => "outline-image-missing",
            ImagePathProblem::Unreadable => "outline-image-unreadable",
            ImagePathProblem::LinksOutside => "outline-image-links-outside",
            ImagePathProblem::NotInUpload => "outline-image-not-in-zip",
        }
    }
}

impl fmt::Display for ImagePathProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ImagePathProblem::Absolute => "is an absolute path",
            ImagePathProblem::LeavesFolder => "leaves the outline's folder (..)",
            ImagePathProblem::IsFolder => "is a folder, not a picture",
            ImagePathProblem::Missing => "does not exist",
            ImagePathProblem::Unreadable => "cannot be read",
            ImagePathProblem::LinksOutside => "is a link to a file outside the outline's folder",
            ImagePathProblem::NotInUpload => "is not in the uploaded ZIP beside the outline",
        })
    }
}

#[derive(Debug, Error)]
pub enum OutlineError {
    #[error("cannot read the outline {path}: {reason}\nhint: check the path and that the file exists and is readable")]
    Unreadable { path: PathBuf, reason: OsReason },
    /// A word processor's file, whose text sits inside a zip or a binary format.
    #[error("{path} is a {kind} document; outlines are Markdown (.md), text (.txt) or CSV\nhint: save the report's headings as plain text (in Word or HWP: Save As, \"Text\" .txt) and give that file; to write a Word document with the figures, add --docx FILE to the batch")]
    WordProcessor { path: PathBuf, kind: &'static str },
    #[error("the outline {path} is larger than {limit_mb} MB, far more than any report needs\nhint: check that this is the outline you meant; split a very long list into several outlines")]
    TooLarge { path: PathBuf, limit_mb: u64 },
    #[error("{path}:{line}: the outline lists more than {limit} figures, far more than any report needs\nhint: check that this is the outline you meant; split a very long list into several outlines")]
    TooManyFigures {
        path: PathBuf,
        line: usize,
        limit: usize,
    },
    #[error("{path}:{line}: the line contains an invisible control character ({code}), which would reach the terminal and the gallery page\nhint: delete it or retype the line (it usually comes from copying out of another program)")]
    ControlCharacter {
        path: PathBuf,
        line: usize,
        code: String,
    },
    #[error("{path}:{line}: the outline is not UTF-8 text\nhint: save it as UTF-8 (in Excel: \"CSV UTF-8\"; in Notepad: Encoding \"UTF-8\")")]
    NotUtf8 { path: PathBuf, line: usize },
    #[error("{}: the outline has no figures\nhint: {}", path.display(), format.empty_hint())]
    Empty {
        path: PathBuf,
        format: OutlineFormat,
    },
    #[error("{path}:{line}: the caption is {chars} characters long, over the limit of {max}: \"{start}…\"\nhint: shorten it to one sentence; put longer text in the report itself")]
    CaptionTooLong {
        path: PathBuf,
        line: usize,
        chars: usize,
        max: usize,
        start: String,
    },
    #[error("{}:{line}: {} has no caption\nhint: {}", path.display(), place.what(), place.hint())]
    EmptyCaption {
        path: PathBuf,
        line: usize,
        place: CaptionPlace,
    },
    #[error("{path}:{line}: en=\"{value}\" is not an English caption\nhint: en= gives the English the model reads instead of a translation, e.g. {{en=\"Bus stop in front of Pohang City Hall\"}}")]
    BadEnglish {
        path: PathBuf,
        line: usize,
        value: String,
    },
    #[error("{path}:{line}: seed \"{value}\" is not a whole number from 0 to 18446744073709551615\nhint: write it like seed=7")]
    BadSeed {
        path: PathBuf,
        line: usize,
        value: String,
    },
    #[error("{path}:{line}: unknown style \"{style}\": {message}")]
    UnknownStyle {
        path: PathBuf,
        line: usize,
        style: String,
        /// Why, from the style library, in the user's language when shown.
        message: Message,
    },
    #[error("{path}:{line}: unknown setting \"{key}\" in {{…}}\nhint: the settings are {known}, written like {{style=isometric-city seed=7}}")]
    UnknownSetting {
        path: PathBuf,
        line: usize,
        key: String,
        known: String,
    },
    #[error("{path}:{line}: cannot read the settings block {block}: {problem}\nhint: write settings like {{style=isometric-city seed=7 negative=\"text, watermark\"}}")]
    BadSettings {
        path: PathBuf,
        line: usize,
        block: String,
        problem: SettingsProblem,
    },
    #[error("{path}:{line}: file name \"{value}\" {problem}\nhint: give a plain name such as bus-lanes.png; it is written inside the figures folder")]
    BadFileName {
        path: PathBuf,
        line: usize,
        value: String,
        problem: FileNameProblem,
    },
    #[error("{path}:{line}: image \"{value}\" {problem}\nhint: give the picture's path from the outline's folder, such as image=photos/harbour.jpg, with the picture inside that folder")]
    BadImagePath {
        path: PathBuf,
        line: usize,
        value: String,
        problem: ImagePathProblem,
    },
    /// An outline uploaded to `serve` alone names a starting picture.
    #[error("{path}:{line}: image \"{value}\": the outline was uploaded without its pictures\nhint: upload one ZIP file holding the outline and its pictures (paths as in image=), or remove image= (and strength=) from that figure")]
    ImageInUpload {
        path: PathBuf,
        line: usize,
        value: String,
    },
    #[error("{path}:{line}: strength \"{value}\" must be a number above 0 and at most 1\nhint: write it like {{image=photos/harbour.jpg strength=0.5}}; 0.6 is usual")]
    BadStrength {
        path: PathBuf,
        line: usize,
        value: String,
    },
    #[error("{path}:{line}: strength= and mask= only apply to a starting picture\nhint: add image=FILE to the same settings, e.g. {{image=photos/harbour.jpg strength=0.5}}")]
    StrengthWithoutImage { path: PathBuf, line: usize },
    #[error("{path}:{line}: title layout \"{value}\" is not one of top, bottom, center, band\nhint: write it like {{cover layout=band}}")]
    BadLayout {
        path: PathBuf,
        line: usize,
        value: String,
    },
    #[error("{path}:{line}: layout= only applies to a cover\nhint: add cover to the same settings, e.g. {{cover layout=band}}")]
    LayoutWithoutCover { path: PathBuf, line: usize },
    #[error("{path}:1: unknown column \"{column}\"\nhint: the columns are caption, style, size, seed, file, negative, en, cover, layout, image, strength, mask (only caption is required)")]
    UnknownColumn { path: PathBuf, column: String },
    #[error("{path}:1: the header has no \"caption\" column\nhint: the first line must name the columns, for example: caption,style,seed")]
    NoCaptionColumn { path: PathBuf },
    #[error("{path}:1: column \"{column}\" appears twice\nhint: keep one of them")]
    DuplicateColumn { path: PathBuf, column: String },
    #[error("{path}:{line}: {problem}\nhint: check the quotes and the number of commas on that line; a cell containing a comma must be in double quotes")]
    Csv {
        path: PathBuf,
        line: usize,
        /// The row's problem; the CSV reader's own words for the rare ones.
        problem: Message,
    },
}

/// The largest outline file read: a year of reports is a few hundred kilobytes; 16 MB is
/// about 300,000 captions, weeks of work on one machine.
pub const MAX_OUTLINE_BYTES: u64 = 16 << 20;

/// Most figures one outline may list. The byte limit alone does not bound the work: 16 MB of
/// one-letter lines is eight million figures, and planning each costs kilobytes (a 4 MB file
/// of them took 16 GB and 95 s in a dry run). Ten thousand is far past any report and
/// plans in well under a second.
pub const MAX_OUTLINE_FIGURES: usize = 10_000;

/// Reads and parses an outline; the format comes from the extension (see
/// [`OutlineFormat::from_path`]).
pub fn read_outline(path: &Path, style_check: StyleCheck<'_>) -> Result<Outline, OutlineError> {
    use std::io::Read;
    refuse_word_processor(path)?;
    let unreadable = |e: std::io::Error| OutlineError::Unreadable {
        path: path.to_path_buf(),
        reason: io_reason(&e),
    };
    // Read at most one byte past the limit, so `/dev/zero` or a multi-gigabyte log given by
    // mistake is refused at once instead of filling memory.
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(unreadable)?
        .take(MAX_OUTLINE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_OUTLINE_BYTES {
        return Err(OutlineError::TooLarge {
            path: path.to_path_buf(),
            limit_mb: MAX_OUTLINE_BYTES >> 20,
        });
    }
    let text = decode_utf8(path, bytes)?;
    parse_outline(path, OutlineFormat::from_path(path), text, style_check)
}

/// A word processor's file given as an outline, named by its extension.
fn refuse_word_processor(path: &Path) -> Result<(), OutlineError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let kind = match ext.as_deref() {
        Some("docx" | "doc" | "odt" | "rtf") => Some("Word"),
        Some("hwp" | "hwpx") => Some("HWP"),
        Some("pptx" | "ppt") => Some("PowerPoint"),
        _ => None,
    };
    match kind {
        Some(kind) => Err(OutlineError::WordProcessor {
            path: path.to_path_buf(),
            kind,
        }),
        None => Ok(()),
    }
}

/// Control characters (NUL, ESC, BEL, …) would be printed to the terminal as commands and
/// written into the gallery; a report never needs them. Tabs and line ends are text.
fn refuse_control_characters(path: &Path, text: &str) -> Result<(), OutlineError> {
    for (i, line) in text.lines().enumerate() {
        if let Some(c) = line
            .chars()
            .find(|&c| c.is_control() && c != '\t' && c != '\r')
        {
            return Err(OutlineError::ControlCharacter {
                path: path.to_path_buf(),
                line: i + 1,
                code: format!("U+{:04X}", c as u32),
            });
        }
    }
    Ok(())
}

/// Parses outline text already in memory; `path` is used in messages and kept in the result.
pub fn parse_outline(
    path: &Path,
    format: OutlineFormat,
    text: String,
    style_check: StyleCheck<'_>,
) -> Result<Outline, OutlineError> {
    parse_with(path, format, text, style_check, ImageLookup::Folder)
}

/// The starting pictures that came with an outline uploaded to a server. Nothing is ever
/// looked up on the server's disk: `path` names no real folder there, and nothing on the
/// server may be read through an upload.
#[derive(Debug, Clone, Copy)]
pub enum UploadedPictures<'a> {
    /// The outline came alone: an `image=` is refused ([`OutlineError::ImageInUpload`]).
    None,
    /// It came in a ZIP with these files, by their `/`-separated paths from the outline's
    /// folder in the ZIP; an `image=` must name one of them.
    Listed(&'a std::collections::BTreeSet<String>),
    /// It passed its checks with its pictures when it was uploaded, and is read again only
    /// for its headings and captions: an `image=` is taken as written.
    Checked,
}

/// A path as an uploaded ZIP's files are keyed: `/` between folders (`\` counts as one, as
/// on Windows), no empty or `.` parts. The same for `image=` values and ZIP entry names, so
/// the two meet.
pub(crate) fn uploaded_file_key(path: &str) -> String {
    path.split(['/', '\\'])
        .filter(|part| !part.is_empty() && *part != ".")
        .collect::<Vec<_>>()
        .join("/")
}

/// Where an outline's `image=` paths point.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ImageLookup<'a> {
    /// Files in the outline's folder on this computer.
    Folder,
    Uploaded(UploadedPictures<'a>),
}

/// Parses an outline uploaded to a server: the same checks as [`read_outline`], with `image=`
/// paths checked against `pictures` (see [`UploadedPictures`]).
pub fn parse_uploaded_outline(
    path: &Path,
    format: OutlineFormat,
    bytes: Vec<u8>,
    style_check: StyleCheck<'_>,
    pictures: UploadedPictures<'_>,
) -> Result<Outline, OutlineError> {
    refuse_word_processor(path)?;
    let text = decode_utf8(path, bytes)?;
    parse_with(
        path,
        format,
        text,
        style_check,
        ImageLookup::Uploaded(pictures),
    )
}

fn parse_with(
    path: &Path,
    format: OutlineFormat,
    text: String,
    style_check: StyleCheck<'_>,
    images: ImageLookup<'_>,
) -> Result<Outline, OutlineError> {
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    };
    refuse_control_characters(path, &text)?;
    let ctx = Ctx {
        path,
        style_check,
        images,
        figures: std::cell::Cell::new(0),
    };
    let (items, headings) = match format {
        OutlineFormat::Markdown => markdown::parse(&ctx, &text)?,
        OutlineFormat::Text => (text::parse(&ctx, &text)?, Vec::new()),
        OutlineFormat::Csv => (csv::parse(&ctx, &text)?, Vec::new()),
    };
    if items.is_empty() {
        return Err(OutlineError::Empty {
            path: path.to_path_buf(),
            format,
        });
    }
    Ok(Outline {
        path: path.to_path_buf(),
        format,
        source: text,
        items,
        headings,
    })
}

pub(crate) fn io_reason(e: &std::io::Error) -> OsReason {
    OsReason::of(e)
}

fn decode_utf8(path: &Path, bytes: Vec<u8>) -> Result<String, OutlineError> {
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = 1 + good.iter().filter(|&&b| b == b'\n').count();
        OutlineError::NotUtf8 {
            path: path.to_path_buf(),
            line,
        }
    })
}

/// What the format parsers share: where messages point and how styles are checked.
pub(crate) struct Ctx<'a> {
    pub path: &'a Path,
    pub style_check: StyleCheck<'a>,
    /// Where `image=` and `mask=` are looked for.
    pub images: ImageLookup<'a>,
    /// Figures built so far, held to [`MAX_OUTLINE_FIGURES`].
    pub figures: std::cell::Cell<usize>,
}

impl Ctx<'_> {
    /// Builds an item from a caption and raw settings, checking everything that can be
    /// checked without a model.
    pub fn item(
        &self,
        line: usize,
        caption: &str,
        settings: Vec<(String, String)>,
        insert_at: Option<usize>,
    ) -> Result<OutlineItem, OutlineError> {
        // Counted before any work on the caption, so a runaway outline stops at the limit.
        self.figures.set(self.figures.get() + 1);
        if self.figures.get() > MAX_OUTLINE_FIGURES {
            return Err(OutlineError::TooManyFigures {
                path: self.path.to_path_buf(),
                line,
                limit: MAX_OUTLINE_FIGURES,
            });
        }
        let caption = caption.split_whitespace().collect::<Vec<_>>().join(" ");
        let chars = caption.chars().count();
        if chars > MAX_CAPTION_CHARS {
            return Err(OutlineError::CaptionTooLong {
                path: self.path.to_path_buf(),
                line,
                chars,
                max: MAX_CAPTION_CHARS,
                start: caption.chars().take(40).collect(),
            });
        }
        let mut overrides = Overrides::default();
        for (key, value) in settings {
            let value = value.trim().to_string();
            match key.as_str() {
                "style" => {
                    if let Err(message) = (self.style_check)(&value) {
                        return Err(OutlineError::UnknownStyle {
                            path: self.path.to_path_buf(),
                            line,
                            style: value,
                            message,
                        });
                    }
                    overrides.style = Some(value);
                }
                "size" => overrides.size = Some(value),
                "seed" => {
                    let seed = value.parse::<u64>().map_err(|_| OutlineError::BadSeed {
                        path: self.path.to_path_buf(),
                        line,
                        value: value.clone(),
                    })?;
                    overrides.seed = Some(seed);
                }
                "file" => overrides.file = Some(self.check_file(line, value)?),
                "negative" => overrides.negative = Some(value),
                // An empty CSV cell is no picture.
                "image" | "mask" if value.is_empty() => {}
                // An uploaded outline has no folder: its paths are refused, never looked up.
                "image" | "mask"
                    if matches!(self.images, ImageLookup::Uploaded(UploadedPictures::None)) =>
                {
                    return Err(OutlineError::ImageInUpload {
                        path: self.path.to_path_buf(),
                        line,
                        value,
                    })
                }
                "image" => overrides.image = Some(self.check_image(line, value)?),
                "mask" => overrides.mask = Some(self.check_image(line, value)?),
                "strength" if value.is_empty() => {}
                "strength" => match value.parse::<f64>() {
                    Ok(s) if reportfig_engine::request::InitImage::strength_is_valid(s) => {
                        overrides.strength = Some(s)
                    }
                    _ => {
                        return Err(OutlineError::BadStrength {
                            path: self.path.to_path_buf(),
                            line,
                            value,
                        })
                    }
                },
                "cover" => {
                    overrides.cover = match value.to_ascii_lowercase().as_str() {
                        "yes" | "true" | "1" => true,
                        "no" | "false" | "0" | "" => false,
                        _ => {
                            return Err(OutlineError::UnknownSetting {
                                path: self.path.to_path_buf(),
                                line,
                                key: format!("cover={value}"),
                                known: OVERRIDE_KEYS.join(", "),
                            })
                        }
                    }
                }
                // An empty CSV cell is no layout.
                "layout" if value.is_empty() => {}
                "layout" => {
                    let Ok(layout) = value.parse::<crate::title::TitleLayout>() else {
                        return Err(OutlineError::BadLayout {
                            path: self.path.to_path_buf(),
                            line,
                            value,
                        });
                    };
                    overrides.layout = Some(layout);
                }
                "en" => {
                    if value.is_empty() || crate::translate::has_hangul(&value) {
                        return Err(OutlineError::BadEnglish {
                            path: self.path.to_path_buf(),
                            line,
                            value,
                        });
                    }
                    overrides.en = Some(value);
                }
                _ => {
                    return Err(OutlineError::UnknownSetting {
                        path: self.path.to_path_buf(),
                        line,
                        key,
                        known: OVERRIDE_KEYS.join(", "),
                    })
                }
            }
        }
        if (overrides.strength.is_some() || overrides.mask.is_some()) && overrides.image.is_none() {
            return Err(OutlineError::StrengthWithoutImage {
                path: self.path.to_path_buf(),
                line,
            });
        }
        // Said now rather than ignored: a layout on a figure that is no cover does nothing.
        if overrides.layout.is_some() && !overrides.cover {
            return Err(OutlineError::LayoutWithoutCover {
                path: self.path.to_path_buf(),
                line,
            });
        }
        Ok(OutlineItem {
            caption,
            overrides,
            line,
            insert_at,
        })
    }

    /// An `image` must be a relative path to an existing file inside the outline's folder
    /// tree: an outline passed around (or uploaded to a server) must not make reportfig read
    /// files elsewhere on the machine.
    fn check_image(&self, line: usize, value: String) -> Result<PathBuf, OutlineError> {
        use std::path::Component;
        let bad = |problem| OutlineError::BadImagePath {
            path: self.path.to_path_buf(),
            line,
            value: value.clone(),
            problem,
        };
        let rel = Path::new(&value);
        // `C:` and `\\server` are absolute on Windows only; refuse them everywhere so an
        // outline means the same on every machine.
        let windows_absolute =
            value.starts_with(['\\', '/']) || value.as_bytes().get(1) == Some(&b':');
        if rel.is_absolute() || windows_absolute {
            return Err(bad(ImagePathProblem::Absolute));
        }
        if value.split(['/', '\\']).any(|part| part == "..")
            || rel
                .components()
                .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
        {
            return Err(bad(ImagePathProblem::LeavesFolder));
        }
        let pictures = match self.images {
            ImageLookup::Folder => None,
            ImageLookup::Uploaded(p) => Some(p),
        };
        if let Some(pictures) = pictures {
            let key = uploaded_file_key(&value);
            return match pictures {
                UploadedPictures::Listed(names) if !names.contains(&key) => {
                    Err(bad(ImagePathProblem::NotInUpload))
                }
                _ => Ok(PathBuf::from(key)),
            };
        }
        let base = self.path.parent().unwrap_or(Path::new("."));
        let base = if base.as_os_str().is_empty() {
            Path::new(".")
        } else {
            base
        };
        let full = base.join(rel);
        if !full.is_file() {
            return Err(bad(if full.exists() {
                ImagePathProblem::IsFolder
            } else {
                ImagePathProblem::Missing
            }));
        }
        // A link inside the folder may still point outside it.
        let (Ok(real_base), Ok(real)) = (base.canonicalize(), full.canonicalize()) else {
            return Err(bad(ImagePathProblem::Unreadable));
        };
        if !real.starts_with(&real_base) {
            return Err(bad(ImagePathProblem::LinksOutside));
        }
        Ok(full)
    }

    /// A `file` override must stay inside the figures folder and be a PNG.
    fn check_file(&self, line: usize, value: String) -> Result<String, OutlineError> {
        let bad = |problem| OutlineError::BadFileName {
            path: self.path.to_path_buf(),
            line,
            value: value.clone(),
            problem,
        };
        if value.is_empty() {
            return Err(bad(FileNameProblem::Empty));
        }
        if value.contains(['/', '\\', ':']) || value.starts_with('.') {
            return Err(bad(FileNameProblem::HasFolder));
        }
        if value
            .chars()
            .any(|c| c.is_control() || "<>\"|?*".contains(c))
        {
            return Err(bad(FileNameProblem::BadCharacters));
        }
        // An outline written on Linux may be run on a colleague's Windows PC, where `CON.png`
        // is the console, not a file.
        if crate::output::is_windows_reserved(&value) {
            return Err(bad(FileNameProblem::WindowsDevice));
        }
        let lower = value.to_lowercase();
        if lower.ends_with(".png") {
            Ok(value)
        } else if lower.contains('.') {
            Err(bad(FileNameProblem::NotPng))
        } else {
            Ok(format!("{value}.png"))
        }
    }

    pub fn empty_caption(&self, line: usize, place: CaptionPlace) -> OutlineError {
        OutlineError::EmptyCaption {
            path: self.path.to_path_buf(),
            line,
            place,
        }
    }
}

/// Splits a trailing `{key=value …}` block off a caption. Values may be double-quoted to hold
/// spaces (`negative="text, watermark"`). Pandoc-style `#id` and `.class` tokens are ignored so
/// outlines that already use them keep working. Text whose last `{…}` does not end the line is
/// returned unchanged.
pub(crate) fn split_settings(
    ctx: &Ctx<'_>,
    line: usize,
    text: &str,
) -> Result<(String, Vec<(String, String)>), OutlineError> {
    let trimmed = text.trim_end();
    // Text that still holds something shaped like a settings block after the trailing one is
    // taken off would otherwise become caption words, with its settings silently ignored.
    let stray = |caption: &str, problem: SettingsProblem| match stray_block(caption) {
        Some(at) => Err(OutlineError::BadSettings {
            path: ctx.path.to_path_buf(),
            line,
            block: caption[at..].trim_end().to_string(),
            problem,
        }),
        None => Ok(()),
    };
    if !trimmed.ends_with('}') {
        stray(trimmed, SettingsProblem::NotClosed)?;
        return Ok((text.to_string(), Vec::new()));
    }
    let Some(open) = find_block_start(trimmed) else {
        return Ok((text.to_string(), Vec::new()));
    };
    stray(&trimmed[..open], SettingsProblem::TwoBlocks)?;
    let block = &trimmed[open..];
    let inner = &block[1..block.len() - 1];
    let bad = |problem: SettingsProblem| OutlineError::BadSettings {
        path: ctx.path.to_path_buf(),
        line,
        block: block.to_string(),
        problem,
    };
    let mut settings = Vec::new();
    let mut chars = inner.char_indices().peekable();
    loop {
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        let Some(&(start, first)) = chars.peek() else {
            break;
        };
        if first == '#' || first == '.' {
            while chars.next_if(|(_, c)| !c.is_whitespace()).is_some() {}
            continue;
        }
        let mut key_end = start;
        while let Some((i, c)) = chars.next_if(|(_, c)| *c != '=' && !c.is_whitespace()) {
            key_end = i + c.len_utf8();
        }
        let key = inner[start..key_end].to_lowercase();
        // `{cover}` is a flag: it takes no value.
        if key == "cover" && chars.peek().is_none_or(|(_, c)| c.is_whitespace()) {
            if settings.iter().any(|(k, _)| *k == key) {
                return Err(bad(SettingsProblem::GivenTwice(key)));
            }
            settings.push((key, "yes".to_string()));
            continue;
        }
        if chars.next_if(|(_, c)| *c == '=').is_none() {
            return Err(bad(SettingsProblem::NoValue(key)));
        }
        let mut value = String::new();
        if chars.next_if(|(_, c)| *c == '"').is_some() {
            let mut closed = false;
            for (_, c) in chars.by_ref() {
                if c == '"' {
                    closed = true;
                    break;
                }
                value.push(c);
            }
            if !closed {
                return Err(bad(SettingsProblem::QuoteNotClosed(key)));
            }
        } else {
            while let Some((_, c)) = chars.next_if(|(_, c)| !c.is_whitespace()) {
                value.push(c);
            }
        }
        if value.is_empty() {
            return Err(bad(SettingsProblem::EmptyValue(key)));
        }
        if settings.iter().any(|(k, _)| *k == key) {
            return Err(bad(SettingsProblem::GivenTwice(key)));
        }
        settings.push((key, value));
    }
    Ok((trimmed[..open].trim_end().to_string(), settings))
}

/// Where the trailing settings block of an outline line starts (`{key=…}` at the end), for
/// copies of the outline that leave the settings out.
pub(crate) fn settings_block_start(line: &str) -> Option<usize> {
    let trimmed = line.trim_end();
    if !trimmed.ends_with('}') {
        return None;
    }
    let open = find_block_start(trimmed)?;
    stray_block(&trimmed[open..]).map(|_| open)
}

/// Where `{key=` starts in `s`: the shape of a settings block, as opposed to braces in
/// ordinary text (`{2025}`, `{ }`).
fn stray_block(s: &str) -> Option<usize> {
    s.match_indices('{').map(|(i, _)| i).find(|&i| {
        let rest = s[i + 1..].trim_start();
        let key_len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(rest.len());
        key_len > 0 && rest[key_len..].starts_with('=')
    })
}

/// The `{` that opens the trailing block, skipping braces inside double quotes.
fn find_block_start(s: &str) -> Option<usize> {
    let mut in_quotes = false;
    let mut open = None;
    for (i, c) in s.char_indices() {
        match c {
            '"' if open.is_some() => in_quotes = !in_quotes,
            '{' if !in_quotes => open = Some(i),
            '}' if !in_quotes && i + 1 < s.len() => open = None,
            _ => {}
        }
    }
    open
}

impl fmt::Display for OutlineFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OutlineFormat::Markdown => "Markdown",
            OutlineFormat::Text => "text",
            OutlineFormat::Csv => "CSV",
        })
    }
}
