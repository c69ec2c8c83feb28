//! Printing: tables for people, the SDK's models as JSON for scripts.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};
use serde::Serialize;

use crate::exit::CliError;

/// A table with `headers` and `rows`, sized to the terminal.
pub fn table<S: AsRef<str>>(headers: &[&str], rows: impl IntoIterator<Item = Vec<S>>) -> String {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(headers.iter().copied());
    for row in rows {
        t.add_row(row.iter().map(|c| c.as_ref().to_owned()));
    }
    t.to_string()
}

/// `key: value` lines, aligned.
pub fn fields<S: AsRef<str>>(pairs: &[(&str, S)]) -> String {
    let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    pairs
        .iter()
        .map(|(k, v)| format!("{k:<width$}  {}", v.as_ref()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Pretty JSON of `value` in Python's shapes: timestamps as Python's `str(datetime)` writes
/// them, as the generated commands print them.
pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<String, CliError> {
    let mut v = serde_json::to_value(value)?;
    crate::gen_support::python_timestamps(&mut v);
    Ok(serde_json::to_string_pretty(&v)?)
}

/// Prints `value` as JSON when `as_json`, else the text `human` builds.
pub fn emit<T: Serialize + ?Sized>(
    as_json: bool,
    value: &T,
    human: impl FnOnce(&T) -> String,
) -> Result<(), CliError> {
    let text = if as_json { json(value)? } else { human(value) };
    println!("{text}");
    Ok(())
}

/// Any serializable value as a table cell: strings bare, `null` empty, the rest as JSON.
pub fn cell<T: Serialize + ?Sized>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(serde_json::Value::Null) => String::new(),
        Ok(v) => v.to_string(),
        Err(_) => String::new(),
    }
}

/// A list of strings as one cell.
pub fn joined<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Prints a listing: its items as a bare JSON array when `as_json` (Python's shape, no page
/// envelope), else the table `rows_table` builds from them with the "N of TOTAL" footer.
pub fn emit_page<T: Serialize>(
    as_json: bool,
    page: &ctfy::Page<T>,
    rows_table: impl FnOnce(&[T]) -> String,
) -> Result<(), CliError> {
    if as_json {
        println!("{}", json(&page.items)?);
        return Ok(());
    }
    println!("{}\n{}", rows_table(&page.items), page_footer(page));
    Ok(())
}

/// "N of TOTAL" under a listing.
fn page_footer<T>(page: &ctfy::Page<T>) -> String {
    match page.total {
        Some(total) => format!("{} of {total} (offset {})", page.items.len(), page.offset),
        None => format!("{} rows (offset {})", page.items.len(), page.offset),
    }
}
