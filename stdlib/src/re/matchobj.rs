//! `re.Match`: the spans of one match, sliced out of the subject on demand.

use super::engine::UNSET;
use super::pattern::{expand_into, parse_template, PatternData};
use super::subject::{Out, Subject};
use conc_interpreter::native::{native, Exc, NativeClass, NativePayload, Property};
use conc_interpreter::value::dict::{DictData, DictObj};
use conc_interpreter::{Object, PyResult, Value, Vm};

pub struct MatchData {
    /// The Pattern object.
    pub pattern: Value,
    pub string: Value,
    pub subject: Subject,
    /// Two per group, group 0 first; `UNSET` for a group that did not take part.
    pub slots: Vec<usize>,
    pub last: usize,
    pub pos: usize,
    pub endpos: usize,
}

impl NativePayload for MatchData {
    const CLASS: &'static NativeClass = &MATCH;
}

pub static MATCH: NativeClass = NativeClass {
    name: "Match",
    module: "re",
    doc: "The result of re.match() and re.search().\nMatch objects always have a boolean value of True.",
    methods: &[
        &group::DEF,
        &m_getitem::DEF,
        &groups::DEF,
        &groupdict::DEF,
        &start::DEF,
        &end::DEF,
        &span::DEF,
        &expand::DEF,
        &m_repr::DEF,
        &m_copy::DEF,
        &m_deepcopy::DEF,
    ],
    properties: &[
        Property { name: "pos", get: &pos::DEF, set: None },
        Property { name: "endpos", get: &endpos::DEF, set: None },
        Property { name: "lastindex", get: &lastindex::DEF, set: None },
        Property { name: "lastgroup", get: &lastgroup::DEF, set: None },
        Property { name: "re", get: &re::DEF, set: None },
        Property { name: "string", get: &string::DEF, set: None },
        Property { name: "regs", get: &regs::DEF, set: None },
    ],
    hashable: true,
    ..NativeClass::DEFAULT
};

pub fn new_match(m: MatchData) -> Value {
    MATCH.instance(m)
}

impl MatchData {
    fn pattern(&self) -> &PatternData {
        self.pattern.as_instance().and_then(|i| i.native::<PatternData>()).expect("a Match holds its Pattern")
    }

    fn groups(&self) -> usize {
        self.slots.len() / 2 - 1
    }

    /// The group number named by `g` (an int or a group name).
    fn index(&self, vm: &mut Vm, g: &Value) -> PyResult<usize> {
        let n = match g {
            Value::Int(i) => Some(*i),
            Value::Bool(b) => Some(*b as i64),
            _ => match g.as_str() {
                Some(name) => {
                    let name = name.as_str();
                    self.pattern().names.iter().find(|(n, _)| n == name).map(|(_, i)| *i as i64)
                }
                None => None,
            },
        };
        match n {
            Some(i) if i >= 0 && (i as usize) <= self.groups() => Ok(i as usize),
            _ => Err(vm.error(Exc::IndexError, "no such group")),
        }
    }

    fn span_of(&self, g: usize) -> Option<(usize, usize)> {
        let (s, e) = (self.slots[2 * g], self.slots[2 * g + 1]);
        if s == UNSET || e == UNSET {
            None
        } else {
            Some((s, e))
        }
    }

    fn value(&self, g: usize, default: &Value) -> Value {
        match self.span_of(g) {
            Some((s, e)) => self.subject.slice(s, e),
            None => default.clone(),
        }
    }
}

/// group([group1, ...]) -> str or tuple.
///     Return subgroup(s) of the match by indices or names.
///     For 0 returns the entire match.
#[native("Match.group($self, *args)")]
fn group(vm: &mut Vm, this: &MatchData, args: &[Value]) -> PyResult<Value> {
    match args.len() {
        0 => Ok(this.value(0, &Value::None)),
        1 => {
            let g = this.index(vm, &args[0])?;
            Ok(this.value(g, &Value::None))
        }
        _ => {
            let mut out = Vec::with_capacity(args.len());
            for a in args {
                let g = this.index(vm, a)?;
                out.push(this.value(g, &Value::None));
            }
            Ok(Value::tuple(out))
        }
    }
}

/// Return self[key].
#[native("Match.__getitem__($self, key, /)", style = "slot")]
fn m_getitem(vm: &mut Vm, this: &MatchData, key: Value) -> PyResult<Value> {
    let g = this.index(vm, &key)?;
    Ok(this.value(g, &Value::None))
}

/// Return a tuple containing all the subgroups of the match, from 1.
///
///   default
///     Is used for groups that did not participate in the match.
#[native("Match.groups($self, /, default=None)")]
fn groups(_vm: &mut Vm, this: &MatchData, default: Value) -> PyResult<Value> {
    Ok(Value::tuple((1..=this.groups()).map(|g| this.value(g, &default)).collect()))
}

/// Return a dictionary containing all the named subgroups of the match, keyed by the subgroup name.
///
///   default
///     Is used for groups that did not participate in the match.
#[native("Match.groupdict($self, /, default=None)")]
fn groupdict(vm: &mut Vm, this: &MatchData, default: Value) -> PyResult<Value> {
    let d = Value::new(Object::Dict(DictObj::new(DictData::new())));
    for (name, g) in &this.pattern().names {
        let v = this.value(*g, &default);
        vm.dict_set(&d, Value::str(name), v)?;
    }
    Ok(d)
}

fn group_arg(vm: &mut Vm, this: &MatchData, g: Option<Value>) -> PyResult<usize> {
    match g {
        None => Ok(0),
        Some(g) => this.index(vm, &g),
    }
}

/// Return index of the start of the substring matched by group.
#[native("Match.start($self, group=0, /)")]
fn start(vm: &mut Vm, this: &MatchData, group: Option<Value>) -> PyResult<i64> {
    let g = group_arg(vm, this, group)?;
    Ok(this.span_of(g).map_or(-1, |(s, _)| s as i64))
}

/// Return index of the end of the substring matched by group.
#[native("Match.end($self, group=0, /)")]
fn end(vm: &mut Vm, this: &MatchData, group: Option<Value>) -> PyResult<i64> {
    let g = group_arg(vm, this, group)?;
    Ok(this.span_of(g).map_or(-1, |(_, e)| e as i64))
}

fn span_value(sp: Option<(usize, usize)>) -> Value {
    let (s, e) = sp.map_or((-1, -1), |(s, e)| (s as i64, e as i64));
    Value::tuple(vec![Value::Int(s), Value::Int(e)])
}

/// For match object m, return the 2-tuple (m.start(group), m.end(group)).
#[native("Match.span($self, group=0, /)")]
fn span(vm: &mut Vm, this: &MatchData, group: Option<Value>) -> PyResult<Value> {
    let g = group_arg(vm, this, group)?;
    Ok(span_value(this.span_of(g)))
}

/// Return the string obtained by doing backslash substitution on the string template, as done by the sub() method.
#[native("Match.expand($self, /, template)")]
fn expand(vm: &mut Vm, this: &MatchData, template: Value) -> PyResult<Value> {
    let p = this.pattern();
    let pieces = parse_template(vm, p, &template)?;
    let mut out = if p.bytes { Out::Bytes(Vec::new()) } else { Out::Str(String::new()) };
    expand_into(&mut out, &pieces, &this.subject, &this.slots);
    Ok(out.into_value())
}

/// Return repr(self).
#[native("Match.__repr__($self, /)", style = "slot")]
fn m_repr(vm: &mut Vm, this: &MatchData) -> PyResult<String> {
    let (s, e) = this.span_of(0).unwrap_or((0, 0));
    let text = this.value(0, &Value::None);
    let r = vm.repr_of(&text)?;
    // CPython shows at most 50 characters of the matched text's repr.
    let r: String = if r.chars().count() > 50 { r.chars().take(50).collect() } else { r };
    Ok(format!("<re.Match object; span=({s}, {e}), match={r}>"))
}

#[native("Match.__copy__($self, /)")]
fn m_copy(_vm: &mut Vm, this: (&Value, &MatchData)) -> PyResult<Value> {
    Ok(this.0.clone())
}

#[native("Match.__deepcopy__($self, memo, /)")]
fn m_deepcopy(_vm: &mut Vm, this: (&Value, &MatchData), _memo: Value) -> PyResult<Value> {
    Ok(this.0.clone())
}

/// The index into the string at which the RE engine started looking for a match.
#[native("Match.pos($self)")]
fn pos(_vm: &mut Vm, this: &MatchData) -> PyResult<usize> {
    Ok(this.pos)
}

/// The index into the string beyond which the RE engine will not go.
#[native("Match.endpos($self)")]
fn endpos(_vm: &mut Vm, this: &MatchData) -> PyResult<usize> {
    Ok(this.endpos)
}

/// The integer index of the last matched capturing group.
#[native("Match.lastindex($self)")]
fn lastindex(_vm: &mut Vm, this: &MatchData) -> PyResult<Option<usize>> {
    Ok(if this.last == 0 { None } else { Some(this.last) })
}

/// The name of the last matched capturing group.
#[native("Match.lastgroup($self)")]
fn lastgroup(_vm: &mut Vm, this: &MatchData) -> PyResult<Value> {
    if this.last == 0 {
        return Ok(Value::None);
    }
    Ok(match this.pattern().names.iter().find(|(_, g)| *g == this.last) {
        Some((n, _)) => Value::str(n),
        None => Value::None,
    })
}

/// The regular expression object.
#[native("Match.re($self)")]
fn re(_vm: &mut Vm, this: &MatchData) -> PyResult<Value> {
    Ok(this.pattern.clone())
}

/// The string passed to match() or search().
#[native("Match.string($self)")]
fn string(_vm: &mut Vm, this: &MatchData) -> PyResult<Value> {
    Ok(this.string.clone())
}

#[native("Match.regs($self)")]
fn regs(_vm: &mut Vm, this: &MatchData) -> PyResult<Value> {
    Ok(Value::tuple((0..=this.groups()).map(|g| span_value(this.span_of(g))).collect()))
}
