//! "Inventory › edge-1 › Edit".

use leptos::prelude::*;

/// Each crumb is `(label, href)` after the leading "Dashboard"; the last one is the current page
/// and is not a link. With no items, "Dashboard" itself is the current page.
#[component]
pub fn Breadcrumbs(#[prop(into)] items: Vec<(String, Option<String>)>) -> impl IntoView {
    let last = items.len().saturating_sub(1);
    let home = if items.is_empty() {
        view! { <li aria-current="page"><span>"Dashboard"</span></li> }.into_any()
    } else {
        view! { <li><a href="/">"Dashboard"</a></li> }.into_any()
    };
    view! {
        <nav class="breadcrumbs" aria-label="Breadcrumb">
            <ol>
                {home}
                {items
                    .into_iter()
                    .enumerate()
                    .map(|(i, (label, href))| {
                        let current = i == last;
                        view! {
                            <li aria-current=current.then_some("page")>
                                {match href {
                                    Some(h) if !current => view! { <a href=h>{label}</a> }.into_any(),
                                    _ => view! { <span>{label}</span> }.into_any(),
                                }}
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        </nav>
    }
}

/// Shorthand: `crumbs(&[("Inventory", Some("/devices")), ("Add device", None)])`.
pub fn crumbs(items: &[(&str, Option<&str>)]) -> Vec<(String, Option<String>)> {
    items.iter().map(|(l, h)| ((*l).to_owned(), h.map(str::to_owned))).collect()
}
