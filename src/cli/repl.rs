//! The interactive prompt.

pub fn main(_args: &[String]) -> i32 {
    0
}
