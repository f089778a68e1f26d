//! Warnings of an enrichment stage, grouped by cause: 300 packages failing for one reason give one
//! line naming a few of them, not 300 lines.

use std::collections::BTreeMap;
use std::time::Duration;

/// How many subjects a grouped warning names before "and N more".
const SUBJECTS_IN_WARNING: usize = 5;

pub(crate) struct GroupedWarnings {
    /// What the subjects are, plural, for the message: "package(s)", "project(s)".
    subjects: &'static str,
    /// What could not be cached, for the cache-write warning: "answers", "PyPI metadata".
    cached_what: &'static str,
    grouped: BTreeMap<String, (Vec<String>, Option<Duration>)>,
    cache_writes: Option<String>,
}

impl GroupedWarnings {
    pub(crate) fn new(subjects: &'static str, cached_what: &'static str) -> Self {
        Self {
            subjects,
            cached_what,
            grouped: BTreeMap::new(),
            cache_writes: None,
        }
    }

    /// Record `message` for `subject`, keeping the oldest data age seen for that message.
    pub(crate) fn add(&mut self, message: String, subject: impl ToString, age: Option<Duration>) {
        let (subjects, oldest) = self.grouped.entry(message).or_default();
        subjects.push(subject.to_string());
        if let Some(age) = age {
            *oldest = Some(oldest.map_or(age, |known| known.max(age)));
        }
    }

    pub(crate) fn cache_write(&mut self, result: Result<(), pyaudit_cache::CacheError>) {
        if let Err(error) = result {
            // With its causes: "could not read or write the cache" alone does not say why.
            self.cache_write_message(pyaudit_cache::error_chain(&error));
        }
    }

    /// Only the first cache-write failure is kept: they share a cause (a full disk, a lock).
    pub(crate) fn cache_write_message(&mut self, message: String) {
        self.cache_writes.get_or_insert(message);
    }

    pub(crate) fn render(self) -> Vec<String> {
        let subjects_label = self.subjects;
        let mut lines: Vec<String> = self
            .grouped
            .into_iter()
            .map(|(message, (subjects, oldest))| {
                let mut shown = subjects
                    .iter()
                    .take(SUBJECTS_IN_WARNING)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ");
                let more = subjects.len().saturating_sub(SUBJECTS_IN_WARNING);
                if more > 0 {
                    shown.push_str(&format!(" and {more} more"));
                }
                let age = oldest
                    .map(|age| format!("; the oldest is {} old", describe_age(age)))
                    .unwrap_or_default();
                format!(
                    "{message} for {} {subjects_label}: {shown}{age}",
                    subjects.len()
                )
            })
            .collect();
        if let Some(message) = self.cache_writes {
            lines.push(format!(
                "some {} could not be saved to the cache, so the next run asks again: {message}",
                self.cached_what
            ));
        }
        lines
    }
}

/// A coarse human age: "3 days", "5 hours", "12 minutes", "less than a minute".
pub fn describe_age(age: Duration) -> String {
    let seconds = age.as_secs();
    let (count, unit) = if seconds >= 2 * 86_400 {
        (seconds / 86_400, "days")
    } else if seconds >= 2 * 3_600 {
        (seconds / 3_600, "hours")
    } else if seconds >= 120 {
        (seconds / 60, "minutes")
    } else {
        return "less than a minute".to_owned();
    };
    format!("{count} {unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_cache_write_is_reported_once_with_its_cause() {
        let mut warnings = GroupedWarnings::new("package(s)", "answers");
        warnings.cache_write(Ok(()));
        assert!(warnings.render().is_empty());

        let mut warnings = GroupedWarnings::new("package(s)", "answers");
        for _ in 0..3 {
            warnings.cache_write(Err(pyaudit_cache::CacheError::Store {
                path: "/cache/db".into(),
                source: std::io::Error::other("No space left on device"),
            }));
        }
        let lines = warnings.render();
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0].contains("could not be saved to the cache"),
            "{lines:?}"
        );
        assert!(lines[0].contains("/cache/db"), "{lines:?}");
        assert!(lines[0].contains("No space left on device"), "{lines:?}");
    }

    #[test]
    fn ages_are_coarse() {
        assert_eq!(describe_age(Duration::from_secs(30)), "less than a minute");
        assert_eq!(describe_age(Duration::from_secs(600)), "10 minutes");
        assert_eq!(describe_age(Duration::from_secs(3 * 3600)), "3 hours");
        assert_eq!(describe_age(Duration::from_secs(3 * 86_400)), "3 days");
    }

    #[test]
    fn one_line_per_cause() {
        let mut warnings = GroupedWarnings::new("package(s)", "answers");
        for index in 0..7 {
            warnings.add("OSV failed".to_string(), format!("p{index}"), None);
        }
        warnings.add(
            "other".to_string(),
            "q",
            Some(Duration::from_secs(3 * 86_400)),
        );
        assert_eq!(
            warnings.render(),
            [
                "OSV failed for 7 package(s): p0, p1, p2, p3, p4 and 2 more",
                "other for 1 package(s): q; the oldest is 3 days old"
            ]
        );
    }
}
