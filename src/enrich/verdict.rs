//! Whether a package was checked: the one place that decides if the advisory data behind a
//! package's verdict can answer for it.
//!
//! INVARIANT (the product's promise): a package is [`Coverage::Checked`] only when at least one
//! source that can answer for *every* package answered for this one and is fresh enough:
//!
//! - OSV answered in this run, or a cached OSV answer within its lifetime (online), or within
//!   [`FreshnessLimits::max_age`] (offline), or within [`FreshnessLimits::fallback_max_age`]
//!   (OSV failed and an older answer stands in);
//! - or a *complete* copy of an advisory source (OSV's export, `db sync`, a directory imported
//!   or passed as complete) whose data — the newest `modified` of its records, never the time it
//!   was copied — is younger than the limit that applies, and whose entry for the package could
//!   be read.
//!
//! Partial sources (an organisation's records, a directory not declared complete) only add
//! findings; they never make a package checked. Everything else is unchecked, with every
//! reason, and the reports and the exit status say so (`PA001`, exit 2). Callers must not
//! report "no known vulnerabilities" for a package this module did not call checked.

use std::time::Duration;

use super::warnings::describe_age;

/// What OSV contributed for one package in this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OsvEvidence {
    /// Answered in this run.
    Live,
    /// A cached answer, `age` old, within its lifetime (online) or served offline.
    Cached { age: Duration },
    /// OSV failed in this run (`cause`); a cached answer `age` old may stand in.
    Fallback { cause: String, age: Duration },
    /// OSV's answer cannot be used for this package (failed, no fallback; a record it lists is
    /// unreadable; an offline run with nothing cached); `reason` says which.
    Unusable { reason: String },
}

/// A copy of an advisory source (the local database, a `--complete-advisories` directory), as
/// it stands for one package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyEvidence {
    /// How reports name it: "the local advisory database (`path`)".
    pub label: String,
    pub complete: bool,
    /// The age of its data (from its newest record); `None` when no record states a date.
    pub age: Option<Duration>,
    /// Its date, for messages ("2024-10-10").
    pub as_of: Option<String>,
    /// Why its entry for this package could not be read, if it could not.
    pub unreadable: Option<String>,
}

/// How old stand-in data may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FreshnessLimits {
    /// `--offline`: the run asked OSV nothing.
    pub offline: bool,
    /// Offline: the oldest cached answer or complete copy that may answer.
    pub max_age: Duration,
    /// Online, when OSV failed: the oldest cached answer or complete copy that may stand in.
    pub fallback_max_age: Duration,
}

impl FreshnessLimits {
    /// The limit for stand-in data in this run.
    pub fn stand_in_limit(&self) -> Duration {
        if self.offline {
            self.max_age
        } else {
            self.fallback_max_age
        }
    }

    fn limit_name(&self) -> &'static str {
        if self.offline {
            "max-age"
        } else {
            "fallback-max-age"
        }
    }
}

/// Which source answered for a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Basis {
    Osv,
    CachedOsv {
        age: Duration,
    },
    FallbackOsv {
        age: Duration,
    },
    /// The copy at this index of the `copies` given to [`judge`].
    Copy {
        index: usize,
        age: Duration,
    },
}

/// The verdict's footing for one package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    Checked(Basis),
    /// No source could answer; `reason` names every source and why it could not.
    Unchecked {
        reason: String,
    },
}

/// Decides whether one package was checked. See the module's invariant.
pub fn judge(osv: &OsvEvidence, copies: &[CopyEvidence], limits: &FreshnessLimits) -> Coverage {
    let limit = limits.stand_in_limit();
    let mut reasons: Vec<String> = Vec::new();
    match osv {
        OsvEvidence::Live => return Coverage::Checked(Basis::Osv),
        OsvEvidence::Cached { age } => {
            if !limits.offline || *age <= limit {
                return Coverage::Checked(Basis::CachedOsv { age: *age });
            }
            reasons.push(format!(
                "the cached OSV answer is {} old, older than the {} of {} (offline)",
                describe_age(*age),
                limits.limit_name(),
                describe_age(limit)
            ));
        }
        OsvEvidence::Fallback { cause, age } => {
            if *age <= limit {
                return Coverage::Checked(Basis::FallbackOsv { age: *age });
            }
            reasons.push(format!(
                "OSV could not answer ({cause}) and the cached answer is {} old, older than the \
                 {} of {}",
                describe_age(*age),
                limits.limit_name(),
                describe_age(limit)
            ));
        }
        OsvEvidence::Unusable { reason } => reasons.push(reason.clone()),
    }
    for (index, copy) in copies.iter().enumerate() {
        if !copy.complete {
            reasons.push(format!(
                "{} is partial (not a complete copy of an advisory source), so it only adds \
                 findings",
                copy.label
            ));
            continue;
        }
        if let Some(problem) = &copy.unreadable {
            reasons.push(format!("{}: {problem}", copy.label));
            continue;
        }
        match copy.age {
            Some(age) if age <= limit => {
                return Coverage::Checked(Basis::Copy { index, age });
            }
            Some(age) => reasons.push(format!(
                "{} holds advisory data as of {} ({} old), older than the {} of {}",
                copy.label,
                copy.as_of.as_deref().unwrap_or("an unknown date"),
                describe_age(age),
                limits.limit_name(),
                describe_age(limit)
            )),
            None => reasons.push(format!(
                "{} states no record date, so its age is unknown",
                copy.label
            )),
        }
    }
    if copies.is_empty() && !matches!(osv, OsvEvidence::Live) {
        reasons.push(
            "there is no complete local advisory database (`pyaudit db sync`, or `pyaudit db \
             import --complete PATH`)"
                .to_owned(),
        );
    }
    Coverage::Unchecked {
        reason: reasons.join("; "),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const DAY: u64 = 86_400;

    fn limits(offline: bool) -> FreshnessLimits {
        FreshnessLimits {
            offline,
            max_age: Duration::from_secs(7 * DAY),
            fallback_max_age: Duration::from_secs(3 * DAY),
        }
    }

    fn copy(complete: bool, age_days: Option<u64>, readable: bool) -> CopyEvidence {
        CopyEvidence {
            label: "the local advisory database (`db`)".to_owned(),
            complete,
            age: age_days.map(|days| Duration::from_secs(days * DAY)),
            as_of: age_days.map(|_| "2024-10-10".to_owned()),
            unreadable: (!readable).then(|| "entry unreadable".to_owned()),
        }
    }

    fn osv_down() -> OsvEvidence {
        OsvEvidence::Unusable {
            reason: "the OSV query failed: connection refused".to_owned(),
        }
    }

    #[test]
    fn a_partial_database_never_answers() {
        let coverage = judge(&osv_down(), &[copy(false, Some(0), true)], &limits(false));
        let Coverage::Unchecked { reason } = coverage else {
            panic!("a partial database made a package checked: {coverage:?}");
        };
        assert!(reason.contains("connection refused"), "{reason}");
        assert!(reason.contains("is partial"), "{reason}");
    }

    #[test]
    fn a_stale_complete_database_names_its_date() {
        let coverage = judge(&osv_down(), &[copy(true, Some(788), true)], &limits(true));
        let Coverage::Unchecked { reason } = coverage else {
            panic!("{coverage:?}");
        };
        assert!(
            reason.contains("as of 2024-10-10 (788 days old)"),
            "{reason}"
        );
        assert!(reason.contains("max-age of 7 days"), "{reason}");
    }

    #[test]
    fn a_fresh_complete_database_answers() {
        assert_eq!(
            judge(&osv_down(), &[copy(true, Some(2), true)], &limits(false)),
            Coverage::Checked(Basis::Copy {
                index: 0,
                age: Duration::from_secs(2 * DAY)
            })
        );
        // Two days is within the offline limit too, but four is past the online fallback's.
        assert!(matches!(
            judge(&osv_down(), &[copy(true, Some(4), true)], &limits(true)),
            Coverage::Checked(_)
        ));
        assert!(matches!(
            judge(&osv_down(), &[copy(true, Some(4), true)], &limits(false)),
            Coverage::Unchecked { .. }
        ));
    }

    #[test]
    fn an_unknown_age_is_never_fresh() {
        assert!(matches!(
            judge(&osv_down(), &[copy(true, None, true)], &limits(true)),
            Coverage::Unchecked { .. }
        ));
    }

    #[derive(Debug, Clone)]
    enum OsvCase {
        Live,
        Cached(u64),
        Fallback(u64),
        Unusable,
    }

    fn osv_case() -> impl Strategy<Value = OsvCase> {
        prop_oneof![
            Just(OsvCase::Live),
            (0..30 * DAY).prop_map(OsvCase::Cached),
            (0..30 * DAY).prop_map(OsvCase::Fallback),
            Just(OsvCase::Unusable),
        ]
    }

    fn copy_case() -> impl Strategy<Value = CopyEvidence> {
        (
            any::<bool>(),
            proptest::option::of(0..1000 * DAY),
            any::<bool>(),
        )
            .prop_map(|(complete, age, readable)| CopyEvidence {
                label: "copy".to_owned(),
                complete,
                age: age.map(Duration::from_secs),
                as_of: None,
                unreadable: (!readable).then(|| "unreadable".to_owned()),
            })
    }

    proptest! {
        /// Over random mixes of source outcomes: "checked" always rests on a source that could
        /// answer for every package and was fresh enough; everything else is unchecked, with a
        /// reason.
        #[test]
        fn checked_rests_on_a_complete_fresh_source(
            osv in osv_case(),
            copies in proptest::collection::vec(copy_case(), 0..4),
            offline in any::<bool>(),
            max_age_days in 0..30u64,
            fallback_days in 0..30u64,
        ) {
            let limits = FreshnessLimits {
                offline,
                max_age: Duration::from_secs(max_age_days * DAY),
                fallback_max_age: Duration::from_secs(fallback_days * DAY),
            };
            let limit = limits.stand_in_limit();
            let evidence = match &osv {
                OsvCase::Live => OsvEvidence::Live,
                OsvCase::Cached(age) => OsvEvidence::Cached { age: Duration::from_secs(*age) },
                OsvCase::Fallback(age) => OsvEvidence::Fallback {
                    cause: "down".to_owned(),
                    age: Duration::from_secs(*age),
                },
                OsvCase::Unusable => osv_down(),
            };
            // The oracle, written independently of `judge`'s order of checks.
            let osv_answers = match &osv {
                OsvCase::Live => true,
                OsvCase::Cached(age) => !offline || Duration::from_secs(*age) <= limit,
                OsvCase::Fallback(age) => Duration::from_secs(*age) <= limit,
                OsvCase::Unusable => false,
            };
            let copy_answers = copies.iter().any(|copy| {
                copy.complete
                    && copy.unreadable.is_none()
                    && copy.age.is_some_and(|age| age <= limit)
            });
            match judge(&evidence, &copies, &limits) {
                Coverage::Checked(basis) => {
                    prop_assert!(osv_answers || copy_answers);
                    if let Basis::Copy { index, age } = basis {
                        let copy = &copies[index];
                        prop_assert!(copy.complete && copy.unreadable.is_none());
                        prop_assert!(age <= limit && copy.age == Some(age));
                    }
                }
                Coverage::Unchecked { reason } => {
                    prop_assert!(!osv_answers && !copy_answers);
                    prop_assert!(!reason.is_empty());
                }
            }
        }
    }
}
