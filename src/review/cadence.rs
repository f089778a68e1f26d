//! A project's release cadence from its release list (the PyPI JSON `releases` upload times):
//! when it first and last released, how many releases in the last 12 months, the median gap
//! between releases. Yanked releases (every file yanked) and releases without files are left out
//! — a yank withdraws the release, an empty one never shipped — and counted apart so reports can
//! say so. Pre-releases count: they are releases the maintainers made. Gaps are between upload
//! times in time order, not version order (a backport released between two mainline versions
//! is a release like the others). Plain data in and out.

use serde::Serialize;

use super::resolve::ProjectReleases;

const DAY_MILLIS: i64 = 86_400_000;

/// The cadence facts of one project at a moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cadence {
    /// Releases counted: with files and an upload time, not yanked.
    pub releases: usize,
    /// Left out: every file yanked.
    pub yanked_left_out: usize,
    /// Left out: no files, or no upload time.
    pub empty_left_out: usize,
    /// The first counted release's upload (unix milliseconds).
    pub first_release: Option<i64>,
    /// The last counted release's upload (unix milliseconds).
    pub last_release: Option<i64>,
    /// Whole days from the first counted release to now: the project's age.
    pub age_days: Option<i64>,
    /// Whole days from the last counted release to now.
    pub days_since_last_release: Option<i64>,
    /// Counted releases uploaded in the 365 days up to now.
    pub releases_last_12_months: usize,
    /// The median of the gaps between consecutive counted releases, in whole days (`None` with
    /// fewer than two).
    pub median_gap_days: Option<i64>,
}

impl Cadence {
    /// The cadence of `project` at `now_millis`. Uploads after `now` (a clock behind PyPI's)
    /// count for the dates but not as "in the last 12 months".
    pub fn of(project: &ProjectReleases, now_millis: i64) -> Self {
        let mut yanked_left_out = 0;
        let mut empty_left_out = 0;
        let mut times: Vec<i64> = Vec::new();
        for release in &project.releases {
            match release.uploaded {
                _ if release.files == 0 => empty_left_out += 1,
                _ if release.yanked => yanked_left_out += 1,
                None => empty_left_out += 1,
                Some(time) => times.push(time),
            }
        }
        times.sort_unstable();
        let first_release = times.first().copied();
        let last_release = times.last().copied();
        let since = now_millis - 365 * DAY_MILLIS;
        let mut gaps: Vec<i64> = times.windows(2).map(|pair| pair[1] - pair[0]).collect();
        gaps.sort_unstable();
        let median_gap_days = match gaps.len() {
            0 => None,
            count if count % 2 == 1 => Some(gaps[count / 2] / DAY_MILLIS),
            count => Some((gaps[count / 2 - 1] + gaps[count / 2]) / 2 / DAY_MILLIS),
        };
        let days_until_now = |time: i64| ((now_millis - time) / DAY_MILLIS).max(0);
        Self {
            releases: times.len(),
            yanked_left_out,
            empty_left_out,
            first_release,
            last_release,
            age_days: first_release.map(days_until_now),
            days_since_last_release: last_release.map(days_until_now),
            releases_last_12_months: times
                .iter()
                .filter(|&&time| time >= since && time <= now_millis)
                .count(),
            median_gap_days,
        }
    }

    /// What was left out, for reports: `"3 yanked and 1 file-less release(s) not counted"`, or
    /// `None` when nothing was.
    pub fn left_out(&self) -> Option<String> {
        match (self.yanked_left_out, self.empty_left_out) {
            (0, 0) => None,
            (yanked, 0) => Some(format!("{yanked} yanked release(s) not counted")),
            (0, empty) => Some(format!("{empty} release(s) without files not counted")),
            (yanked, empty) => Some(format!(
                "{yanked} yanked and {empty} release(s) without files not counted"
            )),
        }
    }
}

/// `3 years`, `5 months`, `12 days`: a rough age for people.
pub fn describe_days(days: i64) -> String {
    if days >= 730 {
        format!("{} years", days / 365)
    } else if days >= 60 {
        format!("{} months", days / 30)
    } else if days == 1 {
        "1 day".to_owned()
    } else {
        format!("{days} days")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::resolve::ReleaseCandidate;

    fn release(version: &str, day: Option<i64>, files: u32, yanked: bool) -> ReleaseCandidate {
        ReleaseCandidate {
            version: version.to_owned(),
            files,
            yanked,
            requires_python: None,
            uploaded: day.map(|day| day * DAY_MILLIS),
            metadata: None,
        }
    }

    #[test]
    fn cadence_leaves_out_yanked_and_empty_releases() {
        let project = ProjectReleases {
            name: "demo".to_owned(),
            info_version: "1.4".to_owned(),
            info_requires_dist: None,
            releases: vec![
                release("1.0", Some(100), 1, false),
                release("1.1", Some(110), 1, false),
                // Yanked a day later: not a release for cadence.
                release("1.2", Some(111), 1, true),
                release("1.3", Some(140), 2, false),
                release("1.4", Some(1_000), 1, false),
                release("2.0", None, 0, false),
            ],
        };
        let cadence = Cadence::of(&project, 1_100 * DAY_MILLIS);
        assert_eq!(cadence.releases, 4);
        assert_eq!(cadence.yanked_left_out, 1);
        assert_eq!(cadence.empty_left_out, 1);
        assert_eq!(cadence.first_release, Some(100 * DAY_MILLIS));
        assert_eq!(cadence.last_release, Some(1_000 * DAY_MILLIS));
        assert_eq!(cadence.age_days, Some(1_000));
        assert_eq!(cadence.days_since_last_release, Some(100));
        // Gaps 10, 30, 860: the median is 30.
        assert_eq!(cadence.median_gap_days, Some(30));
        assert_eq!(cadence.releases_last_12_months, 1);
        assert_eq!(
            cadence.left_out().as_deref(),
            Some("1 yanked and 1 release(s) without files not counted")
        );

        // An even number of gaps takes the mean of the middle two; one release has no gap.
        let two_gaps = ProjectReleases {
            releases: vec![
                project.releases[0].clone(),
                project.releases[1].clone(),
                project.releases[3].clone(),
            ],
            ..project.clone()
        };
        // Gaps 10 and 30.
        assert_eq!(Cadence::of(&two_gaps, 0).median_gap_days, Some(20));
        let one = ProjectReleases {
            releases: project.releases[..1].to_vec(),
            ..project
        };
        let cadence = Cadence::of(&one, 0);
        assert_eq!(cadence.median_gap_days, None);
        // A clock before the upload: no negative ages, nothing "in the last 12 months".
        assert_eq!(cadence.age_days, Some(0));
        assert_eq!(cadence.releases_last_12_months, 0);
        assert_eq!(describe_days(800), "2 years");
        assert_eq!(describe_days(90), "3 months");
        assert_eq!(describe_days(1), "1 day");
    }
}
