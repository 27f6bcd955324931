//! Parallel moves: placing several values into slots at once, where the
//! slots written may be the very slots other values are still to be read
//! from (a return whose results are the function's parameters swapped, a
//! branch whose values sit just above their label's slots).
//!
//! Every edge that carries several values (branches, returns, block ends,
//! call arguments, exception payloads) describes what goes where as a list
//! of [`Move`]s, and [`sequence`] orders them so that no value is
//! overwritten before it is read, breaking cycles through scratch cells.
//! Nothing else in the translator reasons about overlapping moves.

/// Where a moved value comes from.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Source {
    /// The cell (or, for a wide value, the two cells) starting at this slot.
    Slot(u32),
    /// A constant cell.
    Const(u64),
}

/// One value to place: `src` into the slot `dst`, one cell, or two for a
/// `v128` (`wide`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) struct Move {
    pub dst: u32,
    pub src: Source,
    pub wide: bool,
}

impl Move {
    fn cells(&self) -> u32 {
        if self.wide { 2 } else { 1 }
    }

    /// Whether this move reads any cell of `start .. start + len`.
    fn reads(&self, start: u32, len: u32) -> bool {
        match self.src {
            Source::Slot(s) => s < start + len && start < s + self.cells(),
            Source::Const(_) => false,
        }
    }
}

/// Orders `moves` (distinct, non-overlapping destinations) into a sequence
/// that can run one move after the other with the effect of all at once.
///
/// A move runs once no other pending move still reads a cell it writes.
/// When every pending move waits for another (a cycle, such as a swap),
/// one source is first copied to scratch cells starting at `scratch`,
/// which must be free and must not overlap any source or destination.
/// Returns the sequence and how many scratch cells it uses.
pub(super) fn sequence(moves: &[Move], scratch: u32) -> (Vec<Move>, u32) {
    let mut pending: Vec<Move> = moves
        .iter()
        .copied()
        .filter(|m| m.src != Source::Slot(m.dst))
        .collect();
    let mut out = Vec::with_capacity(pending.len());
    let mut scratch_used = 0;
    while !pending.is_empty() {
        let ready = (0..pending.len()).find(|&i| {
            let m = pending[i];
            pending
                .iter()
                .enumerate()
                .all(|(j, other)| j == i || !other.reads(m.dst, m.cells()))
        });
        if let Some(i) = ready {
            out.push(pending.remove(i));
            continue;
        }
        // A cycle: set aside one value that is read from a slot another
        // move writes. Its new source is written by no move, so the cycle
        // is broken; every round of this loop makes progress.
        let i = pending
            .iter()
            .position(|m| matches!(m.src, Source::Slot(s) if s < scratch))
            .expect("a blocked move reads a slot below the scratch cells");
        let m = pending[i];
        let spare = scratch + scratch_used;
        scratch_used += m.cells();
        out.push(Move { dst: spare, ..m });
        pending[i].src = Source::Slot(spare);
    }
    (out, scratch_used)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `seq` on a frame of cells and returns the frame.
    fn run(frame: &[u64], seq: &[Move]) -> Vec<u64> {
        let mut f = frame.to_vec();
        for m in seq {
            let vals: Vec<u64> = match m.src {
                Source::Slot(s) => f[s as usize..(s + m.cells()) as usize].to_vec(),
                Source::Const(c) => vec![c; m.cells() as usize],
            };
            f[m.dst as usize..(m.dst + m.cells()) as usize].copy_from_slice(&vals);
        }
        f
    }

    /// The frame after all moves at once.
    fn at_once(frame: &[u64], moves: &[Move]) -> Vec<u64> {
        let mut f = frame.to_vec();
        for m in moves {
            let vals: Vec<u64> = match m.src {
                Source::Slot(s) => frame[s as usize..(s + m.cells()) as usize].to_vec(),
                Source::Const(c) => vec![c; m.cells() as usize],
            };
            f[m.dst as usize..(m.dst + m.cells()) as usize].copy_from_slice(&vals);
        }
        f
    }

    fn mv(dst: u32, src: u32, wide: bool) -> Move {
        Move {
            dst,
            src: Source::Slot(src),
            wide,
        }
    }

    fn check(moves: &[Move], scratch: u32) -> u32 {
        let frame: Vec<u64> = (0..scratch + 16).map(|i| 100 + u64::from(i)).collect();
        let (seq, used) = sequence(moves, scratch);
        let got = run(&frame, &seq);
        let want = at_once(&frame, moves);
        assert_eq!(
            got[..scratch as usize],
            want[..scratch as usize],
            "{moves:?}"
        );
        used
    }

    #[test]
    fn a_swap_goes_through_one_scratch_cell() {
        assert_eq!(check(&[mv(0, 1, false), mv(1, 0, false)], 8), 1);
    }

    #[test]
    fn chains_need_no_scratch() {
        // 0 <- 1 <- 2 <- 3: ascending order is the only right one.
        let moves = [mv(0, 1, false), mv(1, 2, false), mv(2, 3, false)];
        assert_eq!(check(&moves, 8), 0);
        let rev: Vec<Move> = moves.iter().rev().copied().collect();
        assert_eq!(check(&rev, 8), 0);
    }

    #[test]
    fn duplicates_and_constants() {
        let moves = [
            mv(0, 1, false),
            mv(1, 0, false),
            mv(2, 0, false),
            Move {
                dst: 3,
                src: Source::Const(7),
                wide: false,
            },
        ];
        check(&moves, 8);
    }

    #[test]
    fn wide_values_overlapping_narrow_ones() {
        // A v128 in cells 1-2 goes to 0-1 while cell 0 goes to 2: a cycle
        // across widths.
        check(&[mv(0, 1, true), mv(2, 0, false)], 8);
        // Rotations of mixed widths.
        check(&[mv(0, 2, true), mv(2, 4, false), mv(3, 0, true)], 8);
    }

    #[test]
    fn every_small_permutation_is_sequenced_correctly() {
        // All assignments of 4 destinations from sources among 6 cells.
        for code in 0..6u32.pow(4) {
            let moves: Vec<Move> = (0..4)
                .map(|k| mv(k, (code / 6u32.pow(k)) % 6, false))
                .collect();
            check(&moves, 8);
        }
    }
}
