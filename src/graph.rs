//! The normalized dependency graph of one lockfile: which packages the roots install, through which
//! extras and dependency groups, each package's class (prod / optional / dev), and the paths that
//! bring a package in.
//!
//! The traversal runs over *activations* rather than packages: installing `fastapi[standard]`
//! activates fastapi's main dependencies and its `standard` extra, while installing plain `fastapi`
//! activates only the former. Markers stay on the edges and are not evaluated — the audit is
//! universal, so a Windows-only dependency counts.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, VecDeque};
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use pep508_rs::{ExtraName, MarkerTree};
use serde::{Deserialize, Serialize};

use crate::lockfile::{Dependency, LockedPackage, Lockfile, PackageIndex, PackageRole};

/// How a package gets installed, from the roots' point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// Installed by the roots' main dependencies (`uv sync --no-dev`, `poetry install --only main`),
    /// including extras that a dependency edge requests.
    Prod,
    /// Reachable only when the roots' own extras are installed.
    Optional,
    /// Reachable only through dependency groups or dev requirements files.
    Dev,
    /// No root reaches it: the lock carries an entry nothing installs (usually a stale lock).
    Unreachable,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Prod => "prod",
            Class::Optional => "optional",
            Class::Dev => "dev",
            Class::Unreachable => "unreachable",
        }
    }
}

/// Which of the roots' dependency groups an install includes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupSelection {
    All,
    /// Only these (normalized) group names.
    Only(Vec<String>),
}

/// What one step of a path goes through.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "kebab-case")]
pub enum Activation {
    /// The package's main dependencies.
    Main,
    /// One of the package's extras (`fastapi[standard]`).
    Extra(String),
    /// One of a root's dependency groups.
    Group(String),
}

/// One package on a path from a root, and how it was entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathStep {
    pub package: PackageIndex,
    /// Which part of this package the path continues through.
    pub activation: Activation,
    /// The marker on the edge that led here (none for the root).
    pub marker: Option<String>,
}

/// A lockfile with every package classified and the activation graph needed to explain it.
#[derive(Debug, Clone)]
pub struct Graph {
    pub lockfile: Lockfile,
    /// Per package: its class.
    pub classes: Vec<Class>,
    /// Per package: a root lists it as a dependency (main, extra or group).
    pub direct: Vec<bool>,
    states: Vec<State>,
    /// Per state: its outgoing edges.
    successors: Vec<Vec<StateEdge>>,
    /// Interned edge markers, referenced by index from `successors`.
    markers: Vec<String>,
    /// Parsed markers that mention uv's conflict extras, by marker index.
    conditions: HashMap<usize, MarkerTree>,
    /// States that start a path: roots' main, extra and group activations, with the scope that
    /// first includes them.
    seeds: Vec<(StateIndex, Class)>,
    /// The searches for the prod, optional and dev scopes, in that order.
    scopes: Vec<Traversal>,
    /// Per package: the labels of its shortest path, computed on first use. Findings about one
    /// package share it: formatting paths dominated policy evaluation before.
    path_labels: Vec<OnceLock<Arc<[Arc<str>]>>>,
    /// Per state: its label (`name[extra]==version`), computed on first use; paths share
    /// prefixes, so each label is formatted once however many paths pass through it.
    state_labels: Vec<OnceLock<Arc<str>>>,
}

type StateIndex = usize;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct State {
    package: PackageIndex,
    activation: Activation,
}

#[derive(Debug, Clone, Copy)]
struct StateEdge {
    target: StateIndex,
    marker: Option<usize>,
}

/// One breadth-first search of the activation graph for one scope.
#[derive(Debug, Clone)]
struct Traversal {
    /// Per state: how the search first reached it; `None` where it did not.
    parent: Vec<Option<Reached>>,
    /// Per package: the first of its states this search reached.
    first_state: Vec<Option<StateIndex>>,
    /// uv conflict extras (`extra-N-package-extra`, `group-N-package-group`) active in the scope.
    active: Vec<ExtraName>,
}

impl Traversal {
    fn reaches(&self, package: PackageIndex) -> bool {
        self.first_state[package].is_some()
    }
}

#[derive(Debug, Clone, Copy)]
enum Reached {
    /// The state starts a path (a root's main, extra or group activation).
    Seed,
    /// From this state, over an edge with this marker.
    From(StateIndex, Option<usize>),
}

impl Reached {
    fn parent(self) -> Option<(StateIndex, Option<usize>)> {
        match self {
            Reached::Seed => None,
            Reached::From(state, marker) => Some((state, marker)),
        }
    }
}

const SCOPES: [Class; 3] = [Class::Prod, Class::Optional, Class::Dev];

impl Graph {
    /// Classify every package of `lockfile`.
    pub fn build(lockfile: Lockfile) -> Self {
        let mut builder = StateGraphBuilder::default();
        let packages = &lockfile.packages;
        let mut seeds = Vec::new();
        for &root in &lockfile.roots {
            let Some(package) = packages.get(root) else {
                continue;
            };
            let main = builder.state(root, Activation::Main);
            seeds.push((main, Class::Prod));
            for extra in package.optional_dependencies.keys() {
                let state = builder.state(root, Activation::Extra(extra.clone()));
                seeds.push((state, Class::Optional));
            }
            for group in package.dependency_groups.keys() {
                let state = builder.state(root, Activation::Group(group.clone()));
                seeds.push((state, Class::Dev));
            }
        }
        builder.expand(packages);

        let mut direct = vec![false; packages.len()];
        for &root in &lockfile.roots {
            if let Some(package) = packages.get(root) {
                for dependency in all_edges(package) {
                    if let Some(flag) = direct.get_mut(dependency.package) {
                        *flag = true;
                    }
                }
            }
        }

        let StateGraphBuilder {
            states,
            successors,
            markers,
            ..
        } = builder;
        let conditions = markers
            .iter()
            .enumerate()
            .filter(|(_, marker)| mentions_conflict_extra(marker))
            .filter_map(|(index, marker)| {
                MarkerTree::from_str(marker).ok().map(|tree| (index, tree))
            })
            .collect();
        let mut graph = Graph {
            classes: vec![Class::Unreachable; packages.len()],
            direct,
            states,
            successors,
            markers,
            conditions,
            seeds,
            scopes: Vec::new(),
            path_labels: (0..packages.len()).map(|_| OnceLock::new()).collect(),
            state_labels: Vec::new(),
            lockfile,
        };
        graph.state_labels = (0..graph.states.len()).map(|_| OnceLock::new()).collect();
        graph.scopes = SCOPES.iter().map(|&scope| graph.traverse(scope)).collect();
        for (index, class) in graph.classes.iter_mut().enumerate() {
            if let Some(position) = graph.scopes.iter().position(|scope| scope.reaches(index)) {
                *class = SCOPES[position];
            }
        }
        graph
    }

    /// The search for one scope. uv encodes conflicting extras and groups as markers on edges
    /// (`extra == 'group-11-pydantic-ai-dev'`); which of those hold depends on what the scope
    /// activates, including extras reached along the way, so the search repeats until the set of
    /// active conflict extras settles (bounded: `!=` atoms can make it oscillate).
    fn traverse(&self, scope: Class) -> Traversal {
        // Seeds in scope order, so within a wider scope the narrower scope's paths come first.
        let seeds: Vec<StateIndex> = SCOPES
            .iter()
            .filter(|&&phase| phase <= scope)
            .flat_map(|&phase| {
                self.seeds
                    .iter()
                    .filter(move |&&(_, class)| class == phase)
                    .map(|&(seed, _)| seed)
            })
            .collect();
        self.traverse_from(&seeds)
    }

    fn traverse_from(&self, seeds: &[StateIndex]) -> Traversal {
        let mut active: Vec<ExtraName> = seeds
            .iter()
            .filter_map(|&seed| self.conflict_name(seed))
            .collect();
        active.sort();
        active.dedup();
        let mut traversal = self.search(seeds, &active);
        for _ in 0..4 {
            if self.conditions.is_empty() {
                break;
            }
            let mut grown = active.clone();
            for (state, parent) in traversal.parent.iter().enumerate() {
                if parent.is_some() {
                    grown.extend(self.conflict_name(state));
                }
            }
            grown.sort();
            grown.dedup();
            if grown == active {
                break;
            }
            active = grown;
            traversal = self.search(seeds, &active);
        }
        traversal
    }

    fn search(&self, seeds: &[StateIndex], active: &[ExtraName]) -> Traversal {
        let mut traversal = Traversal {
            parent: vec![None; self.states.len()],
            first_state: vec![None; self.lockfile.packages.len()],
            active: active.to_vec(),
        };
        let mut queue = VecDeque::new();
        for &seed in seeds {
            if traversal.parent[seed].is_none() {
                traversal.parent[seed] = Some(Reached::Seed);
                queue.push_back(seed);
            }
        }
        while let Some(state) = queue.pop_front() {
            let package = self.states[state].package;
            if traversal.first_state[package].is_none() {
                traversal.first_state[package] = Some(state);
            }
            for edge in &self.successors[state] {
                if traversal.parent[edge.target].is_none() && self.enabled(edge, active) {
                    traversal.parent[edge.target] = Some(Reached::From(state, edge.marker));
                    queue.push_back(edge.target);
                }
            }
        }
        traversal
    }

    fn enabled(&self, edge: &StateEdge, active: &[ExtraName]) -> bool {
        match edge.marker.and_then(|marker| self.conditions.get(&marker)) {
            Some(condition) => condition.evaluate_extras(active),
            None => true,
        }
    }

    /// The conflict-extra name uv gives an activation (`extra-16-pydantic-ai-slim-mcp-tasks`).
    fn conflict_name(&self, state: StateIndex) -> Option<ExtraName> {
        let State {
            package,
            activation,
        } = &self.states[state];
        let name = self.lockfile.packages.get(*package)?.name.as_ref();
        let encoded = match activation {
            Activation::Main => return None,
            Activation::Extra(extra) => format!("extra-{}-{name}-{extra}", name.len()),
            Activation::Group(group) => format!("group-{}-{name}-{group}", name.len()),
        };
        ExtraName::new(encoded).ok()
    }

    pub fn packages(&self) -> &[LockedPackage] {
        &self.lockfile.packages
    }

    pub fn package(&self, index: PackageIndex) -> &LockedPackage {
        &self.lockfile.packages[index]
    }

    pub fn roots(&self) -> &[PackageIndex] {
        &self.lockfile.roots
    }

    pub fn is_root(&self, index: PackageIndex) -> bool {
        self.lockfile.roots.contains(&index)
    }

    /// Packages installed in the given scope: `Prod` = main only, `Optional` = with the roots'
    /// extras, `Dev` = with extras and groups. Roots themselves are included.
    pub fn installed(&self, scope: Class) -> impl Iterator<Item = PackageIndex> + '_ {
        let traversal = SCOPES
            .iter()
            .position(|&candidate| candidate == scope)
            .and_then(|position| self.scopes.get(position));
        (0..self.lockfile.packages.len())
            .filter(move |&index| traversal.is_some_and(|traversal| traversal.reaches(index)))
    }

    /// Per package: whether an install with the roots' main dependencies, plus the roots' extras
    /// if `extras`, plus the named dependency groups, installs it.
    pub fn installed_with(&self, extras: bool, groups: &GroupSelection) -> Vec<bool> {
        let seeds: Vec<StateIndex> = self
            .seeds
            .iter()
            .filter(|&&(seed, class)| match class {
                Class::Prod => true,
                Class::Optional => extras,
                _ => match (&self.states[seed].activation, groups) {
                    (_, GroupSelection::All) => true,
                    (Activation::Group(group), GroupSelection::Only(names)) => {
                        names.iter().any(|name| name == group)
                    }
                    _ => false,
                },
            })
            .map(|&(seed, _)| seed)
            .collect();
        let traversal = self.traverse_from(&seeds);
        (0..self.lockfile.packages.len())
            .map(|index| traversal.reaches(index))
            .collect()
    }

    /// Every dependency group of the roots, sorted, for validating `--groups`.
    pub fn group_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .seeds
            .iter()
            .filter_map(|&(seed, _)| match &self.states[seed].activation {
                Activation::Group(group) => Some(group.clone()),
                _ => None,
            })
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Every package with the given normalized name (several when the lock forks).
    pub fn find(&self, name: &str) -> Vec<PackageIndex> {
        self.lockfile
            .packages
            .iter()
            .enumerate()
            .filter(|(_, package)| package.name.as_ref() == name)
            .map(|(index, _)| index)
            .collect()
    }

    /// The shortest path from a root to `package` within its own class (a prod package gets a
    /// prod path), root first. `None` for unreachable packages.
    pub fn shortest_path(&self, package: PackageIndex) -> Option<Vec<PathStep>> {
        let class = *self.classes.get(package)?;
        let position = SCOPES.iter().position(|&scope| scope == class)?;
        let traversal = self.scopes.get(position)?;
        let mut state = (*traversal.first_state.get(package)?)?;
        let mut steps = Vec::new();
        loop {
            let parent = traversal.parent[state].and_then(Reached::parent);
            steps.push(self.step(state, parent.and_then(|(_, marker)| marker)));
            match parent {
                Some((previous, _)) => state = previous,
                None => break,
            }
        }
        steps.reverse();
        Some(steps)
    }

    /// The `name==version` labels of [`Self::shortest_path`], root first (empty for unreachable
    /// packages); computed once per package and shared.
    pub fn shortest_path_labels(&self, package: PackageIndex) -> Arc<[Arc<str>]> {
        let Some(cell) = self.path_labels.get(package) else {
            return Arc::from(Vec::new());
        };
        cell.get_or_init(|| {
            let Some(mut state) = self.shortest_path_end(package) else {
                return Arc::from(Vec::new());
            };
            let traversal = &self.scopes[SCOPES
                .iter()
                .position(|&scope| scope == self.classes[package])
                .unwrap_or_default()];
            let mut labels = Vec::new();
            loop {
                labels.push(self.state_label(state).clone());
                match traversal.parent[state].and_then(Reached::parent) {
                    Some((previous, _)) => state = previous,
                    None => break,
                }
            }
            labels.reverse();
            Arc::from(labels)
        })
        .clone()
    }

    /// The state a package's shortest path ends in, within its own class.
    fn shortest_path_end(&self, package: PackageIndex) -> Option<StateIndex> {
        let class = *self.classes.get(package)?;
        let position = SCOPES.iter().position(|&scope| scope == class)?;
        *self.scopes.get(position)?.first_state.get(package)?
    }

    fn state_label(&self, state: StateIndex) -> &Arc<str> {
        self.state_labels[state].get_or_init(|| {
            let State {
                package,
                activation,
            } = &self.states[state];
            Arc::from(self.step_label(&PathStep {
                package: *package,
                activation: activation.clone(),
                marker: None,
            }))
        })
    }

    /// Every simple path from a root to `package`, shortest first, at most `limit` of them.
    ///
    /// A best-first search whose priority is the length so far plus the exact remaining distance
    /// (from a backward search), so paths come out in length order without enumerating the
    /// exponentially many longer ones first.
    pub fn all_paths(&self, package: PackageIndex, limit: usize) -> Vec<Vec<PathStep>> {
        let Some(widest) = self.scopes.last() else {
            return Vec::new();
        };
        let distance = self.distances_to(package, &widest.active);
        let mut heap = BinaryHeap::new();
        // Partial paths as a tree: (state, parent entry, marker of the edge in), and their length.
        let mut arena: Vec<(StateIndex, Option<usize>, Option<usize>)> = Vec::new();
        let mut depth: Vec<usize> = Vec::new();
        for &(seed, _) in &self.seeds {
            if let Some(remaining) = distance[seed] {
                arena.push((seed, None, None));
                depth.push(1);
                heap.push(Reverse((remaining, arena.len() - 1)));
            }
        }
        let mut paths = Vec::new();
        // Bounds the work on pathological graphs where most partial paths dead-end on cycles.
        let mut budget = 200_000usize.max(limit.saturating_mul(1_000));
        while let Some(Reverse((_, node))) = heap.pop() {
            if paths.len() >= limit || budget == 0 {
                break;
            }
            budget -= 1;
            let (state, _, _) = arena[node];
            if self.states[state].package == package {
                paths.push(self.chain(&arena, node));
                continue;
            }
            let length = depth[node];
            for edge in &self.successors[state] {
                let (next, marker) = (edge.target, edge.marker);
                let Some(remaining) = distance[next] else {
                    continue;
                };
                // Simple in states, not packages: a root's group may legitimately re-enter the
                // root through one of its extras (`dev = ["project[all]"]`).
                if self.revisits(&arena, node, next) {
                    continue;
                }
                arena.push((next, Some(node), marker));
                depth.push(length + 1);
                heap.push(Reverse((length + remaining, arena.len() - 1)));
            }
        }
        paths
    }

    fn revisits(
        &self,
        arena: &[(StateIndex, Option<usize>, Option<usize>)],
        mut node: usize,
        state: StateIndex,
    ) -> bool {
        loop {
            let (visited, parent, _) = arena[node];
            if visited == state {
                return true;
            }
            match parent {
                Some(previous) => node = previous,
                None => return false,
            }
        }
    }

    fn chain(
        &self,
        arena: &[(StateIndex, Option<usize>, Option<usize>)],
        mut node: usize,
    ) -> Vec<PathStep> {
        let mut steps = Vec::new();
        loop {
            let (state, parent, marker) = arena[node];
            steps.push(self.step(state, marker));
            match parent {
                Some(previous) => node = previous,
                None => break,
            }
        }
        steps.reverse();
        steps
    }

    fn step(&self, state: StateIndex, marker: Option<usize>) -> PathStep {
        let State {
            package,
            activation,
        } = &self.states[state];
        PathStep {
            package: *package,
            activation: activation.clone(),
            marker: marker.and_then(|index| self.markers.get(index).cloned()),
        }
    }

    /// Per state: number of edges to the nearest state of `package`, if it can reach one.
    /// Only edges enabled in the widest (dev) scope count, so conflict-guarded edges that no
    /// install takes are never shown as a path.
    fn distances_to(&self, package: PackageIndex, active: &[ExtraName]) -> Vec<Option<usize>> {
        let mut predecessors: Vec<Vec<StateIndex>> = vec![Vec::new(); self.states.len()];
        for (state, successors) in self.successors.iter().enumerate() {
            for edge in successors {
                if self.enabled(edge, active) {
                    predecessors[edge.target].push(state);
                }
            }
        }
        let mut distance = vec![None; self.states.len()];
        let mut queue = VecDeque::new();
        for (state, candidate) in self.states.iter().enumerate() {
            if candidate.package == package {
                distance[state] = Some(0);
                queue.push_back(state);
            }
        }
        while let Some(state) = queue.pop_front() {
            let next_distance = distance[state].map_or(0, |d: usize| d + 1);
            for &previous in &predecessors[state] {
                if distance[previous].is_none() {
                    distance[previous] = Some(next_distance);
                    queue.push_back(previous);
                }
            }
        }
        distance
    }

    /// `name==version`, `name @ source`, or just the name, for messages.
    pub fn display_name(&self, index: PackageIndex) -> String {
        let package = self.package(index);
        match &package.version {
            Some(version) => format!("{}=={}", package.name, version),
            None => package.name.to_string(),
        }
    }

    /// `name==version`, with the source when it is not a registry, for people.
    pub fn package_label(&self, index: PackageIndex) -> String {
        let package = self.package(index);
        let mut label = package.name.to_string();
        match (&package.version, &package.specifier) {
            (Some(version), _) => label.push_str(&format!("=={version}")),
            (None, Some(specifier)) => label.push_str(&format!(" {specifier} (unpinned)")),
            (None, None) => {}
        }
        match &package.source {
            crate::lockfile::Source::Registry { .. } => {}
            crate::lockfile::Source::Git { url, reference } => {
                label.push_str(&format!(" (git: {url}"));
                if let Some(reference) = reference {
                    label.push_str(&format!("@{reference}"));
                }
                label.push(')');
            }
            crate::lockfile::Source::Url { url } => label.push_str(&format!(" (url: {url})")),
            crate::lockfile::Source::Path { path }
            | crate::lockfile::Source::Directory { path }
            | crate::lockfile::Source::Editable { path }
            | crate::lockfile::Source::Virtual { path } => {
                label.push_str(&format!(" ({}: {path})", package.source.kind()))
            }
        }
        label
    }

    /// One path step as people read it: `fastapi[standard]==0.1`, `project (group: dev)`.
    pub fn step_label(&self, step: &PathStep) -> String {
        // Built by hand: one label per path step of every finding is a hot path of the policy.
        let package = self.package(step.package);
        let name = package.name.as_ref();
        let mut label = String::with_capacity(name.len() + 24);
        label.push_str(name);
        if let Activation::Extra(extra) = &step.activation {
            label.push('[');
            label.push_str(extra);
            label.push(']');
        }
        if let Some(version) = &package.version {
            label.push_str("==");
            crate::lockfile::push_version(&mut label, version);
        }
        if let Activation::Group(group) = &step.activation {
            label.push_str(" (group: ");
            label.push_str(group);
            label.push(')');
        }
        label
    }

    /// The role of a package (project, synthetic root or ordinary package).
    pub fn role(&self, index: PackageIndex) -> PackageRole {
        self.package(index).role
    }

    /// Count of packages per class, for summaries.
    pub fn class_counts(&self) -> BTreeMap<Class, usize> {
        let mut counts = BTreeMap::new();
        for (index, class) in self.classes.iter().enumerate() {
            if !self.is_root(index) {
                *counts.entry(*class).or_default() += 1;
            }
        }
        counts
    }
}

/// Whether a marker mentions one of the extras uv makes up to encode conflicts.
fn mentions_conflict_extra(marker: &str) -> bool {
    ["'extra-", "'group-", "\"extra-", "\"group-"]
        .iter()
        .any(|prefix| marker.contains(prefix))
}

/// Every edge a package has: main, extras and groups.
pub fn all_edges(package: &LockedPackage) -> impl Iterator<Item = &Dependency> {
    package
        .dependencies
        .iter()
        .chain(package.optional_dependencies.values().flatten())
        .chain(package.dependency_groups.values().flatten())
}

#[derive(Default)]
struct StateGraphBuilder {
    states: Vec<State>,
    index: HashMap<State, StateIndex>,
    successors: Vec<Vec<StateEdge>>,
    markers: Vec<String>,
    marker_index: HashMap<String, usize>,
}

impl StateGraphBuilder {
    fn state(&mut self, package: PackageIndex, activation: Activation) -> StateIndex {
        let key = State {
            package,
            activation,
        };
        if let Some(&existing) = self.index.get(&key) {
            return existing;
        }
        self.states.push(key.clone());
        self.successors.push(Vec::new());
        self.index.insert(key, self.states.len() - 1);
        self.states.len() - 1
    }

    fn marker(&mut self, marker: &Option<String>) -> Option<usize> {
        let marker = marker.as_ref()?;
        if let Some(&existing) = self.marker_index.get(marker) {
            return Some(existing);
        }
        self.markers.push(marker.clone());
        self.marker_index
            .insert(marker.clone(), self.markers.len() - 1);
        Some(self.markers.len() - 1)
    }

    /// Create every state reachable from the seeds and its outgoing edges. An edge to
    /// `target[extra1, extra2]` leads to the target's main state and one state per extra.
    fn expand(&mut self, packages: &[LockedPackage]) {
        let mut next = 0;
        while next < self.states.len() {
            let State {
                package,
                activation,
            } = self.states[next].clone();
            let Some(locked) = packages.get(package) else {
                next += 1;
                continue;
            };
            let edges: &[Dependency] = match &activation {
                Activation::Main => &locked.dependencies,
                Activation::Extra(extra) => locked
                    .optional_dependencies
                    .get(extra)
                    .map_or(&[], Vec::as_slice),
                Activation::Group(group) => locked
                    .dependency_groups
                    .get(group)
                    .map_or(&[], Vec::as_slice),
            };
            let mut out = Vec::new();
            for dependency in edges {
                if dependency.package >= packages.len() {
                    continue;
                }
                let marker = self.marker(&dependency.marker);
                out.push(StateEdge {
                    target: self.state(dependency.package, Activation::Main),
                    marker,
                });
                for extra in &dependency.extras {
                    let target = &packages[dependency.package];
                    // An extra the target does not define installs nothing more (pip warns and
                    // goes on); it still counts as entering the package.
                    if target.optional_dependencies.contains_key(extra) {
                        out.push(StateEdge {
                            target: self
                                .state(dependency.package, Activation::Extra(extra.clone())),
                            marker,
                        });
                    }
                }
            }
            self.successors[next] = out;
            next += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::lockfile::{LockfileKind, Source, normalize_extra, package_name, version};

    fn package(name: &str, role: PackageRole) -> LockedPackage {
        LockedPackage {
            name: package_name(name).unwrap(),
            version: Some(version("1.0").unwrap()),
            source: Source::Registry { url: None },
            specifier: None,
            role,
            location: None,
            hashes: 0,
            dependencies: Vec::new(),
            optional_dependencies: BTreeMap::new(),
            dependency_groups: BTreeMap::new(),
        }
    }

    fn edge(package: PackageIndex, extras: &[&str]) -> Dependency {
        Dependency {
            package,
            extras: extras.iter().map(|extra| normalize_extra(extra)).collect(),
            marker: None,
        }
    }

    /// root → a; root[cli] → b; root (group test) → c; a → d[fast]; d[fast] → e; f orphan;
    /// c → a (a stays prod).
    fn sample() -> Graph {
        let mut packages: Vec<LockedPackage> = ["root", "a", "b", "c", "d", "e", "f"]
            .iter()
            .map(|name| package(name, PackageRole::Package))
            .collect();
        packages[0].role = PackageRole::Project;
        packages[0].dependencies.push(edge(1, &[]));
        packages[0]
            .optional_dependencies
            .insert("cli".into(), vec![edge(2, &[])]);
        packages[0]
            .dependency_groups
            .insert("test".into(), vec![edge(3, &[])]);
        packages[3].dependencies.push(edge(1, &[]));
        packages[1].dependencies.push(edge(4, &["fast"]));
        packages[4]
            .optional_dependencies
            .insert("fast".into(), vec![edge(5, &[])]);
        Graph::build(Lockfile {
            path: PathBuf::from("uv.lock"),
            kind: LockfileKind::UvLock,
            packages,
            roots: vec![0],
            warnings: Vec::new(),
            options: Vec::new(),
            unread: Vec::new(),
        })
    }

    #[test]
    fn classes_follow_roots_extras_and_groups() {
        let graph = sample();
        let classes: Vec<&str> = graph.classes.iter().map(|class| class.as_str()).collect();
        assert_eq!(
            classes,
            [
                "prod",
                "prod",
                "optional",
                "dev",
                "prod",
                "prod",
                "unreachable"
            ]
        );
        assert_eq!(graph.direct, [false, true, true, true, false, false, false]);
    }

    #[test]
    fn extras_are_only_followed_when_requested() {
        let mut graph = sample();
        graph.lockfile.packages[1].dependencies[0].extras.clear();
        let graph = Graph::build(graph.lockfile);
        assert_eq!(graph.classes[5], Class::Unreachable);
    }

    #[test]
    fn shortest_path_goes_through_the_extra() {
        let graph = sample();
        let path = graph.shortest_path(5).unwrap();
        let names: Vec<String> = path
            .iter()
            .map(|step| match &step.activation {
                Activation::Extra(extra) => {
                    format!("{}[{extra}]", graph.package(step.package).name)
                }
                _ => graph.package(step.package).name.to_string(),
            })
            .collect();
        assert_eq!(names, ["root", "a", "d[fast]", "e"]);
        assert!(graph.shortest_path(6).is_none());
    }

    #[test]
    fn uv_conflict_markers_follow_the_scope() {
        // a → f only when root's `test` group is installed; a → e only when root's `cli` extra is
        // not: uv encodes conflicting extras and groups this way.
        let mut graph = sample();
        let packages = &mut graph.lockfile.packages;
        packages[1].dependencies.push(Dependency {
            marker: Some("sys_platform == 'win32' and extra == 'group-4-root-test'".into()),
            ..edge(6, &[])
        });
        packages[4].optional_dependencies.clear();
        packages[1].dependencies.push(Dependency {
            marker: Some("extra != 'extra-4-root-cli'".into()),
            ..edge(5, &[])
        });
        let graph = Graph::build(graph.lockfile);
        assert_eq!(graph.classes[6], Class::Dev);
        assert_eq!(graph.classes[5], Class::Prod);
        let optional: Vec<_> = graph.installed(Class::Optional).collect();
        assert!(!optional.contains(&5), "the cli extra disables a → e");
        assert!(graph.installed(Class::Dev).any(|index| index == 6));
    }

    #[test]
    fn all_paths_are_shortest_first() {
        let graph = sample();
        let paths = graph.all_paths(1, 10);
        let lengths: Vec<usize> = paths.iter().map(Vec::len).collect();
        assert_eq!(lengths, [2, 3]);
        assert_eq!(paths[1][0].activation, Activation::Group("test".into()));
        assert_eq!(graph.all_paths(1, 1).len(), 1);
    }
}
