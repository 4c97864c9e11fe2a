//! `#[native("qualname(params)")]`: declares a native function once, by its Python
//! signature and a typed Rust function, and generates everything the interpreter calls.
//!
//! ```ignore
//! /// Insert object before index.
//! #[native("list.insert($self, index, object, /)")]
//! fn insert(vm: &mut Vm, this: &ListObj, index: i64, object: Value) -> PyResult<Value> { ... }
//! ```
//!
//! The function stays as written (Rust code may call it directly). Beside it the macro
//! adds a module of the same name holding `SIG` (the signature as data), `DEF` (the
//! `NativeDef` that registration lists name: `&insert::DEF`), and the two entries the
//! VM calls: `call` binds positional and keyword arguments by the signature, `fast`
//! reads positional arguments where they lie on the caller's stack. Both extract each
//! parameter with `FromArg` (or `FromSelf` for `$self`/`$cls`), fill defaults, call the
//! function and turn its result into a value with `IntoValue`; every argument error
//! comes from the interpreter's `native` module, in CPython's wording for the style.
//!
//! The signature grammar is CPython's `__text_signature__` with a qualified name:
//! `$self` or `$cls` first for methods, `/` ends the positional-only parameters, `*`
//! starts the keyword-only ones, `*args` and `**kwargs` collect the rest, `name=default`
//! gives a default as Python shows it (`None`, `True`, `-1`, `' '`, `1.5`). A default
//! that Python shows one way and Rust writes another is `shown{rust expression}`, e.g.
//! `stop=sys.maxsize{i64::MAX}`. Parameters of type `Option<T>` must have a default:
//! with `=None` both an absent argument and None give `None`; with any other default
//! text (CPython's `<unrepresentable>`) only an absent one does.
//!
//! `message_name = "deque.rotate"` sets the name count and keyword messages use
//! when CPython's is not the bare name. `style = "..."` chooses CPython's argument-error wording (see `native::Style` in the
//! interpreter); without it the style follows from the signature.

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{format_ident, quote};
use syn::parse::{Parse, ParseStream};
use syn::{FnArg, GenericArgument, ItemFn, LitStr, PathArguments, Token, Type};

struct Attr {
    sig: LitStr,
    style: Option<LitStr>,
    /// The name CPython's count and keyword messages use when it is not the last
    /// part of the qualified name (`deque.rotate expected at most 1 argument`).
    message_name: Option<LitStr>,
}

impl Parse for Attr {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let sig: LitStr = input.parse()?;
        let mut style = None;
        let mut message_name = None;
        while input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let key: syn::Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            let val: LitStr = input.parse()?;
            match key.to_string().as_str() {
                "style" => style = Some(val),
                "message_name" => message_name = Some(val),
                other => return Err(syn::Error::new(key.span(), format!("unknown #[native] option `{other}`"))),
            }
        }
        Ok(Attr { sig, style, message_name })
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    /// `$self` or `$cls`.
    SelfParam,
    PosOnly,
    PosOrKw,
    KwOnly,
    VarArgs,
    VarKw,
}

#[derive(Debug, Clone)]
struct SigParam {
    name: String,
    kind: Kind,
    /// The default as Python shows it, and the Rust expression when given as `{...}`.
    default: Option<(String, Option<String>)>,
}

struct Sig {
    qualname: String,
    params: Vec<SigParam>,
    /// The parameter list as CPython's `__text_signature__` shows it.
    text: String,
}

/// Splits `a, b=(1, 2), c='x,y'` at top-level commas.
fn split_params(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut cur = String::new();
    let mut prev = '\0';
    for ch in s.chars() {
        match quote {
            Some(q) => {
                if ch == q && prev != '\\' {
                    quote = None;
                }
                cur.push(ch);
            }
            None => match ch {
                '\'' | '"' => {
                    quote = Some(ch);
                    cur.push(ch);
                }
                '(' | '[' | '{' | '<' => {
                    depth += 1;
                    cur.push(ch);
                }
                ')' | ']' | '}' | '>' => {
                    depth -= 1;
                    cur.push(ch);
                }
                ',' if depth == 0 => {
                    out.push(cur.trim().to_string());
                    cur.clear();
                }
                _ => cur.push(ch),
            },
        }
        prev = ch;
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

fn is_ident(s: &str) -> bool {
    let mut cs = s.chars();
    matches!(cs.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && cs.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn parse_sig(text: &str) -> Result<Sig, String> {
    let open = text.find('(').ok_or("the signature needs a parameter list: name(...)")?;
    if !text.ends_with(')') {
        return Err("the signature must end with ')'".into());
    }
    let qualname = text[..open].trim().to_string();
    if qualname.is_empty() || !qualname.split('.').all(is_ident) {
        return Err(format!("`{qualname}` is not a (dotted) name"));
    }
    let inner = &text[open + 1..text.len() - 1];
    let mut params = Vec::new();
    let mut shown = Vec::new();
    let mut state = Kind::PosOrKw;
    let mut seen_slash = false;
    for (i, p) in split_params(inner).into_iter().enumerate() {
        if p == "$self" || p == "$cls" {
            if i != 0 {
                return Err(format!("{p} must come first"));
            }
            params.push(SigParam { name: p[1..].to_string(), kind: Kind::SelfParam, default: None });
            shown.push(p);
            continue;
        }
        if p == "/" {
            if seen_slash || state != Kind::PosOrKw {
                return Err("misplaced '/'".into());
            }
            seen_slash = true;
            for q in params.iter_mut() {
                if q.kind == Kind::PosOrKw {
                    q.kind = Kind::PosOnly;
                }
            }
            shown.push(p);
            continue;
        }
        if p == "*" {
            if state != Kind::PosOrKw {
                return Err("misplaced '*'".into());
            }
            state = Kind::KwOnly;
            shown.push(p);
            continue;
        }
        if let Some(name) = p.strip_prefix("**") {
            if !is_ident(name) {
                return Err(format!("bad parameter `{p}`"));
            }
            params.push(SigParam { name: name.to_string(), kind: Kind::VarKw, default: None });
            shown.push(p);
            continue;
        }
        if let Some(name) = p.strip_prefix('*') {
            if !is_ident(name) || state != Kind::PosOrKw {
                return Err(format!("bad or misplaced parameter `{p}`"));
            }
            params.push(SigParam { name: name.to_string(), kind: Kind::VarArgs, default: None });
            state = Kind::KwOnly;
            shown.push(p);
            continue;
        }
        if params.iter().any(|q| q.kind == Kind::VarKw) {
            return Err("nothing may follow **kwargs".into());
        }
        let (name, default) = match p.find('=') {
            Some(eq) => {
                let name = p[..eq].trim().to_string();
                let d = p[eq + 1..].trim().to_string();
                // `shown{rust}`: Python's text, then the Rust expression.
                let parsed = match (d.find('{'), d.ends_with('}')) {
                    (Some(b), true) if b > 0 => (d[..b].trim().to_string(), Some(d[b + 1..d.len() - 1].to_string())),
                    _ => (d, None),
                };
                (name, Some(parsed))
            }
            None => (p.clone(), None),
        };
        if !is_ident(&name) {
            return Err(format!("bad parameter `{p}`"));
        }
        if state == Kind::PosOrKw
            && default.is_none()
            && params.iter().any(|q| q.kind == Kind::PosOrKw && q.default.is_some())
        {
            return Err(format!("parameter `{name}` without a default follows one with a default"));
        }
        shown.push(match &default {
            Some((d, _)) => format!("{name}={d}"),
            None => name.clone(),
        });
        params.push(SigParam { name, kind: state.clone(), default });
    }
    // Positional-only parameters before `/` may also not have a default before one
    // without: checked above for PosOrKw, which they were when parsed.
    Ok(Sig { qualname, params, text: format!("({})", shown.join(", ")) })
}

/// The last path segment of a type, with its generic arguments.
fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        _ => None,
    }
}

fn type_named(ty: &Type, name: &str) -> bool {
    last_segment(ty).is_some_and(|s| s.ident == name && matches!(s.arguments, PathArguments::None))
}

/// `&Value`.
fn is_value_ref(ty: &Type) -> bool {
    matches!(ty, Type::Reference(r) if r.mutability.is_none() && type_named(&r.elem, "Value"))
}

/// `T` of `Option<T>`.
fn option_inner(ty: &Type) -> Option<&Type> {
    let seg = last_segment(ty)?;
    if seg.ident != "Option" {
        return None;
    }
    match &seg.arguments {
        PathArguments::AngleBracketed(a) if a.args.len() == 1 => match a.args.first() {
            Some(GenericArgument::Type(t)) => Some(t),
            _ => None,
        },
        _ => None,
    }
}

/// The Rust expression for a default shown as `text`, for a parameter of type `ty`.
fn default_expr(text: &str, rust: &Option<String>, ty: &Type, span: Span) -> syn::Result<TokenStream2> {
    if let Some(r) = rust {
        return syn::parse_str::<syn::Expr>(r)
            .map(|e| quote!(#e))
            .map_err(|e| syn::Error::new(span, format!("bad Rust default `{r}`: {e}")));
    }
    let is_value = type_named(ty, "Value");
    let is_string = type_named(ty, "String");
    let v = quote!(::conc_interpreter::Value);
    let t = text.trim();
    if t == "None" {
        if is_value {
            return Ok(quote!(#v::None));
        }
        if is_value_ref(ty) {
            return Ok(quote!({
                static NONE: ::conc_interpreter::Value = ::conc_interpreter::Value::None;
                &NONE
            }));
        }
        return Err(syn::Error::new(span, "default None needs a parameter of type Value or Option<T>"));
    }
    // Literals reach the parameter's type through `Into`, so newtypes such as
    // `IntFlag` or `SliceIndex` take Python's defaults as they are shown.
    let into = |lit: TokenStream2| quote!(::core::convert::Into::<#ty>::into(#lit));
    if t == "True" || t == "False" {
        let b = t == "True";
        return Ok(if is_value { quote!(#v::Bool(#b)) } else { into(quote!(#b)) });
    }
    if (t.starts_with('\'') && t.ends_with('\'') || t.starts_with('"') && t.ends_with('"')) && t.len() >= 2 {
        let body = &t[1..t.len() - 1];
        let mut s = String::new();
        let mut chars = body.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('n') => s.push('\n'),
                    Some('t') => s.push('\t'),
                    Some('r') => s.push('\r'),
                    Some('0') => s.push('\0'),
                    Some(o) => s.push(o),
                    None => s.push('\\'),
                }
            } else {
                s.push(c);
            }
        }
        return Ok(if is_value {
            quote!(#v::str(#s))
        } else if is_string {
            quote!(::std::string::String::from(#s))
        } else {
            into(quote!(#s))
        });
    }
    let lit: syn::Expr = syn::parse_str(t)
        .map_err(|_| syn::Error::new(span, format!("default `{t}` needs its Rust value: write `{t}{{expr}}`")))?;
    let is_float = t.contains('.') || t.contains('e') || t.contains("inf");
    let typed = if is_float { quote!((#lit as f64)) } else { quote!((#lit as i64)) };
    Ok(if is_value {
        if is_float {
            quote!(#v::Float #typed)
        } else {
            quote!(#v::Int #typed)
        }
    } else {
        into(typed)
    })
}

fn style_tokens(style: &Option<LitStr>, sig: &Sig) -> syn::Result<TokenStream2> {
    let s = quote!(::conc_interpreter::native::Style);
    let name = match style {
        Some(l) => l.value(),
        None => {
            let regular: Vec<&SigParam> = sig
                .params
                .iter()
                .filter(|p| {
                    matches!(p.kind, Kind::PosOnly | Kind::PosOrKw | Kind::KwOnly | Kind::VarArgs | Kind::VarKw)
                })
                .collect();
            let kw_capable = regular.iter().any(|p| matches!(p.kind, Kind::PosOrKw | Kind::KwOnly | Kind::VarKw));
            if regular.is_empty() {
                "noargs".into()
            } else if regular.len() == 1 && regular[0].kind == Kind::PosOnly && regular[0].default.is_none() {
                "o".into()
            } else if !kw_capable {
                "positional".into()
            } else {
                "keywords".into()
            }
        }
    };
    Ok(match name.as_str() {
        "o" => quote!(#s::O),
        "noargs" => quote!(#s::NoArgs),
        "positional" => quote!(#s::Positional),
        "keywords" => quote!(#s::Keywords),
        "tuple" => quote!(#s::ParseTuple),
        "python" => quote!(#s::Python),
        "slot" => quote!(#s::Slot),
        "slot_spaced" => quote!(#s::SlotSpaced),
        other => {
            let span = style.as_ref().map(|l| l.span()).unwrap_or_else(Span::call_site);
            return Err(syn::Error::new(
                span,
                format!("unknown style `{other}` (o, noargs, positional, keywords, tuple, python, slot, slot_spaced)"),
            ));
        }
    })
}

#[proc_macro_attribute]
pub fn native(attr: TokenStream, item: TokenStream) -> TokenStream {
    let attr = syn::parse_macro_input!(attr as Attr);
    let func = syn::parse_macro_input!(item as ItemFn);
    match expand(attr, func) {
        Ok(t) => t.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

fn expand(attr: Attr, func: ItemFn) -> syn::Result<TokenStream2> {
    let sig = parse_sig(&attr.sig.value()).map_err(|m| syn::Error::new(attr.sig.span(), m))?;
    let style = style_tokens(&attr.style, &sig)?;
    let fname = &func.sig.ident;
    let vis = &func.vis;
    let mut inputs = func.sig.inputs.iter();
    match inputs.next() {
        Some(FnArg::Typed(_)) => {}
        _ => return Err(syn::Error::new_spanned(&func.sig, "a native takes `vm: &mut Vm` first")),
    }
    let rust_params: Vec<&syn::PatType> = inputs
        .map(|a| match a {
            FnArg::Typed(p) => Ok(p),
            FnArg::Receiver(r) => Err(syn::Error::new_spanned(r, "natives are free functions")),
        })
        .collect::<syn::Result<_>>()?;
    if rust_params.len() != sig.params.len() {
        return Err(syn::Error::new_spanned(
            &func.sig,
            format!(
                "the signature has {} parameters ({}) but the function takes {} after the VM",
                sig.params.len(),
                sig.params.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", "),
                rust_params.len()
            ),
        ));
    }
    let doc: String = func
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .map(|l| l.strip_prefix(' ').map(str::to_string).unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");

    let has_self = sig.params.first().is_some_and(|p| p.kind == Kind::SelfParam);
    let self_name = if has_self { sig.params[0].name.clone() } else { String::new() };
    let regular: Vec<(usize, &SigParam)> = sig
        .params
        .iter()
        .enumerate()
        .filter(|(_, p)| matches!(p.kind, Kind::PosOnly | Kind::PosOrKw | Kind::KwOnly))
        .collect();
    let n = regular.len();
    let npos_only = regular.iter().filter(|(_, p)| p.kind == Kind::PosOnly).count();
    let npos = regular.iter().filter(|(_, p)| matches!(p.kind, Kind::PosOnly | Kind::PosOrKw)).count();
    let nreq_pos =
        regular.iter().filter(|(_, p)| matches!(p.kind, Kind::PosOnly | Kind::PosOrKw) && p.default.is_none()).count();
    let has_req_kwonly = regular.iter().any(|(_, p)| p.kind == Kind::KwOnly && p.default.is_none());
    let varargs = sig.params.iter().any(|p| p.kind == Kind::VarArgs);
    let varkw = sig.params.iter().any(|p| p.kind == Kind::VarKw);
    let qualname = &sig.qualname;
    let short = sig.qualname.rsplit('.').next().unwrap_or(&sig.qualname).to_string();
    // Constructors are named by their type in CPython's messages (`deque() takes at
    // most 2 arguments`, `list expected at most 1 argument, got 2`).
    let type_name = match sig.qualname.rsplit_once('.') {
        Some((ty, "__new__" | "__init__")) => ty.rsplit('.').next().map(str::to_string),
        _ => None,
    };
    let message_name = attr.message_name.as_ref().map(|l| l.value()).or(type_name).unwrap_or_else(|| short.clone());
    let text = &sig.text;
    let param_defs = regular.iter().map(|(_, p)| {
        let name = &p.name;
        let required = p.default.is_none();
        quote!(::conc_interpreter::native::Param { name: #name, required: #required })
    });

    // One `let` per Rust parameter, in order.
    let mut lets = Vec::new();
    let mut call_args = Vec::new();
    for (k, (sp, rp)) in sig.params.iter().zip(rust_params.iter()).enumerate() {
        let ty = &*rp.ty;
        let var = format_ident!("__a{}", k);
        let span = syn::spanned::Spanned::span(&rp.ty);
        let stmt = match sp.kind {
            Kind::SelfParam => {
                quote!(let #var: #ty = <#ty as ::conc_interpreter::native::FromSelf<'_>>::from_self(vm, __this, &SIG, b)?;)
            }
            Kind::VarArgs => quote!(let #var: #ty = __rest;),
            Kind::VarKw => quote!(let #var: #ty = __kwrest;),
            _ => {
                let slot = regular.iter().position(|(i, _)| *i == k).unwrap();
                let at = quote!(::conc_interpreter::native::ArgRef { sig: &SIG, index: #slot });
                match (option_inner(ty), &sp.default) {
                    (Some(inner), Some((d, _))) => {
                        let none_is_default = d.trim() == "None";
                        let none_arm = if none_is_default {
                            quote!(::core::option::Option::Some(v) if v.is_none() => ::core::option::Option::None,)
                        } else {
                            quote!()
                        };
                        quote!(let #var: #ty = match __slots[#slot] {
                            #none_arm
                            ::core::option::Option::Some(v) => ::core::option::Option::Some(
                                <#inner as ::conc_interpreter::native::FromArg<'_>>::from_arg(vm, v, #at)?),
                            ::core::option::Option::None => ::core::option::Option::None,
                        };)
                    }
                    (Some(_), None) => {
                        return Err(syn::Error::new(
                            span,
                            format!("parameter `{}` is an Option but has no default", sp.name),
                        ))
                    }
                    (None, Some((d, rust))) => {
                        let dflt = default_expr(d, rust, ty, span)?;
                        quote!(let #var: #ty = match __slots[#slot] {
                            ::core::option::Option::Some(v) => <#ty as ::conc_interpreter::native::FromArg<'_>>::from_arg(vm, v, #at)?,
                            ::core::option::Option::None => #dflt,
                        };)
                    }
                    (None, None) => quote!(let #var: #ty = match __slots[#slot] {
                        ::core::option::Option::Some(v) => <#ty as ::conc_interpreter::native::FromArg<'_>>::from_arg(vm, v, #at)?,
                        ::core::option::Option::None => return ::core::result::Result::Err(::conc_interpreter::native::unbound(vm, &SIG)),
                    };),
                }
            }
        };
        lets.push(stmt);
        call_args.push(var);
    }

    let split_self = if has_self {
        quote!(let (__this, __pos) = ::conc_interpreter::native::split_self(vm, b, &SIG, __all)?;)
    } else {
        quote!(let (__this, __pos) = (&::conc_interpreter::Value::None, __all);)
    };
    let fast_ok = if varargs {
        quote!(__pos.len() >= #nreq_pos && !#has_req_kwonly)
    } else {
        quote!(__pos.len() >= #nreq_pos && __pos.len() <= #npos && !#has_req_kwonly)
    };
    let this_unused = if has_self { quote!() } else { quote!(let _ = __this;) };

    Ok(quote! {
        #func

        #[doc(hidden)]
        #[allow(non_snake_case, unused_imports, unused_variables, clippy::all)]
        #vis mod #fname {
            use super::*;

            pub static SIG: ::conc_interpreter::native::Signature = ::conc_interpreter::native::Signature {
                qualname: #qualname,
                name: #short,
                message_name: #message_name,
                text: #text,
                self_name: #self_name,
                params: &[#(#param_defs),*],
                npos_only: #npos_only,
                npos: #npos,
                nrequired_pos: #nreq_pos,
                varargs: #varargs,
                varkw: #varkw,
                style: #style,
            };

            pub static DEF: ::conc_interpreter::native::NativeDef = ::conc_interpreter::native::NativeDef {
                sig: &SIG,
                call,
                fast,
                doc: #doc,
            };

            #[inline(always)]
            fn run<'a>(
                vm: &mut ::conc_interpreter::Vm,
                b: &::conc_interpreter::value::function::BuiltinObj,
                __this: &'a ::conc_interpreter::Value,
                __slots: [::core::option::Option<&'a ::conc_interpreter::Value>; #n],
                __rest: &'a [::conc_interpreter::Value],
                __kwrest: ::conc_interpreter::native::KwArgs,
            ) -> ::conc_interpreter::PyResult<::conc_interpreter::Value> {
                #this_unused
                let _ = b;
                #(#lets)*
                super::#fname(vm, #(#call_args),*).map(::conc_interpreter::native::IntoValue::into_value)
            }

            fn call(
                vm: &mut ::conc_interpreter::Vm,
                b: &::conc_interpreter::value::function::BuiltinObj,
                args: ::conc_interpreter::Args,
            ) -> ::conc_interpreter::PyResult<::conc_interpreter::Value> {
                let __all: &[::conc_interpreter::Value] = &args.pos;
                #split_self
                let __b = SIG.bind::<#n>(vm, b, __pos, &args.kw)?;
                run(vm, b, __this, __b.slots, __b.rest, __b.kwrest)
            }

            fn fast(
                vm: &mut ::conc_interpreter::Vm,
                b: &::conc_interpreter::value::function::BuiltinObj,
                __all: &[::conc_interpreter::Value],
            ) -> ::conc_interpreter::PyResult<::conc_interpreter::Value> {
                #split_self
                if #fast_ok {
                    let mut __slots = [::core::option::Option::None; #n];
                    let __k = __pos.len().min(#npos);
                    for (s, v) in __slots.iter_mut().zip(&__pos[..__k]) {
                        *s = ::core::option::Option::Some(v);
                    }
                    return run(vm, b, __this, __slots, &__pos[__k..], ::std::vec::Vec::new());
                }
                let __b = SIG.bind::<#n>(vm, b, __pos, &[])?;
                run(vm, b, __this, __b.slots, __b.rest, __b.kwrest)
            }
        }
    })
}
