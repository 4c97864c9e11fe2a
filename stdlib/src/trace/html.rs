//! `--trace FILE.html`: one self-contained page (no external scripts, styles or fonts)
//! whose script draws the trace's events as an SVG timeline (`page.html`).

/// The page with the events (one JSON object per line) embedded as its data.
pub fn page(lines: &[String]) -> String {
    // `json::quote` escapes every `<`, so no event text can close the script element.
    let data = format!("[\n{}\n]", lines.join(",\n"));
    include_str!("page.html").replacen("/*EVENTS*/", &data, 1)
}
