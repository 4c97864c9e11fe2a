//! Matching a call's arguments to a native's parameters, and CPython's TypeError for a
//! call that does not fit, in the wording of the native's [`Style`].

use super::messages as m;
use super::{KwArgs, Signature, Style};
use crate::value::function::BuiltinObj;
use crate::value::{ObjRef, Value};
use crate::vm::{PyResult, Vm};

/// The arguments of one call, by parameter: `slots[i]` is `params[i]`'s argument if
/// one was given; `rest` is what `*args` collects, `kwrest` what `**kwargs` does.
pub struct Bound<'a, const N: usize> {
    pub slots: [Option<&'a Value>; N],
    pub rest: &'a [Value],
    pub kwrest: KwArgs,
}

/// Which keyword arguments a parameter has taken (calls pass few keywords).
struct Used(Vec<bool>);

impl Signature {
    /// Binds `pos` (without `self`) and `kw` to the parameters, or raises CPython's
    /// TypeError for this signature's style. `N` is `params.len()`.
    pub fn bind<'a, const N: usize>(
        &'static self,
        vm: &mut Vm,
        b: &BuiltinObj,
        pos: &'a [Value],
        kw: &'a [(ObjRef, Value)],
    ) -> PyResult<Bound<'a, N>> {
        debug_assert_eq!(N, self.params.len());
        let r = match self.style {
            Style::Python => self.bind_python(b, pos, kw),
            _ => self.bind_c(b, pos, kw),
        };
        r.map_err(|msg| vm.type_error(&msg))
    }

    fn max_positional(&self) -> Option<usize> {
        (!self.varargs).then_some(self.npos)
    }

    fn fill_positional<'a, const N: usize>(&self, pos: &'a [Value]) -> Bound<'a, N> {
        let mut slots = [None; N];
        let k = pos.len().min(self.npos);
        for (s, v) in slots.iter_mut().zip(&pos[..k]) {
            *s = Some(v);
        }
        let rest = if self.varargs { &pos[k..] } else { &[] };
        Bound { slots, rest, kwrest: Vec::new() }
    }

    /// The argument parsers of CPython's C functions.
    fn bind_c<'a, const N: usize>(
        &'static self,
        b: &BuiltinObj,
        pos: &'a [Value],
        kw: &'a [(ObjRef, Value)],
    ) -> Result<Bound<'a, N>, String> {
        let n = pos.len();
        let nkw = kw.len();
        let name = self.message_name;
        let kw_capable = self.npos_only < self.params.len() || self.varkw;
        if nkw > 0 && !kw_capable {
            if matches!(self.style, Style::Slot | Style::SlotSpaced) {
                return Err(m::wrapper_no_keywords(name));
            }
            return Err(m::no_keywords(self.display_qualname(b)));
        }
        let max = self.max_positional();
        let too_many = max.is_some_and(|mx| n > mx);
        match self.style {
            Style::O if n != 1 => return Err(m::exactly_one(self.display_qualname(b), n)),
            Style::NoArgs if n != 0 => return Err(m::no_arguments(self.display_qualname(b), n)),
            Style::Slot if n < self.nrequired_pos || too_many => {
                let expected = if n < self.nrequired_pos { self.nrequired_pos } else { self.npos };
                return Err(m::wrapper_count(expected, n));
            }
            // Unpacked with an empty name: " expected at least 1 argument, got 0".
            Style::SlotSpaced if n < self.nrequired_pos || too_many => {
                return Err(m::expected_count("", self.nrequired_pos, max, n))
            }
            Style::Positional if n < self.nrequired_pos || too_many => {
                return Err(m::expected_count(name, self.nrequired_pos, max, n))
            }
            Style::ParseTuple => {
                let max_total = (!self.varargs && !self.varkw).then_some(self.params.len());
                // With keywords only, CPython's keyword parser says "at most N keyword
                // arguments" (bpo-31229).
                if let Some(mx) = max_total.filter(|&mx| n == 0 && nkw > mx) {
                    return Err(m::too_many_total(name, mx, true, nkw));
                }
                if n + nkw < self.nrequired_pos || max_total.is_some_and(|mx| n + nkw > mx) {
                    return Err(m::takes_count(name, self.nrequired_pos, max_total, n + nkw));
                }
                if too_many {
                    return Err(m::takes_count(name, self.nrequired_pos, max, n));
                }
            }
            Style::Keywords => {
                if !self.varargs && !self.varkw && n + nkw > self.params.len() {
                    return Err(m::too_many_total(name, self.params.len(), self.npos == 0, n + nkw));
                }
                if too_many {
                    return Err(m::too_many_positional(name, self.nrequired_pos, self.npos, n));
                }
                let required_pos_only = self.nrequired_pos.min(self.npos_only);
                if n < required_pos_only {
                    return Err(m::too_few_positional(name, required_pos_only, self.npos, n));
                }
            }
            _ => {}
        }
        let mut bound = self.fill_positional::<N>(pos);
        let mut used = Used(vec![false; nkw]);
        for (i, p) in self.params.iter().enumerate() {
            if i >= self.npos_only && nkw > 0 && bound.slots[i].is_none() {
                if let Some(j) = kw.iter().position(|(k, _)| k.str_text() == p.name) {
                    bound.slots[i] = Some(&kw[j].1);
                    used.0[j] = true;
                }
            }
            if bound.slots[i].is_none() && p.required {
                return Err(m::missing_required(name, p.name, (i < self.npos).then_some(i + 1)));
            }
        }
        // As CPython, a keyword for a parameter already given by position is reported
        // after missing arguments (`isclose(1, a=1)`: "missing required argument 'b'").
        for (j, (k, _)) in kw.iter().enumerate() {
            if !used.0[j] {
                let k = k.str_text();
                if let Some(i) = (self.npos_only..n.min(self.npos)).find(|&i| self.params[i].name == k) {
                    return Err(m::given_twice(name, k, i + 1));
                }
            }
        }
        self.leftover_keywords(kw, &used, &mut bound.kwrest, |k| m::invalid_keyword(name, k))?;
        Ok(bound)
    }

    /// Keywords no parameter took: collected by `**kwargs`, else an error.
    fn leftover_keywords(
        &self,
        kw: &[(ObjRef, Value)],
        used: &Used,
        kwrest: &mut KwArgs,
        error: impl Fn(&str) -> String,
    ) -> Result<(), String> {
        for (j, (k, v)) in kw.iter().enumerate() {
            if used.0[j] {
                continue;
            }
            if self.varkw {
                kwrest.push((k.clone(), v.clone()));
            } else {
                return Err(error(k.str_text()));
            }
        }
        Ok(())
    }

    /// As a function written in Python binds its arguments (counts include `self`).
    fn bind_python<'a, const N: usize>(
        &'static self,
        b: &BuiltinObj,
        pos: &'a [Value],
        kw: &'a [(ObjRef, Value)],
    ) -> Result<Bound<'a, N>, String> {
        let qual: &str = if self.has_self() { &b.qualname } else { self.name };
        let off = self.has_self() as usize;
        let n = pos.len();
        if !self.varargs && n > self.npos {
            let given_kwonly =
                kw.iter().filter(|(k, _)| self.params[self.npos..].iter().any(|p| p.name == k.str_text())).count();
            return Err(m::py_too_many_positional(
                qual,
                self.nrequired_pos + off,
                self.npos + off,
                n + off,
                given_kwonly,
            ));
        }
        let mut bound = self.fill_positional::<N>(pos);
        if !self.varkw {
            let as_kw: Vec<&str> = kw
                .iter()
                .map(|(k, _)| k.str_text())
                .filter(|k| self.params[..self.npos_only].iter().any(|p| p.name == *k))
                .collect();
            if !as_kw.is_empty() {
                return Err(m::py_positional_only_as_keyword(qual, &as_kw));
            }
        }
        let mut used = Used(vec![false; kw.len()]);
        for (j, (k, v)) in kw.iter().enumerate() {
            let name = k.str_text();
            if let Some(i) = self.params.iter().skip(self.npos_only).position(|p| p.name == name) {
                let i = i + self.npos_only;
                if bound.slots[i].is_some() {
                    return Err(m::py_multiple_values(qual, name));
                }
                bound.slots[i] = Some(v);
                used.0[j] = true;
            }
        }
        self.leftover_keywords(kw, &used, &mut bound.kwrest, |k| m::py_unexpected_keyword(qual, k))?;
        let missing: Vec<&str> = (0..self.npos)
            .filter(|&i| bound.slots[i].is_none() && self.params[i].required)
            .map(|i| self.params[i].name)
            .collect();
        if !missing.is_empty() {
            return Err(m::py_missing(qual, &missing, "positional"));
        }
        let missing: Vec<&str> = (self.npos..self.params.len())
            .filter(|&i| bound.slots[i].is_none() && self.params[i].required)
            .map(|i| self.params[i].name)
            .collect();
        if !missing.is_empty() {
            return Err(m::py_missing(qual, &missing, "keyword-only"));
        }
        Ok(bound)
    }
}
