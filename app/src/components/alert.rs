//! Error and empty-state blocks.

use leptos::prelude::*;

use crate::error::AppError;

/// Shows an `AppError`; for invalid input it lists each field's message too.
#[component]
pub fn ErrorBox(error: AppError) -> impl IntoView {
    let fields = error.field_errors().map(|f| f.0.clone()).unwrap_or_default();
    let hint = match &error {
        AppError::Unauthenticated => Some(view! { <a href="/login" rel="external">"Sign in again"</a> }.into_any()),
        AppError::Conflict => Some(
            view! {
                <a href="" rel="external" class="btn btn-small">
                    "Reload"
                </a>
            }
            .into_any(),
        ),
        _ => None,
    };
    view! {
        <div class="alert alert-error" role="alert" data-error-code=error.code()>
            <strong>{error.to_string()}</strong>
            {(!fields.is_empty())
                .then(|| {
                    view! {
                        <ul class="alert-list">
                            {fields
                                .into_iter()
                                .map(|f| view! { <li><code>{f.field}</code>": "{f.message}</li> })
                                .collect_view()}
                        </ul>
                    }
                })}
            {hint}
        </div>
    }
}

/// A friendly placeholder for an empty list, with an optional call to action.
#[component]
pub fn EmptyState(
    #[prop(into)] title: String,
    #[prop(into, optional)] text: String,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="empty" data-testid="empty-state">
            <p class="empty-title">{title}</p>
            {(!text.is_empty()).then(|| view! { <p class="muted">{text}</p> })}
            {children.map(|c| view! { <div class="empty-actions">{c()}</div> })}
        </div>
    }
}

/// Placeholder rows while data loads.
#[component]
pub fn Loading(#[prop(into, optional)] label: Option<String>) -> impl IntoView {
    view! {
        <div class="loading" role="status" aria-busy="true">
            <span class="spinner" aria-hidden="true"></span>
            <span>{label.unwrap_or_else(|| "Loading…".into())}</span>
        </div>
    }
}
