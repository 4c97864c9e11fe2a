//! Nodes → the instruction list the backtracking engine runs (`engine.rs`).
//!
//! Single-character repetitions (`\d+`, `[^"]*`, `.*?`) become one `Star`
//! instruction that consumes a run at once and gives characters back one by one;
//! other repetitions count iterations in a register (`RepStart`/`RepTest`/`RepEnd`),
//! which also stops a loop whose iteration matched the empty string.

use super::ast::{Anchor, CharSet, Node, SetItem, UNBOUNDED};
use super::chars::fold;

/// A test of one character.
#[derive(Debug)]
pub enum Item {
    Char(u32),
    /// Case-insensitive: the folded form, and whether folding is ASCII-only.
    Fold(u32, bool),
    Any,
    AnyNoNewline,
    Set(Box<CharSet>),
}

impl Item {
    #[inline(always)]
    pub fn matches(&self, c: u32) -> bool {
        match self {
            Item::Char(x) => *x == c,
            Item::Fold(f, ascii) => fold(c, *ascii) == *f,
            Item::Any => true,
            Item::AnyNoNewline => c != b'\n' as u32,
            Item::Set(s) => s.matches(c),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Greedy,
    Lazy,
    Possessive,
}

#[derive(Debug)]
pub enum Inst {
    /// The end of the pattern or of a lookaround/atomic body.
    Succeed,
    One(Item),
    Star {
        item: Item,
        min: u32,
        max: u32,
        mode: Mode,
    },
    Anchor(Anchor),
    /// Records the position in a capture slot (2g: start of group g, 2g+1: end).
    Save(usize),
    /// Try `first`; on failure resume at `second`.
    Split(usize, usize),
    Jmp(usize),
    RepStart(usize),
    RepTest {
        r: usize,
        min: u32,
        max: u32,
        greedy: bool,
        exit: usize,
    },
    RepEnd {
        r: usize,
        test: usize,
        exit: usize,
    },
    Backref {
        group: usize,
        icase: bool,
        ascii: bool,
    },
    /// A lookaround whose body starts at the next instruction; `behind` is its
    /// fixed width for a lookbehind.
    Look {
        behind: Option<usize>,
        negated: bool,
        next: usize,
    },
    /// An atomic group whose body starts at the next instruction.
    Atomic {
        next: usize,
    },
    /// `(?(group)yes|no)`: go on when the group matched, else jump to `no`.
    Cond {
        group: usize,
        no: usize,
    },
}

pub struct Program {
    pub insts: Vec<Inst>,
    /// Number of capture slots (two per group, group 0 included).
    pub slots: usize,
    pub reps: usize,
    /// The pattern can only match at the start of the text (`\A`, `^` without MULTILINE).
    pub anchored: bool,
    /// A character every match starts with, for skipping ahead while searching.
    pub first: Option<u32>,
    /// An instruction (`One` or `Star` with a minimum) whose item the first
    /// character of every match satisfies: start positions failing it are skipped
    /// without running the program.
    pub first_test: Option<usize>,
}

pub fn compile(node: &Node, groups: usize) -> Program {
    let mut c = Compiler { insts: Vec::new(), reps: 0 };
    c.node(node);
    c.insts.push(Inst::Succeed);
    let (anchored, first) = lead(node);
    let first_test = first_test(&c.insts);
    Program { insts: c.insts, slots: 2 * (groups + 1), reps: c.reps, anchored, first, first_test }
}

/// The first instruction that must consume a character, when nothing before it
/// can move or branch: capture saves, anchors and lookarounds (zero-width) may
/// precede it, and it still tests the character at the start position.
fn first_test(insts: &[Inst]) -> Option<usize> {
    let mut i = 0;
    while let Some(inst) = insts.get(i) {
        match inst {
            Inst::Save(_) | Inst::Anchor(_) => i += 1,
            Inst::Look { next, .. } => i = *next,
            Inst::One(_) => return Some(i),
            Inst::Star { min, .. } if *min > 0 => return Some(i),
            _ => return None,
        }
    }
    None
}

/// What every match must start with: an anchor at the text start, or a literal.
fn lead(node: &Node) -> (bool, Option<u32>) {
    match node {
        Node::Anchor(Anchor::TextStart) => (true, None),
        Node::Char { c, icase: false, .. } => (false, Some(*c)),
        Node::Concat(v) => match v.first() {
            Some(n) => lead(n),
            None => (false, None),
        },
        Node::Group(_, n) | Node::Atomic(n) => lead(n),
        Node::Repeat { node, min, .. } if *min > 0 => {
            let (_, f) = lead(node);
            (false, f)
        }
        _ => (false, None),
    }
}

struct Compiler {
    insts: Vec<Inst>,
    reps: usize,
}

fn item_of(node: &Node) -> Option<Item> {
    Some(match node {
        Node::Char { c, icase, ascii_case } => {
            if *icase {
                let f = fold(*c, *ascii_case);
                let cased = f != *c || has_other_case(*c, *ascii_case);
                if cased {
                    Item::Fold(f, *ascii_case)
                } else {
                    Item::Char(*c)
                }
            } else {
                Item::Char(*c)
            }
        }
        Node::Any { dotall } => {
            if *dotall {
                Item::Any
            } else {
                Item::AnyNoNewline
            }
        }
        Node::Set(s) => Item::Set(s.clone()),
        Node::Alt(branches) => return merged_alternation(branches),
        _ => return None,
    })
}

/// An alternation of single characters and plain sets (`a|b|[xy]`) as one set:
/// leftmost-first choice among one-character branches is set membership, and a
/// set repeats in constant space where an alternation keeps a choice per step.
fn merged_alternation(branches: &[Node]) -> Option<Item> {
    let mut items = Vec::new();
    let mut mode: Option<(bool, bool)> = None;
    for b in branches {
        let (icase, ascii) = match b {
            Node::Char { c, icase, ascii_case } => {
                items.push(SetItem::Range(*c, *c));
                (*icase, *ascii_case)
            }
            Node::Set(s) if !s.negated => {
                items.extend(s.items.iter().cloned());
                (s.icase, s.ascii_case)
            }
            _ => return None,
        };
        match mode {
            None => mode = Some((icase, ascii)),
            Some(m) if m == (icase, ascii) => {}
            Some(_) => return None,
        }
    }
    let (icase, ascii) = mode?;
    Some(Item::Set(Box::new(CharSet::new(items, false, icase, ascii))))
}

/// Whether some other character folds to the same form as `c`.
fn has_other_case(c: u32, ascii: bool) -> bool {
    if c < 128 {
        return (c as u8).is_ascii_alphabetic();
    }
    if ascii {
        return false;
    }
    char::from_u32(c).is_some_and(|ch| ch.is_lowercase() || ch.is_uppercase() || c == 0x17F)
}

impl Compiler {
    fn pc(&self) -> usize {
        self.insts.len()
    }

    fn node(&mut self, node: &Node) {
        if let Some(item) = item_of(node) {
            self.insts.push(Inst::One(item));
            return;
        }
        match node {
            Node::Empty => {}
            Node::Char { .. } | Node::Any { .. } | Node::Set(_) => unreachable!("single items handled above"),
            Node::Alt(branches) if branches.is_empty() => {}
            Node::Anchor(a) => self.insts.push(Inst::Anchor(*a)),
            Node::Concat(v) => v.iter().for_each(|n| self.node(n)),
            Node::Alt(branches) => {
                let mut jumps = Vec::new();
                for (k, b) in branches.iter().enumerate() {
                    if k + 1 < branches.len() {
                        let split = self.pc();
                        self.insts.push(Inst::Split(split + 1, 0));
                        self.node(b);
                        jumps.push(self.pc());
                        self.insts.push(Inst::Jmp(0));
                        let here = self.pc();
                        self.insts[split] = Inst::Split(split + 1, here);
                    } else {
                        self.node(b);
                    }
                }
                let end = self.pc();
                for j in jumps {
                    self.insts[j] = Inst::Jmp(end);
                }
            }
            Node::Group(g, n) => {
                self.insts.push(Inst::Save(2 * g));
                self.node(n);
                self.insts.push(Inst::Save(2 * g + 1));
            }
            Node::Repeat { node, min, max, greedy, possessive } => self.repeat(node, *min, *max, *greedy, *possessive),
            Node::Backref { group, icase, ascii_case, .. } => {
                self.insts.push(Inst::Backref { group: *group, icase: *icase, ascii: *ascii_case })
            }
            Node::Look { behind, negated, node } => {
                let at = self.pc();
                let behind = if *behind { Some(node.width().0) } else { None };
                self.insts.push(Inst::Look { behind, negated: *negated, next: 0 });
                self.node(node);
                self.insts.push(Inst::Succeed);
                let next = self.pc();
                self.insts[at] = Inst::Look { behind, negated: *negated, next };
            }
            Node::Atomic(n) => self.atomic(n),
            Node::Cond { group, yes, no } => {
                let at = self.pc();
                self.insts.push(Inst::Cond { group: *group, no: 0 });
                self.node(yes);
                let j = self.pc();
                self.insts.push(Inst::Jmp(0));
                let no_at = self.pc();
                self.node(no);
                let end = self.pc();
                self.insts[at] = Inst::Cond { group: *group, no: no_at };
                self.insts[j] = Inst::Jmp(end);
            }
        }
    }

    fn atomic(&mut self, n: &Node) {
        let at = self.pc();
        self.insts.push(Inst::Atomic { next: 0 });
        self.node(n);
        self.insts.push(Inst::Succeed);
        let next = self.pc();
        self.insts[at] = Inst::Atomic { next };
    }

    fn repeat(&mut self, node: &Node, min: u32, max: u32, greedy: bool, possessive: bool) {
        if max == 0 {
            return;
        }
        if let Some(item) = item_of(node) {
            let mode = if possessive {
                Mode::Possessive
            } else if greedy {
                Mode::Greedy
            } else {
                Mode::Lazy
            };
            self.insts.push(Inst::Star { item, min, max, mode });
            return;
        }
        if possessive {
            let inner = Node::Repeat { node: Box::new(node.clone()), min, max, greedy: true, possessive: false };
            self.atomic(&inner);
            return;
        }
        if min == 1 && max == 1 {
            self.node(node);
            return;
        }
        if min == 0 && max == 1 {
            let split = self.pc();
            self.insts.push(Inst::Split(0, 0));
            self.node(node);
            let exit = self.pc();
            self.insts[split] = if greedy { Inst::Split(split + 1, exit) } else { Inst::Split(exit, split + 1) };
            return;
        }
        let r = self.reps;
        self.reps += 1;
        self.insts.push(Inst::RepStart(r));
        let test = self.pc();
        self.insts.push(Inst::RepTest { r, min, max, greedy, exit: 0 });
        self.node(node);
        self.insts.push(Inst::RepEnd { r, test, exit: 0 });
        let exit = self.pc();
        self.insts[test] = Inst::RepTest { r, min, max, greedy, exit };
        self.insts[exit - 1] = Inst::RepEnd { r, test, exit };
        let _ = UNBOUNDED;
    }
}
