//! `is_incomplete` tells the REPL whether to ask for another line.

use conc_grammar::is_incomplete;

#[test]
fn unfinished_input_is_incomplete() {
    for src in [
        "if x:",
        "if x:\n",
        "for i in y:\n",
        "class A:\n",
        "def f():\n    if x:\n",
        "if x:\n    pass\nelse:\n",
        "x = (",
        "x = [1,\n 2,\n",
        "f(a,",
        "s = \"\"\"abc",
        "s = '''abc\n\ndef",
        "x = 1 + \\",
        "@decorator\n",
    ] {
        assert!(is_incomplete(src), "should be incomplete: {src:?}");
    }
}

#[test]
fn complete_or_wrong_input_is_not_incomplete() {
    for src in ["x = 1", "def f():\n    return 1\n", "x = )", "x = 1 +", "if x\n", "s = 'abc", "x = 1 $", "print 'x'"] {
        assert!(!is_incomplete(src), "should not be incomplete: {src:?}");
    }
}
