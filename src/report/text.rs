//! Plain-text output for people: `pyaudit why`.

use std::fmt::Write;

use super::json::WhyResults;
use super::{package_label, step_label};

pub fn render_why(results: &WhyResults<'_>, limit: usize) -> String {
    let mut out = String::new();
    for (graph, matches) in results {
        for (id, paths) in matches {
            let class = graph.classes[*id];
            let _ = writeln!(
                out,
                "{} in {} ({}{})",
                package_label(graph, *id),
                graph.lockfile.path.display(),
                class.as_str(),
                if graph.direct[*id] { ", direct" } else { "" }
            );
            if paths.is_empty() {
                let _ = writeln!(out, "    no root reaches it: the lock may be stale");
            }
            for path in paths {
                let steps: Vec<String> = path
                    .iter()
                    .map(|step| {
                        let mut label = step_label(graph, step);
                        if let Some(marker) = &step.marker {
                            label.push_str(&format!(" ; {marker}"));
                        }
                        label
                    })
                    .collect();
                let _ = writeln!(out, "    {}", steps.join(" → "));
            }
            if paths.len() >= limit {
                let _ = writeln!(
                    out,
                    "    … more paths may exist (raise --limit to see them)"
                );
            }
        }
    }
    out
}
