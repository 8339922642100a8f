//! CSV outlines: a header line naming the columns `caption` (required) and optionally
//! `style`, `size`, `seed`, `file`, `negative`, `en` (the English caption, instead of a
//! translation); one figure per row; empty cells mean "not set".

use super::{CaptionPlace, Ctx, OutlineError, OutlineItem, OVERRIDE_KEYS};

pub(crate) fn parse(ctx: &Ctx<'_>, text: &str) -> Result<Vec<OutlineItem>, OutlineError> {
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .trim(::csv::Trim::All)
        .from_reader(text.as_bytes());
    let csv_error = |e: ::csv::Error| {
        let line = e.position().map(|p| p.line() as usize).unwrap_or(1);
        let problem = match e.kind() {
            ::csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => crate::msg!("outline-csv-cells", cells = *len, header = *expected_len),
            _ => crate::msg!("untranslated", text = e.to_string()),
        };
        OutlineError::Csv {
            path: ctx.path.to_path_buf(),
            line,
            problem,
        }
    };
    let headers = reader.headers().map_err(csv_error)?.clone();
    let mut columns: Vec<String> = Vec::new();
    for name in headers.iter() {
        let name = name.trim().to_lowercase();
        if name != "caption" && !OVERRIDE_KEYS.contains(&name.as_str()) {
            return Err(OutlineError::UnknownColumn {
                path: ctx.path.to_path_buf(),
                column: name,
            });
        }
        if columns.contains(&name) {
            return Err(OutlineError::DuplicateColumn {
                path: ctx.path.to_path_buf(),
                column: name,
            });
        }
        columns.push(name);
    }
    let Some(caption_col) = columns.iter().position(|c| c == "caption") else {
        return Err(OutlineError::NoCaptionColumn {
            path: ctx.path.to_path_buf(),
        });
    };

    let mut items = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_error)?;
        let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
        if record.iter().all(|cell| cell.is_empty()) {
            continue;
        }
        let caption = record.get(caption_col).unwrap_or_default();
        if caption.is_empty() {
            return Err(ctx.empty_caption(line, CaptionPlace::CsvRow));
        }
        let settings = columns
            .iter()
            .zip(record.iter())
            .filter(|(name, cell)| *name != "caption" && !cell.is_empty())
            .map(|(name, cell)| (name.clone(), cell.to_string()))
            .collect();
        items.push(ctx.item(line, caption, settings, None)?);
    }
    Ok(items)
}
