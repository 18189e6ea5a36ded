//! The fallback page, with the closest known pages as suggestions.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::components::title::PageTitle;

const KNOWN: [(&str, &str); 10] = [
    ("/", "Dashboard"),
    ("/devices", "Inventory"),
    ("/devices/new", "Add device"),
    ("/devices/import", "Import CSV"),
    ("/groups", "Groups"),
    ("/tags", "Tags"),
    ("/audit", "Audit trail"),
    ("/users", "Users"),
    ("/account/password", "Change password"),
    ("/login", "Sign in"),
];

/// Up to three known pages closest to `path`, best first.
pub fn suggestions(path: &str) -> Vec<(&'static str, &'static str)> {
    let wanted = path.trim_end_matches('/').to_ascii_lowercase();
    let mut scored: Vec<(f64, (&str, &str))> =
        KNOWN.iter().map(|&(p, label)| (strsim::normalized_damerau_levenshtein(&wanted, p), (p, label))).collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.into_iter().filter(|(s, _)| *s > 0.2).take(3).map(|(_, k)| k).collect()
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    let location = use_location();
    let path = move || location.pathname.get();
    view! {
        <PageTitle text="Page not found"/>
        <section class="page narrow not-found" data-testid="not-found">
            <h1>"Page not found"</h1>
            <p>"There is no page at " <code>{path}</code> "."</p>
            {move || {
                let hits = suggestions(&path());
                (!hits.is_empty())
                    .then(|| {
                        view! {
                            <p>"Did you mean:"</p>
                            <ul class="suggestions">
                                {hits
                                    .into_iter()
                                    .map(|(href, label)| {
                                        view! {
                                            <li>
                                                <a href=href>{label}</a>
                                                " "
                                                <code class="muted">{href}</code>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                    })
            }}
            <p>
                <a href="/" class="btn btn-primary">
                    "Go to the dashboard"
                </a>
            </p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::suggestions;

    #[test]
    fn suggests_close_routes() {
        assert_eq!(suggestions("/devics")[0].0, "/devices");
        assert_eq!(suggestions("/audti")[0].0, "/audit");
        assert!(suggestions("/users/").iter().any(|s| s.0 == "/users"));
    }
}
