//! Checking that a run replays: the same seed, run twice, gives the same trace.

use std::time::Duration;

use super::Scenario;
use crate::event::Record;
use crate::failure::Failure;

/// Records shown on each side of the first difference.
const CONTEXT: usize = 5;

impl Scenario {
    /// Runs `seed` twice for `run_for` and returns the trace hash; panics, showing
    /// the records around the first difference, if the two runs differ. What a
    /// test of the kit or of a user's own hosts uses to prove a seed replays
    /// exactly. A run that fails its checks returns that [`Failure`].
    pub fn assert_replays(&self, seed: u64, run_for: Duration) -> Result<u64, Failure> {
        let trace = || -> Result<(u64, Vec<Record>), Failure> {
            let mut run = self.start(seed);
            run.until(run_for)?;
            let records = run.records().to_vec();
            Ok((run.finish(), records))
        };
        let ((first, a), (second, b)) = (trace()?, trace()?);
        if first != second {
            let at = a
                .iter()
                .zip(&b)
                .position(|(x, y)| x != y)
                .unwrap_or(a.len().min(b.len()));
            let show = |r: &[Record]| -> String {
                r[at.saturating_sub(CONTEXT)..(at + CONTEXT).min(r.len())]
                    .iter()
                    .map(|r| format!("  {r}\n"))
                    .collect()
            };
            panic!(
                "seed {seed}: two runs gave different traces ({first:016x}, {second:016x}); first difference at record {at}:\n{}---\n{}",
                show(&a),
                show(&b)
            );
        }
        Ok(first)
    }
}
