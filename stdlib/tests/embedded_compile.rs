//! Every module written in conc that ships in the binary parses and compiles: a syntax
//! error in a rarely imported module is caught here, not by the first script that
//! imports it.

use conc_interpreter::compiler::{compile, Mode};
use conc_interpreter::value::module::ModuleObj;

#[test]
fn every_embedded_module_compiles() {
    let modules = conc_stdlib::embedded();
    assert!(modules.iter().any(|m| m.name == "threading"), "the list is generated from stdlib/lib");
    let mut failures = Vec::new();
    for m in modules {
        let file = format!("<conc-stdlib>/{}", m.path);
        let ast = match conc_grammar::parse(m.source, &file) {
            Ok(ast) => ast,
            Err(e) => {
                failures.push(format!("{}: syntax error: {e:?}", m.path));
                continue;
            }
        };
        let module = Box::leak(Box::new(ModuleObj::new(m.name, Some(file.clone()))));
        if let Err(e) =
            compile(&ast, &file, m.source, module, Mode::Exec, conc_interpreter::compiler::Lifetime::RunTime(None))
        {
            failures.push(format!("{}: {}", m.path, e.message));
        }
    }
    assert!(failures.is_empty(), "embedded modules that do not compile:\n{}", failures.join("\n"));
}

#[test]
fn packages_and_modules_are_named_by_their_paths() {
    let modules = conc_stdlib::embedded();
    let find = |name: &str| modules.iter().find(|m| m.name == name).unwrap_or_else(|| panic!("{name} missing"));
    assert!(find("concurrent.futures").is_package);
    assert_eq!(find("concurrent.futures").path, "concurrent/futures/__init__.conc");
    assert!(!find("concurrent.futures.thread").is_package);
    assert!(find("urllib").is_package);
    assert!(!find("urllib.request").is_package);
}
