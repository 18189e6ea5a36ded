//! Labels and badges for platform, status, tags and roles.

use std::str::FromStr;

use domain::device::Platform;
use leptos::prelude::*;

use super::query::href_with;

/// "Cisco IOS" for `cisco_ios`; unknown values are shown as stored.
pub fn platform_label(s: &str) -> String {
    Platform::from_str(s).map_or_else(|_| s.to_owned(), |p| p.label().to_owned())
}

#[component]
pub fn StatusBadge(#[prop(into)] status: String) -> impl IntoView {
    let class = format!("badge status status-{status}");
    let data = status.clone();
    view! {
        <span class=class data-status=data>
            {status}
        </span>
    }
}

/// Tag chips, each linking to the inventory filtered by that tag.
#[component]
pub fn TagChips(tags: Vec<String>) -> impl IntoView {
    view! {
        <span class="chips">
            {tags
                .into_iter()
                .map(|t| {
                    let href = href_with("/devices", &[("tag", t.clone())]);
                    view! {
                        <a class="chip" href=href>
                            {t}
                        </a>
                    }
                })
                .collect_view()}
        </span>
    }
}
