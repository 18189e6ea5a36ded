//! `/groups` (hierarchical tree with rolled-up counts) and `/tags` (tag cloud).

use std::collections::BTreeMap;

use leptos::prelude::*;

use crate::api::device_facets;
use crate::components::alert::{EmptyState, ErrorBox, Loading};
use crate::components::breadcrumbs::{crumbs, Breadcrumbs};
use crate::components::live::use_live;
use crate::components::query::href_with;
use crate::components::title::PageTitle;
use crate::model::CountBy;

/// One node of the group tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupNode {
    pub path: String,
    pub name: String,
    pub depth: usize,
    /// Devices in exactly this group.
    pub own: i64,
    /// Devices in this group and all its sub-groups.
    pub total: i64,
}

/// Flattens `emea/paris/core`-style counts into a depth-first tree, adding missing ancestors.
pub fn group_tree(groups: &[CountBy]) -> Vec<GroupNode> {
    let mut nodes: BTreeMap<Vec<String>, (i64, i64)> = BTreeMap::new();
    for g in groups.iter().filter(|g| !g.key.is_empty()) {
        let segs: Vec<String> = g.key.split('/').map(str::to_owned).collect();
        for i in 1..=segs.len() {
            let entry = nodes.entry(segs[..i].to_vec()).or_insert((0, 0));
            entry.1 += g.count;
            if i == segs.len() {
                entry.0 += g.count;
            }
        }
    }
    nodes
        .into_iter()
        .map(|(segs, (own, total))| GroupNode {
            path: segs.join("/"),
            name: segs.last().cloned().unwrap_or_default(),
            depth: segs.len() - 1,
            own,
            total,
        })
        .collect()
}

#[component]
pub fn GroupsPage() -> impl IntoView {
    let live = use_live();
    let facets = Resource::new(move || live.get(), |_| device_facets());
    view! {
        <PageTitle text="Groups"/>
        <section class="page narrow" data-testid="groups-page">
            <Breadcrumbs items=crumbs(&[("Groups", None)])/>
            <div class="page-head">
                <h1>"Groups"</h1>
            </div>
            <p class="muted">"Counts include sub-groups. Select a group to list its devices."</p>
            <Transition fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    match facets.await {
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                        Ok(f) => {
                            let ungrouped = f.groups.iter().find(|g| g.key.is_empty()).map_or(0, |g| g.count);
                            let tree = group_tree(&f.groups);
                            if tree.is_empty() {
                                view! {
                                    <EmptyState
                                        title="No groups yet"
                                        text="Give devices a group path such as emea/paris/core to build the tree."
                                    />
                                }
                                    .into_any()
                            } else {
                                view! {
                                    <ul class="tree" id="group-tree">
                                        {tree
                                            .into_iter()
                                            .map(|n| {
                                                let href = href_with("/devices", &[("group", n.path.clone())]);
                                                view! {
                                                    <li
                                                        data-group=n.path.clone()
                                                        style=format!("--depth:{}", n.depth)
                                                    >
                                                        <a href=href title=n.path.clone()>
                                                            <span class="tree-name">{n.name}</span>
                                                            <span class="count" data-total=n.total>{n.total}</span>
                                                            {(n.own > 0 && n.own != n.total)
                                                                .then(|| view! { <span class="muted small">{format!("{} directly", n.own)}</span> })}
                                                        </a>
                                                    </li>
                                                }
                                            })
                                            .collect_view()}
                                    </ul>
                                    {(ungrouped > 0)
                                        .then(|| view! { <p class="muted">{format!("{ungrouped} device(s) without a group.")}</p> })}
                                }
                                    .into_any()
                            }
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
pub fn TagsPage() -> impl IntoView {
    let live = use_live();
    let facets = Resource::new(move || live.get(), |_| device_facets());
    view! {
        <PageTitle text="Tags"/>
        <section class="page narrow" data-testid="tags-page">
            <Breadcrumbs items=crumbs(&[("Tags", None)])/>
            <div class="page-head">
                <h1>"Tags"</h1>
            </div>
            <Transition fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    match facets.await {
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                        Ok(f) if f.tags.is_empty() => {
                            view! { <EmptyState title="No tags yet" text="Tag devices (e.g. core, pci) to group them across sites."/> }
                                .into_any()
                        }
                        Ok(f) => {
                            let max = f.tags.iter().map(|t| t.count).max().unwrap_or(1).max(1);
                            let mut tags = f.tags;
                            tags.sort_by(|a, b| a.key.cmp(&b.key));
                            view! {
                                <ul class="tag-cloud" id="tag-cloud">
                                    {tags
                                        .into_iter()
                                        .map(|t| {
                                            #[allow(clippy::cast_precision_loss)]
                                            let scale = 0.85 + 1.0 * (t.count as f64 / max as f64);
                                            let href = href_with("/devices", &[("tag", t.key.clone())]);
                                            view! {
                                                <li data-tag=t.key.clone()>
                                                    <a href=href class="chip chip-lg" style=format!("font-size:{scale:.2}em")>
                                                        {t.key.clone()}
                                                        <span class="count">{t.count}</span>
                                                    </a>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(k: &str, n: i64) -> CountBy {
        CountBy { key: k.into(), count: n }
    }

    #[test]
    fn tree_rolls_up_and_orders_children_under_parents() {
        let t = group_tree(&[c("emea/paris/core", 2), c("emea", 1), c("emea-x", 4), c("emea/berlin", 3)]);
        let paths: Vec<_> = t.iter().map(|n| (n.path.as_str(), n.depth, n.own, n.total)).collect();
        assert_eq!(
            paths,
            vec![
                ("emea", 0, 1, 6),
                ("emea/berlin", 1, 3, 3),
                ("emea/paris", 1, 0, 2),
                ("emea/paris/core", 2, 2, 2),
                ("emea-x", 0, 4, 4),
            ]
        );
    }
}
