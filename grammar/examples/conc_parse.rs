//! Developer tool: `cargo run -p conc-grammar --example conc_parse -- [--tokens|--ast] FILE...`
//! parses each file and prints its syntax error (as `conc check` does), its tokens or
//! its AST.

fn main() {
    let mut mode = "check";
    let mut status = 0;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--tokens" => mode = "tokens",
            "--ast" => mode = "ast",
            file => {
                let source = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{file}: {e}"));
                match mode {
                    "tokens" => {
                        let lexed =
                            conc_grammar::lexer::tokenize(&source, 0, source.len(), conc_grammar::lexer::Mode::Module);
                        for (l, t, r) in &lexed.tokens {
                            println!("{l}..{r} {t:?}");
                        }
                        if let Some(e) = lexed.error {
                            println!("error: {}", e.summary());
                        }
                    }
                    _ => match conc_grammar::parse(&source, file) {
                        Ok(m) => {
                            if mode == "ast" {
                                println!("{m:#?}");
                            }
                        }
                        Err(e) => {
                            eprint!("{}", conc_grammar::render(&e, &source, file));
                            status = 1;
                        }
                    },
                }
            }
        }
    }
    std::process::exit(status);
}
