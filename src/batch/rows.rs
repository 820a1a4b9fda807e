//! The rows of a field list, read one at a time: CSV with a header line (as TOPCAT and astropy
//! export catalogues), or JSON Lines (one object a line).

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, Read};
use std::sync::{Arc, Mutex};

/// The longest row accepted, bytes.
const MAX_ROW_BYTES: u64 = 64 << 10;

/// One row: its line number (1 for the first line of the file) and its values by column name
/// (lower case).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Row {
    pub line: u64,
    pub values: HashMap<String, String>,
}

impl Row {
    /// The value of the first of `names` the row has and that is not empty.
    pub(crate) fn get(&self, names: &[&str]) -> Option<&str> {
        names
            .iter()
            .filter_map(|n| self.values.get(*n))
            .map(|v| v.trim())
            .find(|v| !v.is_empty())
    }
}

/// A row that could not be read, with its line number.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RowError {
    pub line: u64,
    pub reason: String,
}

/// Reads the rows of `input`: JSON Lines if its first character is `{`, else CSV.
pub(crate) fn rows<R: BufRead + 'static>(
    mut input: R,
) -> Box<dyn Iterator<Item = Result<Row, RowError>>> {
    let json = match input.fill_buf() {
        Ok(head) => head
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|&b| b == b'{'),
        Err(_) => false,
    };
    if json {
        Box::new(JsonLines { input, line: 0 })
    } else {
        Box::new(csv_rows(input))
    }
}

struct JsonLines<R> {
    input: R,
    line: u64,
}

impl<R: BufRead> Iterator for JsonLines<R> {
    type Item = Result<Row, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.line += 1;
            let line = self.line;
            let mut bytes = Vec::new();
            let read = (&mut self.input)
                .take(MAX_ROW_BYTES + 1)
                .read_until(b'\n', &mut bytes);
            let fail = |reason: String| Some(Err(RowError { line, reason }));
            match read {
                Ok(0) => return None,
                Err(e) => return fail(format!("cannot read: {e}")),
                Ok(_) if bytes.len() as u64 > MAX_ROW_BYTES => {
                    return fail(format!("longer than {MAX_ROW_BYTES} bytes"))
                }
                Ok(_) => {}
            }
            let text = String::from_utf8_lossy(&bytes);
            if text.trim().is_empty() {
                continue;
            }
            let value: serde_json::Value = match serde_json::from_str(&text) {
                Ok(v) => v,
                Err(e) => return fail(format!("not JSON: {e}")),
            };
            let Some(object) = value.as_object() else {
                return fail("not a JSON object".into());
            };
            let values = object
                .iter()
                .map(|(k, v)| {
                    let v = match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.trim().to_ascii_lowercase(), v)
                })
                .collect();
            return Some(Ok(Row { line, values }));
        }
    }
}

/// A reader that notes where its newlines are, so that a record's byte offset gives its line
/// (the csv crate's own line count leaves blank lines out).
struct Newlines<R> {
    inner: R,
    at: u64,
    seen: Arc<Mutex<VecDeque<u64>>>,
}

impl<R: Read> Read for Newlines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let (Ok(mut seen), Some(read)) = (self.seen.lock(), buf.get(..n)) {
            let at = self.at;
            seen.extend(
                read.iter()
                    .enumerate()
                    .filter(|(_, &b)| b == b'\n')
                    .map(|(i, _)| at + i as u64),
            );
        }
        self.at += n as u64;
        Ok(n)
    }
}

/// The line of a record starting at `offset`: one more than the newlines before it, and the
/// blank lines the csv crate skipped at its start (newlines already counted are dropped, so
/// the queue holds only the reader's buffer's).
fn line_at(seen: &Mutex<VecDeque<u64>>, counted: &mut u64, offset: u64) -> u64 {
    if let Ok(mut seen) = seen.lock() {
        while seen.front().is_some_and(|&n| n < offset) {
            seen.pop_front();
            *counted += 1;
        }
        let mut next = offset;
        while seen.front() == Some(&next) {
            seen.pop_front();
            *counted += 1;
            next += 1;
        }
    }
    *counted + 1
}

/// CSV rows, the first line naming the columns.
fn csv_rows<R: Read + 'static>(input: R) -> impl Iterator<Item = Result<Row, RowError>> {
    let seen = Arc::new(Mutex::new(VecDeque::new()));
    let input = Newlines {
        inner: input,
        at: 0,
        seen: Arc::clone(&seen),
    };
    let mut counted = 0;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(input);
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.to_ascii_lowercase()).collect(),
        Err(_) => Vec::new(),
    };
    let mut records = reader.into_records();
    std::iter::from_fn(move || {
        let record = records.next()?;
        Some(match record {
            Ok(record) => {
                let offset = record.position().map_or(0, |p| p.byte());
                let line = line_at(&seen, &mut counted, offset);
                if record.as_slice().len() as u64 > MAX_ROW_BYTES {
                    Err(RowError {
                        line,
                        reason: format!("longer than {MAX_ROW_BYTES} bytes"),
                    })
                } else {
                    let values = headers
                        .iter()
                        .cloned()
                        .zip(record.iter().map(str::to_string))
                        .collect();
                    Ok(Row { line, values })
                }
            }
            Err(e) => Err(RowError {
                line: line_at(&seen, &mut counted, e.position().map_or(0, |p| p.byte())),
                reason: e.to_string(),
            }),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &'static str) -> Vec<Result<Row, RowError>> {
        rows(std::io::Cursor::new(text.as_bytes())).collect()
    }

    #[test]
    fn csv_and_json_lines_give_the_same_rows() {
        let csv = read("Name,RA,Dec,extra\n m1 , 83.6, 22.0,x\n\nm31,10.7,41.3,y\n");
        let json = read("{\"name\":\"m1\",\"ra\":83.6,\"dec\":\"22.0\"}\n\n{\"name\":\"m31\",\"ra\":10.7,\"dec\":41.3}\n");
        assert_eq!(csv.len(), 2);
        assert_eq!(json.len(), 2);
        for (c, j) in csv.iter().zip(&json) {
            let (c, j) = (c.as_ref().unwrap(), j.as_ref().unwrap());
            for key in ["name", "ra", "dec"] {
                assert_eq!(c.get(&[key]), j.get(&[key]), "{key}");
            }
        }
        assert_eq!(csv[1].as_ref().unwrap().line, 4, "blank lines count");
        assert_eq!(json[1].as_ref().unwrap().line, 3);
    }

    #[test]
    fn bad_rows_are_errors_with_their_line() {
        let json = read("{\"name\":\"a\"}\n[1,2]\nnot json\n");
        assert!(json[0].is_ok());
        assert_eq!(json[1].as_ref().unwrap_err().line, 2);
        assert_eq!(json[2].as_ref().unwrap_err().line, 3);
    }
}
