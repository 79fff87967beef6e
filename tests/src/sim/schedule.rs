//! Schedules drawn from a seed: the same seed gives the same steps on every machine,
//! so a failing seed can be replayed as a plain test.

use super::{Direction, Party, Step};

/// `len` steps for a network of `nodes` nodes, drawn from `seed`. Deliveries make up
/// more than half of them, so that sessions make progress between the faults.
pub fn random_steps(seed: u64, nodes: usize, len: usize) -> Vec<Step> {
    let mut state = seed;
    let nodes = nodes.max(1) as u64;
    (0..len)
        .map(|_| {
            let roll = next(&mut state) % 100;
            let node = (next(&mut state) % nodes) as usize;
            let direction = if next(&mut state).is_multiple_of(2) {
                Direction::ToHub
            } else {
                Direction::ToNode
            };
            let party = if next(&mut state).is_multiple_of(3) {
                Party::Hub
            } else {
                Party::Node(node)
            };
            match roll {
                0..20 => Step::Deliver(node, direction),
                20..58 => Step::DeliverAny(node),
                58..72 => Step::Write(node),
                72..75 => Step::CityWrite,
                75..81 => Step::Connect(node),
                81..83 => Step::Disconnect(node),
                83..84 => Step::Drop(node, direction),
                84..88 => Step::Duplicate(node, direction),
                88..93 => Step::Reorder(node, direction),
                93..94 => Step::Corrupt(node, direction),
                94..95 => Step::Pause(party),
                _ => Step::Resume(party),
            }
        })
        .collect()
}

/// splitmix64: small, fast and the same everywhere (the chaos harness's `Rng` too).
pub(crate) fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
