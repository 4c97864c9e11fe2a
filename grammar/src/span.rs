//! Byte spans into a source file and the mapping from byte offsets to lines and columns.

/// A half-open byte range `start..end` into one file's source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start: start as u32, end: end as u32 }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.end == self.start
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// Maps byte offsets of one source text to 1-based line numbers and columns.
#[derive(Debug, Clone)]
pub struct LineIndex {
    /// Byte offset at which each line starts; `line_starts[0] == 0`.
    line_starts: Vec<u32>,
}

impl LineIndex {
    pub fn new(source: &str) -> LineIndex {
        let mut line_starts = vec![0u32];
        for (i, b) in source.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(i as u32 + 1);
            }
        }
        LineIndex { line_starts }
    }

    /// 1-based line number holding `offset`.
    pub fn line(&self, offset: u32) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    /// Byte offset where 1-based `line` starts.
    pub fn line_start(&self, line: usize) -> u32 {
        self.line_starts.get(line.saturating_sub(1)).copied().unwrap_or(0)
    }

    /// 1-based (line, column) of `offset`; the column counts characters, as CPython's
    /// SyntaxError offsets do.
    pub fn line_col(&self, source: &str, offset: u32) -> (usize, usize) {
        let line = self.line(offset);
        let start = self.line_start(line) as usize;
        let end = (offset as usize).min(source.len());
        let col = source.get(start..end).map(|s| s.chars().count()).unwrap_or(0) + 1;
        (line, col)
    }

    /// The text of 1-based `line` without its line terminator.
    pub fn line_text<'a>(&self, source: &'a str, line: usize) -> &'a str {
        let start = self.line_start(line) as usize;
        let end = self.line_starts.get(line).map(|&e| e as usize).unwrap_or(source.len());
        source.get(start..end).unwrap_or("").trim_end_matches(['\n', '\r'])
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns() {
        let src = "ab\ncd\n中x\n";
        let idx = LineIndex::new(src);
        assert_eq!(idx.line_col(src, 0), (1, 1));
        assert_eq!(idx.line_col(src, 4), (2, 2));
        assert_eq!(idx.line_col(src, 9), (3, 2));
        assert_eq!(idx.line_text(src, 3), "中x");
    }
}
