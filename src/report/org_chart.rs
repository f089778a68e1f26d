//! The night-over-night history of the org HTML as a small inline SVG: deny findings, warn
//! findings and repositories failing per run, one point per run the cache keeps. No script and
//! nothing loaded: the page stays one self-contained file that opens anywhere.

use std::fmt::Write;

use crate::org::history::RunPoint;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 180.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 28.0;

/// A series: its class (also the CSS colour), legend label and value.
type Series = (&'static str, &'static str, fn(&RunPoint) -> usize);

const SERIES: [Series; 3] = [
    ("deny", "deny findings", |point| point.deny),
    ("warn", "warn findings", |point| point.warn),
    ("failing", "repositories failing", |point| {
        point.repositories_failing
    }),
];

/// The chart, or `None` when there is no run to draw. Inline in HTML the `<svg>` element needs no
/// `xmlns` (the HTML parser places it in the SVG namespace), and the page keeps its rule that a
/// URL appears only as a link.
pub fn history_svg(points: &[RunPoint]) -> Option<String> {
    let first = points.first()?;
    let last = points.last()?;
    let maximum = points
        .iter()
        .flat_map(|point| SERIES.iter().map(move |(_, _, value)| value(point)))
        .max()
        .unwrap_or(0)
        .max(1);
    let plot_width = WIDTH - LEFT - RIGHT;
    let plot_height = HEIGHT - TOP - BOTTOM;
    // Runs are evenly spaced: one a night is the usual rhythm, and a missed night should not
    // squeeze the others.
    let x = |index: usize| {
        if points.len() == 1 {
            LEFT + plot_width / 2.0
        } else {
            LEFT + plot_width * index as f64 / (points.len() - 1) as f64
        }
    };
    let y = |value: usize| TOP + plot_height * (1.0 - value as f64 / maximum as f64);

    let mut svg = String::with_capacity(4096 + points.len() * 600);
    let _ = write!(
        svg,
        "<svg class=\"history\" width=\"{WIDTH}\" \
         height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" \
         aria-labelledby=\"history-title\"><title id=\"history-title\">{} run{} from {} to {}: \
         deny findings, warn findings and repositories failing</title>",
        points.len(),
        if points.len() == 1 { "" } else { "s" },
        super::rfc3339_from_unix_millis(first.at),
        super::rfc3339_from_unix_millis(last.at),
    );
    // Axes and the scale: zero and the maximum.
    let _ = write!(
        svg,
        "<g class=\"axis\"><line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{bottom}\"/>\
         <line x1=\"{LEFT}\" y1=\"{bottom}\" x2=\"{right}\" y2=\"{bottom}\"/>\
         <text x=\"{label_x}\" y=\"{top_label}\" text-anchor=\"end\">{maximum}</text>\
         <text x=\"{label_x}\" y=\"{bottom}\" text-anchor=\"end\">0</text>\
         <text x=\"{LEFT}\" y=\"{date_y}\">{}</text>\
         <text x=\"{right}\" y=\"{date_y}\" text-anchor=\"end\">{}</text></g>",
        date(first.at),
        date(last.at),
        bottom = TOP + plot_height,
        right = WIDTH - RIGHT,
        label_x = LEFT - 6.0,
        top_label = TOP + 4.0,
        date_y = HEIGHT - 8.0,
    );
    for (class, label, value) in SERIES {
        let coordinates: Vec<String> = points
            .iter()
            .enumerate()
            .map(|(index, point)| format!("{:.1},{:.1}", x(index), y(value(point))))
            .collect();
        let _ = write!(
            svg,
            "<g class=\"series {class}\"><polyline points=\"{}\"/>",
            coordinates.join(" ")
        );
        for (index, point) in points.iter().enumerate() {
            let _ = write!(
                svg,
                "<circle class=\"point\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\"><title>{}: {} {label}\
                 </title></circle>",
                x(index),
                y(value(point)),
                super::rfc3339_from_unix_millis(point.at),
                value(point),
            );
        }
        let _ = write!(svg, "</g>");
    }
    let _ = write!(svg, "</svg>");
    Some(svg)
}

/// The day of a run, for the axis.
fn date(at: i64) -> String {
    super::rfc3339_from_unix_millis(at)
        .chars()
        .take(10)
        .collect()
}

/// The legend under the chart, as HTML.
pub fn legend() -> String {
    SERIES
        .iter()
        .map(|(class, label, _)| format!("<span class=\"key {class}\">■ {label}</span>"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A strict enough XML check for generated markup: every tag closes in order, attributes are
    /// quoted, and text has no raw `<` or a `&` that is not an entity.
    pub(crate) fn well_formed(xml: &str) -> Result<(), String> {
        let mut open: Vec<&str> = Vec::new();
        let mut rest = xml;
        while let Some(start) = rest.find(['<', '&']) {
            let text = &rest[..start];
            if text.contains('>') {
                return Err(format!("raw `>` in text: {text}"));
            }
            rest = &rest[start..];
            if rest.starts_with('&') {
                let end = rest.find(';').ok_or("unterminated entity")?;
                let name = &rest[1..end];
                let known = ["lt", "gt", "amp", "quot", "apos"].contains(&name)
                    || name.starts_with('#') && name[1..].chars().all(|c| c.is_ascii_digit());
                if !known {
                    return Err(format!("unknown entity &{name};"));
                }
                rest = &rest[end + 1..];
                continue;
            }
            let end = rest.find('>').ok_or("unterminated tag")?;
            let tag = &rest[1..end];
            rest = &rest[end + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                match open.pop() {
                    Some(opened) if opened == name => {}
                    other => return Err(format!("</{name}> closes {other:?}")),
                }
                continue;
            }
            let self_closing = tag.ends_with('/');
            let tag = tag.trim_end_matches('/');
            let (name, attributes) = tag.split_once(' ').unwrap_or((tag, ""));
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                return Err(format!("bad tag name `{name}`"));
            }
            // name="value" pairs, values without `<` or `"`.
            let mut attributes = attributes.trim();
            while !attributes.is_empty() {
                let (key, value) = attributes
                    .split_once("=\"")
                    .ok_or(format!("unquoted attribute in <{tag}>"))?;
                if key.trim().is_empty() || key.contains(['"', '<', '>', ' ']) {
                    return Err(format!("bad attribute name `{key}`"));
                }
                let close = value.find('"').ok_or("unterminated attribute")?;
                if value[..close].contains('<') {
                    return Err("`<` in an attribute".to_string());
                }
                attributes = value[close + 1..].trim_start();
            }
            if !self_closing {
                open.push(name);
            }
        }
        if rest.contains('>') {
            return Err("raw `>` after the last tag".to_string());
        }
        match open.as_slice() {
            [] => Ok(()),
            unclosed => Err(format!("unclosed: {unclosed:?}")),
        }
    }

    fn point(at: i64, deny: usize, warn: usize, failing: usize) -> RunPoint {
        RunPoint {
            at,
            deny,
            warn,
            repositories_failing: failing,
        }
    }

    #[test]
    fn one_point_per_run_and_series_in_well_formed_svg() {
        let day = 86_400_000;
        let points: Vec<RunPoint> = (0..30)
            .map(|night| point(1_700_000_000_000 + night * day, 30 - night as usize, 4, 2))
            .collect();
        let svg = history_svg(&points).unwrap();
        well_formed(&svg).unwrap();
        assert!(svg.starts_with("<svg class=\"history\""));
        assert_eq!(svg.matches("<circle").count(), 30 * SERIES.len());
        for (class, _, _) in SERIES {
            let group = svg
                .split(&format!("<g class=\"series {class}\">"))
                .nth(1)
                .unwrap();
            let group = &group[..group.find("</g>").unwrap()];
            assert_eq!(group.matches("<circle").count(), 30, "{class}");
        }
        // The highest deny count sits at the top of the plot, the lowest lower down.
        assert!(svg.contains(&format!("cy=\"{TOP:.1}\" r=\"3\"><title>2023-11-14")));
        assert!(svg.contains("<title>2023-11-14T22:13:20Z: 30 deny findings</title>"));
        assert!(!svg.contains("<script"));
        assert!(!svg.contains("href"));
    }

    #[test]
    fn a_single_run_is_one_point_and_no_runs_no_chart() {
        let svg = history_svg(&[point(0, 0, 0, 0)]).unwrap();
        well_formed(&svg).unwrap();
        assert_eq!(svg.matches("<circle").count(), SERIES.len());
        assert!(history_svg(&[]).is_none());
    }

    #[test]
    fn the_checker_rejects_broken_markup() {
        for broken in [
            "<svg><g></svg>",
            "<svg>a < b</svg>",
            "<svg>&nbsp;</svg>",
            "<svg x=1></svg>",
            "<svg>",
            "<svg></svg>>",
        ] {
            assert!(well_formed(broken).is_err(), "{broken}");
        }
        well_formed("<svg a=\"1\"><g/><t>&lt;&amp;&#39;</t></svg>").unwrap();
    }
}
