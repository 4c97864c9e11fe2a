//! The wording of CPython's argument errors, one function per message. The binder of
//! natives (`bind.rs`) and the binder of functions written in conc (`vm/call.rs`)
//! both take their text from here.

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `f() takes no keyword arguments`.
pub fn no_keywords(name: &str) -> String {
    format!("{name}() takes no keyword arguments")
}

/// `len() takes exactly one argument (2 given)`.
pub fn exactly_one(qualname: &str, given: usize) -> String {
    format!("{qualname}() takes exactly one argument ({given} given)")
}

/// `list.copy() takes no arguments (1 given)`.
pub fn no_arguments(qualname: &str, given: usize) -> String {
    format!("{qualname}() takes no arguments ({given} given)")
}

/// `insert expected 2 arguments, got 1`, `pop expected at most 1 argument, got 2`.
pub fn expected_count(name: &str, min: usize, max: Option<usize>, given: usize) -> String {
    let (bound, n) = match max {
        Some(m) if given > m => (if min == m { "" } else { "at most " }, m),
        _ => (if Some(min) == max { "" } else { "at least " }, min),
    };
    format!("{name} expected {bound}{n} argument{}, got {given}", plural(n))
}

/// A slot wrapper's count: `expected 1 argument, got 0`.
pub fn wrapper_count(expected: usize, given: usize) -> String {
    format!("expected {expected} argument{}, got {given}", plural(expected))
}

/// `wrapper __len__() takes no keyword arguments`.
pub fn wrapper_no_keywords(name: &str) -> String {
    format!("wrapper {name}() takes no keyword arguments")
}

/// The older tuple parser: `startswith() takes at least 1 argument (0 given)`.
pub fn takes_count(name: &str, min: usize, max: Option<usize>, given: usize) -> String {
    let (bound, n) = match max {
        Some(m) if given > m => (if min == m { "exactly" } else { "at most" }, m),
        _ => (if Some(min) == max { "exactly" } else { "at least" }, min),
    };
    format!("{name}() takes {bound} {n} argument{} ({given} given)", plural(n))
}

/// Too many arguments in all: `pow() takes at most 3 arguments (4 given)`, or
/// `sort() takes at most 2 keyword arguments (3 given)` when none is positional.
pub fn too_many_total(name: &str, max: usize, keyword_only: bool, given: usize) -> String {
    let kind = if keyword_only { "keyword " } else { "" };
    format!("{name}() takes at most {max} {kind}argument{} ({given} given)", plural(max))
}

/// Too many positional arguments for a function with keyword parameters:
/// `isclose() takes exactly 2 positional arguments (3 given)`,
/// `to_bytes() takes at most 2 positional arguments (3 given)`,
/// `sort() takes no positional arguments`.
pub fn too_many_positional(name: &str, min: usize, max: usize, given: usize) -> String {
    if max == 0 {
        return format!("{name}() takes no positional arguments");
    }
    let bound = if min == max { "exactly" } else { "at most" };
    format!("{name}() takes {bound} {max} positional argument{} ({given} given)", plural(max))
}

/// Missing positional-only arguments of a function with keyword parameters:
/// `sum() takes at least 1 positional argument (0 given)`.
pub fn too_few_positional(name: &str, min: usize, max: usize, given: usize) -> String {
    let bound = if min == max { "exactly" } else { "at least" };
    format!("{name}() takes {bound} {min} positional argument{} ({given} given)", plural(min))
}

/// `pow() missing required argument 'exp' (pos 2)`.
pub fn missing_required(name: &str, param: &str, pos: Option<usize>) -> String {
    match pos {
        Some(p) => format!("{name}() missing required argument '{param}' (pos {p})"),
        None => format!("{name}() missing required keyword-only argument '{param}'"),
    }
}

/// `'reversed' is an invalid keyword argument for sort()`.
pub fn invalid_keyword(name: &str, keyword: &str) -> String {
    format!("'{keyword}' is an invalid keyword argument for {name}()")
}

/// `argument for pow() given by name ('base') and position (1)`.
pub fn given_twice(name: &str, keyword: &str, pos: usize) -> String {
    format!("argument for {name}() given by name ('{keyword}') and position ({pos})")
}

// Functions written in Python (and natives that CPython writes in Python).

/// `f() takes 3 positional arguments but 4 were given`, with `from 1 to 3` when some
/// have defaults and the count of keyword-only arguments given, if any.
pub fn py_too_many_positional(qualname: &str, min: usize, max: usize, given: usize, given_kwonly: usize) -> String {
    let takes = if min < max {
        format!("from {min} to {max} positional arguments")
    } else {
        format!("{max} positional argument{}", plural(max))
    };
    if given_kwonly > 0 {
        format!(
            "{qualname}() takes {takes} but {given} positional argument{} (and {given_kwonly} keyword-only argument{}) were given",
            plural(given),
            plural(given_kwonly)
        )
    } else {
        let was = if given == 1 { "was" } else { "were" };
        format!("{qualname}() takes {takes} but {given} {was} given")
    }
}

/// `f() missing 2 required positional arguments: 'b' and 'c'` (`kind` is `positional`
/// or `keyword-only`).
pub fn py_missing(qualname: &str, missing: &[&str], kind: &str) -> String {
    let quoted: Vec<String> = missing.iter().map(|m| format!("'{m}'")).collect();
    let list = match quoted.len() {
        1 => quoted[0].clone(),
        2 => format!("{} and {}", quoted[0], quoted[1]),
        n => format!("{}, and {}", quoted[..n - 1].join(", "), quoted[n - 1]),
    };
    format!("{qualname}() missing {} required {kind} argument{}: {list}", missing.len(), plural(missing.len()))
}

/// `f() got an unexpected keyword argument 'x'`.
pub fn py_unexpected_keyword(qualname: &str, keyword: &str) -> String {
    format!("{qualname}() got an unexpected keyword argument '{keyword}'")
}

/// `f() got multiple values for argument 'a'`.
pub fn py_multiple_values(qualname: &str, param: &str) -> String {
    format!("{qualname}() got multiple values for argument '{param}'")
}

/// `f() got some positional-only arguments passed as keyword arguments: 'a, b'`.
pub fn py_positional_only_as_keyword(qualname: &str, names: &[&str]) -> String {
    format!("{qualname}() got some positional-only arguments passed as keyword arguments: '{}'", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    // The texts python3 prints for these calls.
    #[test]
    fn counts_read_as_cpython_prints_them() {
        assert_eq!(expected_count("insert", 2, Some(2), 1), "insert expected 2 arguments, got 1");
        assert_eq!(expected_count("pop", 0, Some(1), 2), "pop expected at most 1 argument, got 2");
        assert_eq!(expected_count("getattr", 2, Some(3), 1), "getattr expected at least 2 arguments, got 1");
        assert_eq!(expected_count("sorted", 1, Some(1), 0), "sorted expected 1 argument, got 0");
        assert_eq!(takes_count("startswith", 1, Some(3), 0), "startswith() takes at least 1 argument (0 given)");
        assert_eq!(takes_count("kill", 2, Some(2), 1), "kill() takes exactly 2 arguments (1 given)");
        assert_eq!(takes_count("listdir", 0, Some(1), 2), "listdir() takes at most 1 argument (2 given)");
        assert_eq!(too_many_total("pow", 3, false, 4), "pow() takes at most 3 arguments (4 given)");
        assert_eq!(too_many_total("sort", 2, true, 3), "sort() takes at most 2 keyword arguments (3 given)");
        assert_eq!(too_many_positional("isclose", 2, 2, 3), "isclose() takes exactly 2 positional arguments (3 given)");
        assert_eq!(too_many_positional("sort", 0, 0, 1), "sort() takes no positional arguments");
        assert_eq!(too_few_positional("sum", 1, 2, 0), "sum() takes at least 1 positional argument (0 given)");
        assert_eq!(too_few_positional("prod", 1, 1, 0), "prod() takes exactly 1 positional argument (0 given)");
        assert_eq!(
            py_too_many_positional("C.m", 2, 3, 4, 0),
            "C.m() takes from 2 to 3 positional arguments but 4 were given"
        );
        assert_eq!(
            py_missing("f", &["a", "b", "c"], "positional"),
            "f() missing 3 required positional arguments: 'a', 'b', and 'c'"
        );
    }
}
