//! The typosquat rule's cost per package is bounded: a lookup against the built-in popular names
//! for names of 8 to 10⁵ characters. Every one-character deletion of a name is hashed, so without
//! a bound the cost grows with the square of the name's length (an 80,000-character name took 7 s);
//! a name longer than every popular name by more than the edit distance can match nothing and is
//! answered at once, and readers refuse names over 256 characters before the rule sees them.
//!
//! Run: `cargo bench --bench typosquat`.

use std::hint::black_box;
use std::time::Instant;

use pyaudit::policy::PopularNames;

fn main() {
    let seed = std::fs::read_to_string("data/popular-seed.txt").expect("run from the crate root");
    let popular = PopularNames::new(
        seed.lines().filter(|line| !line.starts_with('#')),
        Vec::new(),
    );
    println!("name length   lookups   µs/lookup");
    for length in [8, 16, 64, 256, 1_000, 10_000, 100_000] {
        // A near-miss of a popular name, padded: the worst case for the deletion index.
        let mut name = String::from("reqeusts");
        while name.len() < length {
            name.push('x');
        }
        name.truncate(length);
        let lookups = if length > 1_000 { 100 } else { 10_000 };
        let start = Instant::now();
        for _ in 0..lookups {
            black_box(popular.near(black_box(&name)));
        }
        let per_lookup = start.elapsed().as_secs_f64() * 1e6 / lookups as f64;
        println!("{length:>11} {lookups:>9} {per_lookup:>11.2}");
    }
}
