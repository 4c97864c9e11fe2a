//! The backtracking engine: runs a [`Program`] over a text of code points (a str)
//! or bytes, with an explicit backtrack stack (no recursion per character, so long
//! texts cannot exhaust the thread's stack).
//!
//! Every change to the capture slots and repeat registers is logged on the stack
//! and undone when backtracking passes it, so a failed attempt leaves the state as
//! it found it. Lookarounds and atomic groups run their body as a nested run with
//! its own stack base; on success the alternatives left by the body are dropped
//! (the undo entries are kept, so backtracking past the group still restores).

use super::ast::Anchor;
use super::chars::{fold, is_word};
use super::program::{Inst, Item, Mode, Program};

pub const UNSET: usize = usize::MAX;

enum Bt {
    Alt {
        pc: usize,
        pos: usize,
    },
    Slot {
        slot: usize,
        old: usize,
        last: usize,
    },
    Rep {
        r: usize,
        count: u32,
        start: usize,
    },
    /// A greedy `Star` that can give back characters down to `min`.
    Greedy {
        pc: usize,
        min: usize,
        pos: usize,
    },
    /// A lazy `Star` (at `pc`) that can take one more character.
    Lazy {
        pc: usize,
        pos: usize,
        count: u32,
    },
    /// A lazy general repetition (its `RepTest` at `pc`) that can iterate once more.
    Iter {
        pc: usize,
        pos: usize,
    },
}

/// What a run must end with to succeed.
#[derive(Clone, Copy)]
enum Goal {
    Any,
    /// Exactly at this position (fullmatch, lookbehind).
    EndAt(usize),
    /// Not empty at this start (the next match after an empty one, as 3.7+ does).
    NotAt(usize),
}

pub struct Exec<'a, T> {
    prog: &'a Program,
    text: &'a [T],
    /// The end of the searched text (`endpos`).
    end: usize,
    pub slots: Vec<usize>,
    /// The group that most recently closed (0: none), CPython's `lastindex`.
    pub last: usize,
    reps: Vec<(u32, usize)>,
    stack: Vec<Bt>,
}

impl<'a, T: Copy + Into<u32>> Exec<'a, T> {
    pub fn new(prog: &'a Program, text: &'a [T], end: usize) -> Self {
        Exec {
            prog,
            text,
            end,
            slots: vec![UNSET; prog.slots],
            last: 0,
            reps: vec![(0, UNSET); prog.reps],
            stack: Vec::new(),
        }
    }

    #[inline(always)]
    fn at(&self, i: usize) -> u32 {
        self.text[i].into()
    }

    fn reset(&mut self) {
        self.slots.iter_mut().for_each(|s| *s = UNSET);
        self.last = 0;
        self.stack.clear();
    }

    /// Tries a match starting exactly at `start`; `full` requires it to end at the end.
    pub fn match_at(&mut self, start: usize, full: bool, not_empty: bool) -> bool {
        self.reset();
        let goal = if full {
            Goal::EndAt(self.end)
        } else if not_empty {
            Goal::NotAt(start)
        } else {
            Goal::Any
        };
        if start > self.end {
            return false;
        }
        match self.run(0, start, 0, goal) {
            Some(e) => {
                self.slots[0] = start;
                self.slots[1] = e;
                true
            }
            None => false,
        }
    }

    /// Searches from `start`; `not_empty` refuses an empty match at `start` itself.
    pub fn search(&mut self, start: usize, not_empty: bool) -> bool {
        let mut s = start;
        while s <= self.end {
            if self.prog.anchored && s > 0 {
                return false;
            }
            if let Some(c) = self.prog.first {
                match self.find_char(c, s) {
                    Some(p) => s = p,
                    None => return false,
                }
            }
            if let Some(t) = self.prog.first_test {
                let item = match &self.prog.insts[t] {
                    Inst::One(item) | Inst::Star { item, .. } => item,
                    _ => unreachable!("first_test names a One or Star"),
                };
                while s < self.end && !item.matches(self.at(s)) {
                    s += 1;
                }
                if s >= self.end {
                    return false;
                }
            }
            if self.match_at(s, false, not_empty && s == start) {
                return true;
            }
            s += 1;
        }
        false
    }

    fn find_char(&self, c: u32, from: usize) -> Option<usize> {
        let hay = &self.text[from..self.end];
        if std::mem::size_of::<T>() == 1 {
            if c > 255 {
                return None;
            }
            // SAFETY: T is one byte wide here (u8 is the only such text type), so the
            // slice's memory is a valid `[u8]` of the same length.
            let bytes = unsafe { std::slice::from_raw_parts(hay.as_ptr() as *const u8, hay.len()) };
            return memchr::memchr(c as u8, bytes).map(|i| from + i);
        }
        hay.iter().position(|&x| x.into() == c).map(|i| from + i)
    }

    fn push_slot(&mut self, slot: usize, pos: usize) {
        self.stack.push(Bt::Slot { slot, old: self.slots[slot], last: self.last });
        self.slots[slot] = pos;
        if slot % 2 == 1 {
            self.last = slot / 2;
        }
    }

    fn count_run(&self, item: &Item, pos: usize, max: u32) -> usize {
        let limit = if max as usize >= self.end - pos { self.end } else { pos + max as usize };
        let mut p = pos;
        match item {
            Item::Any => return limit - pos,
            Item::Char(c) => {
                while p < limit && self.at(p) == *c {
                    p += 1;
                }
            }
            _ => {
                while p < limit && item.matches(self.at(p)) {
                    p += 1;
                }
            }
        }
        p - pos
    }

    /// Drops the alternatives above `base`, keeping the undo entries.
    fn cut(&mut self, base: usize) {
        let mut w = base;
        for r in base..self.stack.len() {
            if matches!(self.stack[r], Bt::Slot { .. } | Bt::Rep { .. }) {
                self.stack.swap(w, r);
                w += 1;
            }
        }
        self.stack.truncate(w);
    }

    /// Undoes everything above `base`.
    fn unwind(&mut self, base: usize) {
        while self.stack.len() > base {
            match self.stack.pop() {
                Some(Bt::Slot { slot, old, last }) => {
                    self.slots[slot] = old;
                    self.last = last;
                }
                Some(Bt::Rep { r, count, start }) => self.reps[r] = (count, start),
                _ => {}
            }
        }
    }

    fn anchor(&self, a: Anchor, pos: usize) -> bool {
        let nl = b'\n' as u32;
        match a {
            Anchor::TextStart => pos == 0,
            Anchor::LineStart => pos == 0 || self.at(pos - 1) == nl,
            Anchor::EndOrFinalNewline => pos == self.end || (pos + 1 == self.end && self.at(pos) == nl),
            Anchor::LineEnd => pos == self.end || self.at(pos) == nl,
            Anchor::TextEnd => pos == self.end,
            Anchor::WordBoundary { ascii } => {
                let before = pos > 0 && is_word(self.at(pos - 1), ascii);
                let after = pos < self.end && is_word(self.at(pos), ascii);
                before != after
            }
            Anchor::NotWordBoundary { ascii } => {
                if self.end == 0 {
                    return false;
                }
                let before = pos > 0 && is_word(self.at(pos - 1), ascii);
                let after = pos < self.end && is_word(self.at(pos), ascii);
                before == after
            }
        }
    }

    fn backref(&self, group: usize, icase: bool, ascii: bool, pos: usize) -> Option<usize> {
        let (s, e) = (self.slots[2 * group], self.slots[2 * group + 1]);
        if s == UNSET || e == UNSET {
            return None;
        }
        let n = e.saturating_sub(s);
        if pos + n > self.end {
            return None;
        }
        for k in 0..n {
            let (a, b) = (self.at(s + k), self.at(pos + k));
            if a != b && !(icase && fold(a, ascii) == fold(b, ascii)) {
                return None;
            }
        }
        Some(pos + n)
    }

    /// Runs from `pc` at `pos` until `Succeed` meets the goal (the end position) or
    /// every alternative above `base` failed.
    fn run(&mut self, mut pc: usize, mut pos: usize, base: usize, goal: Goal) -> Option<usize> {
        let prog = self.prog;
        loop {
            let ok = match &prog.insts[pc] {
                Inst::Succeed => {
                    let accept = match goal {
                        Goal::Any => true,
                        Goal::EndAt(e) => pos == e,
                        Goal::NotAt(s) => pos != s,
                    };
                    if accept {
                        return Some(pos);
                    }
                    false
                }
                Inst::One(item) => {
                    if pos < self.end && item.matches(self.at(pos)) {
                        pos += 1;
                        pc += 1;
                        true
                    } else {
                        false
                    }
                }
                Inst::Star { item, min, max, mode } => {
                    let min = *min as usize;
                    if *mode == Mode::Lazy {
                        let n = self.count_run(item, pos, min as u32);
                        if n < min {
                            false
                        } else {
                            pos += min;
                            self.stack.push(Bt::Lazy { pc, pos, count: min as u32 });
                            pc += 1;
                            true
                        }
                    } else {
                        let n = self.count_run(item, pos, *max);
                        if n < min {
                            false
                        } else {
                            if n > min && *mode == Mode::Greedy {
                                self.stack.push(Bt::Greedy { pc: pc + 1, min: pos + min, pos: pos + n });
                            }
                            pos += n;
                            pc += 1;
                            true
                        }
                    }
                }
                Inst::Anchor(a) => {
                    if self.anchor(*a, pos) {
                        pc += 1;
                        true
                    } else {
                        false
                    }
                }
                Inst::Save(slot) => {
                    self.push_slot(*slot, pos);
                    pc += 1;
                    true
                }
                Inst::Split(first, second) => {
                    self.stack.push(Bt::Alt { pc: *second, pos });
                    pc = *first;
                    true
                }
                Inst::Jmp(t) => {
                    pc = *t;
                    true
                }
                Inst::RepStart(r) => {
                    let (count, start) = self.reps[*r];
                    self.stack.push(Bt::Rep { r: *r, count, start });
                    self.reps[*r] = (0, UNSET);
                    pc += 1;
                    true
                }
                Inst::RepTest { r, min, max, greedy, exit } => {
                    let n = self.reps[*r].0;
                    if n < *min {
                        self.iterate(*r, pos, false);
                        pc += 1;
                    } else if n >= *max {
                        pc = *exit;
                    } else if *greedy {
                        self.stack.push(Bt::Alt { pc: *exit, pos });
                        self.iterate(*r, pos, true);
                        pc += 1;
                    } else {
                        self.stack.push(Bt::Iter { pc, pos });
                        pc = *exit;
                    }
                    true
                }
                Inst::RepEnd { r, test, exit, .. } => {
                    // An optional iteration that matched nothing ends the loop (it
                    // would match nothing again).
                    pc = if pos == self.reps[*r].1 { *exit } else { *test };
                    true
                }
                Inst::Backref { group, icase, ascii } => match self.backref(*group, *icase, *ascii, pos) {
                    Some(p) => {
                        pos = p;
                        pc += 1;
                        true
                    }
                    None => false,
                },
                Inst::Look { behind, negated, next } => {
                    let (start, sub_goal) = match behind {
                        Some(w) if *w > pos => (None, Goal::Any),
                        Some(w) => (Some(pos - w), Goal::EndAt(pos)),
                        None => (Some(pos), Goal::Any),
                    };
                    let b = self.stack.len();
                    let found = match start {
                        Some(s) => self.run(pc + 1, s, b, sub_goal).is_some(),
                        None => false,
                    };
                    if found != *negated {
                        if found {
                            self.cut(b);
                        }
                        pc = *next;
                        true
                    } else {
                        if found {
                            self.unwind(b);
                        }
                        false
                    }
                }
                Inst::Atomic { next } => {
                    let b = self.stack.len();
                    match self.run(pc + 1, pos, b, Goal::Any) {
                        Some(p) => {
                            self.cut(b);
                            pos = p;
                            pc = *next;
                            true
                        }
                        None => false,
                    }
                }
                Inst::Cond { group, no } => {
                    let set = self.slots[2 * group] != UNSET && self.slots[2 * group + 1] != UNSET;
                    pc = if set { pc + 1 } else { *no };
                    true
                }
            };
            if !ok {
                match self.backtrack(base) {
                    Some((p, q)) => {
                        pc = p;
                        pos = q;
                    }
                    None => return None,
                }
            }
        }
    }

    /// Starts one more iteration of repeat `r` at `pos`. Only an iteration beyond
    /// the minimum records where it started: as in CPython, the loop stops after an
    /// empty optional iteration, while mandatory iterations may be empty.
    fn iterate(&mut self, r: usize, pos: usize, optional: bool) {
        let (count, start) = self.reps[r];
        self.stack.push(Bt::Rep { r, count, start });
        self.reps[r] = (count + 1, if optional { pos } else { UNSET });
    }

    /// Pops to the next alternative above `base`: where to resume.
    fn backtrack(&mut self, base: usize) -> Option<(usize, usize)> {
        let prog = self.prog;
        while self.stack.len() > base {
            match self.stack.pop().unwrap() {
                Bt::Alt { pc, pos } => return Some((pc, pos)),
                Bt::Slot { slot, old, last } => {
                    self.slots[slot] = old;
                    self.last = last;
                }
                Bt::Rep { r, count, start } => self.reps[r] = (count, start),
                Bt::Greedy { pc, min, pos } => {
                    let mut np = pos - 1;
                    // When a literal follows, only positions before it can succeed.
                    if let Inst::One(Item::Char(c)) = &prog.insts[pc] {
                        while np > min && (np >= self.end || self.at(np) != *c) {
                            np -= 1;
                        }
                        if np >= self.end || self.at(np) != *c {
                            continue;
                        }
                    }
                    if np > min {
                        self.stack.push(Bt::Greedy { pc, min, pos: np });
                    }
                    return Some((pc, np));
                }
                Bt::Lazy { pc, pos, count } => {
                    if let Inst::Star { item, max, .. } = &prog.insts[pc] {
                        if count < *max && pos < self.end && item.matches(self.at(pos)) {
                            self.stack.push(Bt::Lazy { pc, pos: pos + 1, count: count + 1 });
                            return Some((pc + 1, pos + 1));
                        }
                    }
                }
                Bt::Iter { pc, pos } => {
                    if let Inst::RepTest { r, .. } = &prog.insts[pc] {
                        self.iterate(*r, pos, true);
                        return Some((pc + 1, pos));
                    }
                }
            }
        }
        None
    }
}
