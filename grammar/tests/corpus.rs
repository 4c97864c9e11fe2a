//! Every script of the corpus (copied from the conformance seeds and the benchmarks)
//! must parse.

use std::path::Path;

#[test]
fn every_corpus_file_parses() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/corpus");
    let mut count = 0;
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("corpus directory") {
        let path = entry.expect("directory entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("conc") {
            continue;
        }
        count += 1;
        let source = std::fs::read_to_string(&path).expect("readable corpus file");
        let name = path.display().to_string();
        if let Err(e) = conc_grammar::parse(&source, &name) {
            failures.push(conc_grammar::render(&e, &source, &name));
        }
    }
    assert!(count >= 40, "the corpus should hold the seeds and benchmarks, found {count} files");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
