//! "51–100 of 230" with previous/next links that keep the other query parameters.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::query::{current_with, pairs_href};

#[component]
pub fn Pagination(
    /// Path of the page, e.g. `/devices`.
    path: &'static str,
    /// Query keys to keep in the links.
    keys: &'static [&'static str],
    page: u32,
    per_page: u32,
    total: i64,
    /// Rows on this page.
    shown: usize,
) -> impl IntoView {
    let query = use_query_map();
    let per = i64::from(per_page.max(1));
    let pages = u32::try_from((total + per - 1) / per).unwrap_or(u32::MAX).max(1);
    let first = if total == 0 { 0 } else { i64::from(page.saturating_sub(1)) * per + 1 };
    let last = (first + i64::try_from(shown).unwrap_or(0) - 1).max(first).min(total);
    let link = move |p: u32| {
        let q = query.get_untracked();
        let v = if p <= 1 { String::new() } else { p.to_string() };
        pairs_href(path, &current_with(&q, keys, &[("page", v)]))
    };
    let prev = (page > 1).then(|| link(page - 1));
    let next = (page < pages).then(|| link(page + 1));
    view! {
        <nav class="pager" aria-label="Pagination">
            {match prev {
                Some(h) => view! { <a class="btn btn-small" href=h rel="prev" data-testid="prev-page">"← Previous"</a> }.into_any(),
                None => view! { <span class="btn btn-small disabled" aria-disabled="true">"← Previous"</span> }.into_any(),
            }}
            <span class="pager-status" data-testid="pager-status">
                {format!("{first}–{last} of {total}")}
                <span class="muted">{format!(" · page {page} of {pages}")}</span>
            </span>
            {match next {
                Some(h) => view! { <a class="btn btn-small" href=h rel="next" data-testid="next-page">"Next →"</a> }.into_any(),
                None => view! { <span class="btn btn-small disabled" aria-disabled="true">"Next →"</span> }.into_any(),
            }}
        </nav>
    }
}
