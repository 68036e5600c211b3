//! An invariant: a name, and a test of the [`World`] after each step, with a
//! state of its own per run if it needs one.

use std::fmt;
use std::sync::Arc;

use crate::world::World;

/// One run's instance of a check's test: its state lives here.
type Armed = Box<dyn FnMut(&World) -> Result<(), String>>;

/// Makes a fresh [`Armed`] test for each run.
type Arm = dyn Fn() -> Armed;

/// An invariant: a name, and a test of the [`World`] after each step.
///
/// A check is built once and used by every run of a scenario; each run gets a
/// fresh instance of its test ([`Check::with_state`] gives each run a fresh
/// state), so a sweep's runs never see each other.
#[derive(Clone)]
pub struct Check {
    name: Arc<str>,
    arm: Arc<Arm>,
}

impl fmt::Debug for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Check").field(&self.name).finish()
    }
}

impl Check {
    /// A check named `name` (it prefixes the failure's reason): `test` sees the
    /// world after each step and returns why it is wrong, if it is.
    ///
    /// ```
    /// use rollcall_sim::{Check, Event};
    ///
    /// // No call ever answers with an error status.
    /// let check = Check::new("no error statuses", |world| {
    ///     for record in world.new_records() {
    ///         if let Event::Called { client, outcome: Err(e), .. } = &record.event {
    ///             if e.starts_with("status") {
    ///                 return Err(format!("{client} got {e} at {:?}", record.at));
    ///             }
    ///         }
    ///     }
    ///     Ok(())
    /// });
    /// assert_eq!(check.name(), "no error statuses");
    /// ```
    pub fn new(name: &str, test: impl Fn(&World) -> Result<(), String> + 'static) -> Check {
        let test = Arc::new(test);
        Check {
            name: name.into(),
            arm: Arc::new(move || {
                let test = Arc::clone(&test);
                Box::new(move |world: &World| test(world))
            }),
        }
    }

    /// A check that keeps a state of its own through a run: `init` makes it when
    /// the run starts, `test` sees it and the world after each step. For
    /// invariants over history that the [`World`] does not keep (what a client
    /// served when the registry went down, the picks of the last second),
    /// followed step by step from [`World::new_records`] rather than searched
    /// for in every record again.
    ///
    /// ```
    /// use rollcall_sim::{Check, Event};
    ///
    /// // The registry never accepts more than 1,000 renewals in a run.
    /// let check = Check::with_state("renewals bounded", || 0_usize, |renewals, world| {
    ///     *renewals += world
    ///         .new_records()
    ///         .iter()
    ///         .filter(|r| matches!(r.event, Event::Renewed { .. }))
    ///         .count();
    ///     if *renewals > 1_000 {
    ///         return Err(format!("{renewals} renewals by {:?}", world.now()));
    ///     }
    ///     Ok(())
    /// });
    /// assert_eq!(check.name(), "renewals bounded");
    /// ```
    pub fn with_state<S: 'static>(
        name: &str,
        init: impl Fn() -> S + 'static,
        test: impl Fn(&mut S, &World) -> Result<(), String> + 'static,
    ) -> Check {
        let test = Arc::new(test);
        Check {
            name: name.into(),
            arm: Arc::new(move || {
                let test = Arc::clone(&test);
                let mut state = init();
                Box::new(move |world: &World| test(&mut state, world))
            }),
        }
    }

    /// The check's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs the check once on `world`, with a fresh state.
    pub fn run(&self, world: &World) -> Result<(), String> {
        (self.arm)()(world)
    }

    /// A fresh instance of the test, for one run.
    pub(crate) fn arm(&self) -> ArmedCheck {
        ArmedCheck {
            name: Arc::clone(&self.name),
            test: (self.arm)(),
        }
    }
}

/// A check armed for one run: its test and that run's state.
pub(crate) struct ArmedCheck {
    name: Arc<str>,
    test: Armed,
}

impl ArmedCheck {
    /// Runs the test on `world`; the failure's reason is prefixed with the name.
    pub(crate) fn run(&mut self, world: &World) -> Result<(), String> {
        (self.test)(world).map_err(|why| format!("{}: {why}", self.name))
    }
}
