//! Severity of an OSV record (OSV schema 1.6 `severity[]`): CVSS v2.0, v3.0/v3.1 and v4.0 base
//! scores and the FIRST qualitative rating scale, with `database_specific.severity` as fallback.
//!
//! Scores come from RustSec's `cvss` crate. Within one record the newest CVSS version wins (it is
//! the scorer's latest judgement); across merged records the highest severity wins.

use std::cmp::Ordering;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One `severity[]` entry of a record: the scoring method (`CVSS_V3`, …) and its vector or value.
/// It lives here, with what reads it, so the record reader depends on severity and not back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityVector {
    #[serde(rename = "type")]
    pub kind: String,
    pub score: String,
}

/// The qualitative rating (CVSS v3.1 §5 / v4.0 §6; v2 has only Low/Medium/High).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rating {
    None,
    Low,
    Medium,
    High,
    Critical,
}

impl Rating {
    /// Reads a database's own label; GitHub says `MODERATE` where CVSS says Medium.
    pub fn from_label(label: &str) -> Option<Self> {
        match label.trim().to_ascii_uppercase().as_str() {
            "NONE" => Some(Self::None),
            "LOW" => Some(Self::Low),
            "MODERATE" | "MEDIUM" => Some(Self::Medium),
            "HIGH" | "IMPORTANT" => Some(Self::High),
            "CRITICAL" => Some(Self::Critical),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }
}

impl From<cvss::Severity> for Rating {
    fn from(severity: cvss::Severity) -> Self {
        match severity {
            cvss::Severity::None => Self::None,
            cvss::Severity::Low => Self::Low,
            cvss::Severity::Medium => Self::Medium,
            cvss::Severity::High => Self::High,
            cvss::Severity::Critical => Self::Critical,
        }
    }
}

/// Where a severity came from, so a report can say whether it is computed or a database label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeveritySource {
    CvssV2,
    CvssV3,
    CvssV4,
    /// `database_specific.severity`: a label without a score.
    Database,
}

/// A record's severity: a rating, and the base score and vector when a CVSS vector gave it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Severity {
    pub rating: Rating,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    pub source: SeveritySource,
    /// The CVSS vector, or the database label as written.
    pub vector: String,
}

impl Severity {
    /// Orders by rating, then score (a missing score counts as lowest within its rating).
    pub fn compare(&self, other: &Self) -> Ordering {
        self.rating.cmp(&other.rating).then_with(|| {
            self.score
                .unwrap_or(-1.0)
                .total_cmp(&other.score.unwrap_or(-1.0))
        })
    }
}

/// Scores one vector. `kind` is the OSV `severity[].type`.
pub fn score_vector(kind: &str, vector: &str) -> Result<Severity, String> {
    let source = match kind.trim() {
        "CVSS_V2" => SeveritySource::CvssV2,
        "CVSS_V3" => SeveritySource::CvssV3,
        "CVSS_V4" => SeveritySource::CvssV4,
        other => return Err(format!("severity type `{other}` is not scored")),
    };
    let vector = vector.trim();
    let parsed = cvss::Cvss::from_str(vector).map_err(|error| error.to_string())?;
    let consistent = matches!(
        (&parsed, source),
        (cvss::Cvss::CvssV20(_), SeveritySource::CvssV2)
            | (
                cvss::Cvss::CvssV30(_) | cvss::Cvss::CvssV31(_),
                SeveritySource::CvssV3
            )
            | (cvss::Cvss::CvssV40(_), SeveritySource::CvssV4)
    );
    if !consistent {
        return Err(format!("vector `{vector}` does not match type `{kind}`"));
    }
    let score = parsed.score();
    Ok(Severity {
        rating: rating_for(source, score, parsed.severity()),
        score: Some(score),
        source,
        vector: vector.to_owned(),
    })
}

/// CVSS v2 has no None/Critical bands; the cvss crate maps v2 onto the v3 scale, and a 10.0 v2
/// score would read "critical", which v2 itself never says. Keep v2 within its own three bands.
fn rating_for(source: SeveritySource, score: f64, severity: cvss::Severity) -> Rating {
    if source == SeveritySource::CvssV2 {
        return if score >= 7.0 {
            Rating::High
        } else if score >= 4.0 {
            Rating::Medium
        } else {
            Rating::Low
        };
    }
    Rating::from(severity)
}

/// The severity of one record: the newest scorable CVSS vector, else the database label.
/// Unscorable entries are returned as warnings.
pub fn assess(
    vectors: &[SeverityVector],
    database_label: Option<&str>,
) -> (Option<Severity>, Vec<String>) {
    let mut warnings = Vec::new();
    let mut best: Option<Severity> = None;
    for vector in vectors {
        match score_vector(&vector.kind, &vector.score) {
            Ok(severity) => {
                // Newest CVSS version first; between vectors of one version, the higher one.
                let preferred = best.as_ref().is_none_or(|current| {
                    severity
                        .source
                        .cmp(&current.source)
                        .then_with(|| severity.compare(current))
                        == Ordering::Greater
                });
                if preferred {
                    best = Some(severity);
                }
            }
            Err(reason) => warnings.push(format!(
                "severity `{}` `{}` not scored: {reason}",
                vector.kind, vector.score
            )),
        }
    }
    if best.is_none()
        && let Some(label) = database_label
    {
        match Rating::from_label(label) {
            Some(rating) => {
                best = Some(Severity {
                    rating,
                    score: None,
                    source: SeveritySource::Database,
                    vector: label.to_owned(),
                });
            }
            None => warnings.push(format!("database severity `{label}` not understood")),
        }
    }
    (best, warnings)
}

/// The highest of several severities (used when records are merged).
pub fn highest<'a>(severities: impl IntoIterator<Item = &'a Severity>) -> Option<&'a Severity> {
    severities
        .into_iter()
        .max_by(|left, right| left.compare(right))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector(kind: &str, score: &str) -> SeverityVector {
        SeverityVector {
            kind: kind.to_owned(),
            score: score.to_owned(),
        }
    }

    #[test]
    fn scores_known_cvss_v3_vectors() {
        // Values from the FIRST CVSS v3.1 calculator.
        let cases = [
            (
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                9.8,
                Rating::Critical,
            ),
            (
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
                7.5,
                Rating::High,
            ),
            (
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
                6.1,
                Rating::Medium,
            ),
            (
                "CVSS:3.1/AV:L/AC:L/PR:L/UI:R/S:U/C:L/I:N/A:N",
                2.8,
                Rating::Low,
            ),
            (
                "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N",
                3.3,
                Rating::Low,
            ),
            (
                "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N",
                0.0,
                Rating::None,
            ),
        ];
        for (text, score, rating) in cases {
            let severity = score_vector("CVSS_V3", text).unwrap();
            assert_eq!(severity.score, Some(score), "{text}");
            assert_eq!(severity.rating, rating, "{text}");
            assert_eq!(severity.source, SeveritySource::CvssV3);
        }
    }

    #[test]
    fn scores_known_cvss_v4_vectors() {
        // Values from the FIRST CVSS v4.0 calculator.
        let cases = [
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                9.3,
                Rating::Critical,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N",
                5.1,
                Rating::Medium,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N",
                0.0,
                Rating::None,
            ),
        ];
        for (text, score, rating) in cases {
            let severity = score_vector("CVSS_V4", text).unwrap();
            assert_eq!(severity.score, Some(score), "{text}");
            assert_eq!(severity.rating, rating, "{text}");
        }
    }

    #[test]
    fn scores_cvss_v2_within_its_own_bands() {
        let severity = score_vector("CVSS_V2", "AV:N/AC:L/Au:N/C:C/I:C/A:C").unwrap();
        assert_eq!(severity.score, Some(10.0));
        assert_eq!(severity.rating, Rating::High);
        let severity = score_vector("CVSS_V2", "AV:N/AC:M/Au:N/C:N/I:P/A:N").unwrap();
        assert_eq!(severity.score, Some(4.3));
        assert_eq!(severity.rating, Rating::Medium);
    }

    #[test]
    fn newest_cvss_version_wins_then_database_label_is_the_fallback() {
        let (severity, warnings) = assess(
            &[
                vector("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
                vector(
                    "CVSS_V4",
                    "CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N",
                ),
            ],
            Some("HIGH"),
        );
        assert!(warnings.is_empty());
        let severity = severity.unwrap();
        assert_eq!(severity.source, SeveritySource::CvssV4);
        assert_eq!(severity.rating, Rating::Medium);

        let (severity, warnings) = assess(&[vector("CVSS_V3", "garbage")], Some("MODERATE"));
        assert_eq!(warnings.len(), 1);
        let severity = severity.unwrap();
        assert_eq!(severity.source, SeveritySource::Database);
        assert_eq!(severity.rating, Rating::Medium);
        assert_eq!(severity.score, None);

        let (severity, warnings) = assess(&[], Some("whatever"));
        assert!(severity.is_none());
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn mismatched_type_and_vector_is_rejected() {
        assert!(score_vector("CVSS_V4", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").is_err());
        assert!(score_vector("Ubuntu", "high").is_err());
    }

    #[test]
    fn highest_prefers_rating_then_score() {
        let low = score_vector("CVSS_V3", "CVSS:3.1/AV:L/AC:L/PR:L/UI:R/S:U/C:L/I:N/A:N").unwrap();
        let high = score_vector("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H").unwrap();
        let label = Severity {
            rating: Rating::High,
            score: None,
            source: SeveritySource::Database,
            vector: "HIGH".to_owned(),
        };
        assert_eq!(highest([&low, &label, &high]), Some(&high));
        assert_eq!(highest([&low, &label]), Some(&label));
    }
}
