//! Pieces shared by the operation and device-configuration pages.

use std::str::FromStr;

use chrono::{DateTime, NaiveDateTime, Utc};
use domain::identity::Permission;
use domain::operation::OperationKind;
use leptos::prelude::*;
use serde_json::Value;

use crate::components::user::use_current_user;
use crate::error::AppError;

/// "Config backup" for `backup`; unknown kinds are shown as stored.
pub fn kind_label(kind: &str) -> String {
    OperationKind::from_str(kind).map_or_else(|_| kind.to_owned(), |k| k.label().to_owned())
}

/// Whether an operation may still do work (and so may be cancelled, and its page should keep refreshing).
pub fn op_active(status: &str) -> bool {
    matches!(status, "new" | "queued" | "scheduled" | "running")
}

/// "850 ms", "12.4 s", "3 min 05 s".
pub fn fmt_duration(ms: i64) -> String {
    if ms < 1_000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        // Tenths of a second without floating point: exact for any input.
        format!("{}.{} s", ms / 1_000, (ms % 1_000) / 100)
    } else {
        let s = ms / 1_000;
        format!("{} min {:02} s", s / 60, s % 60)
    }
}

/// A `datetime-local` value (`YYYY-MM-DDTHH:MM[:SS]`), read as UTC like every time in the app.
pub fn parse_utc_local(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .map(|n| n.and_utc())
}

/// Non-empty lines of a textarea, trailing whitespace removed (leading spaces matter in configs).
pub fn text_lines(s: &str) -> Vec<String> {
    s.lines().map(str::trim_end).filter(|l| !l.trim().is_empty()).map(str::to_owned).collect()
}

/// The server's message for one field of an `Invalid` error.
pub fn field_error(error: RwSignal<Option<AppError>>, field: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || {
        error.with(|e| e.as_ref().and_then(AppError::field_errors).and_then(|f| f.get(field).map(str::to_owned)))
    })
}

/// Whether an error should be shown as a whole above a form: anything but field errors that the
/// form shows next to its own fields (`known`).
pub fn shown_above(e: &AppError, known: &[&str]) -> bool {
    e.field_errors().is_none_or(|f| f.0.iter().any(|fe| !known.contains(&fe.field.as_str())))
}

/// `children` when the signed-in user's role grants `perm`, `otherwise` when it does not (nothing
/// while the user loads). Like `IfCan`, it waits in a `Transition`, so server and browser agree.
#[component]
pub fn IfCanElse(perm: Permission, children: ChildrenFn, #[prop(into)] otherwise: ViewFn) -> impl IntoView {
    let user = use_current_user();
    view! {
        <Transition fallback=|| ()>
            {move || {
                let (children, otherwise) = (children.clone(), otherwise.clone());
                Suspend::new(async move {
                    if matches!(user.await, Ok(Some(u)) if u.role.can(perm)) { children() } else { otherwise.run() }
                })
            }}
        </Transition>
    }
}

/// Succeeded / failed / cancelled of total, as a bar and as text.
#[component]
pub fn OpProgress(total: i32, succeeded: i32, failed: i32, cancelled: i32) -> impl IntoView {
    let total = total.max(0);
    let pct = |n: i32| if total == 0 { 0.0 } else { f64::from(n.max(0)) * 100.0 / f64::from(total) };
    let done = succeeded + failed + cancelled;
    let title = format!("{succeeded} succeeded, {failed} failed, {cancelled} cancelled of {total}");
    let label = title.clone();
    view! {
        <div class="op-progress" title=label data-total=total data-succeeded=succeeded data-failed=failed>
            <div class="op-bar" role="img" aria-label=title>
                <span class="op-bar-ok" style=format!("width:{:.2}%", pct(succeeded))></span>
                <span class="op-bar-fail" style=format!("width:{:.2}%", pct(failed))></span>
                <span class="op-bar-cancel" style=format!("width:{:.2}%", pct(cancelled))></span>
            </div>
            <span class="op-counts small">
                <span class="ok">{format!("{succeeded} ✓")}</span>
                {(failed > 0).then(|| view! { " " <span class="fail">{format!("{failed} ✗")}</span> })}
                {(cancelled > 0).then(|| view! { " " <span class="muted">{format!("{cancelled} cancelled")}</span> })}
                <span class="muted">{format!(" · {done}/{total}")}</span>
            </span>
        </div>
    }
}

/// Parsed results as a key/value table; nested values as pretty JSON. Text only: values come
/// from devices and are never interpreted as HTML.
#[component]
pub fn DetailsView(value: Value) -> impl IntoView {
    match value {
        Value::Null => ().into_any(),
        Value::Object(map) if map.is_empty() => ().into_any(),
        Value::Object(map) => view! {
            <table class="table table-compact kv-table">
                <tbody>
                    {map
                        .into_iter()
                        .map(|(k, v)| {
                            let key = k.clone();
                            view! {
                                <tr data-key=key>
                                    <th scope="row" class="mono small">{k}</th>
                                    <td>{scalar_or_pre(v)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        }
        .into_any(),
        other => scalar_or_pre(other),
    }
}

fn scalar_or_pre(v: Value) -> AnyView {
    match v {
        Value::String(s) => view! { <span class="mono">{s}</span> }.into_any(),
        Value::Bool(b) => view! { <span class="mono">{if b { "yes" } else { "no" }}</span> }.into_any(),
        Value::Number(n) => view! { <span class="mono">{n.to_string()}</span> }.into_any(),
        Value::Null => view! { <span class="muted">"—"</span> }.into_any(),
        Value::Array(a) if a.is_empty() => view! { <span class="muted">"none"</span> }.into_any(),
        Value::Object(m) if m.is_empty() => view! { <span class="muted">"none"</span> }.into_any(),
        nested => {
            let text = serde_json::to_string_pretty(&nested).unwrap_or_default();
            view! { <pre class="code small">{text}</pre> }.into_any()
        }
    }
}

/// A yes/no modal (the summary of what is about to happen is the caller's children).
#[component]
pub fn ConfirmDialog(
    open: RwSignal<bool>,
    #[prop(into)] title: Signal<String>,
    #[prop(into)] confirm_label: String,
    #[prop(into)] confirm_id: String,
    #[prop(optional)] danger: bool,
    #[prop(into)] pending: Signal<bool>,
    on_confirm: Callback<()>,
    children: ChildrenFn,
) -> impl IntoView {
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            open.set(false);
        }
    };
    let confirm_id = StoredValue::new(confirm_id);
    // The dialog itself takes the focus: the confirm button may still be disabled (a preview
    // loading), and Escape must work either way.
    Effect::new(move |_| {
        if open.get() {
            request_animation_frame(|| crate::components::browser::focus("confirm-dialog"));
        }
    });
    view! {
        <Show when=move || open.get()>
            <div class="modal-backdrop" on:click=move |_| open.set(false)></div>
            <div
                class="modal modal-wide"
                id="confirm-dialog"
                tabindex="-1"
                role="dialog"
                aria-modal="true"
                aria-labelledby="confirm-title"
                on:keydown=on_key
                data-testid="confirm-dialog"
            >
                <h2 id="confirm-title">{move || title.get()}</h2>
                {children()}
                <div class="modal-actions">
                    <button type="button" class="btn" on:click=move |_| open.set(false)>
                        "Cancel"
                    </button>
                    <button
                        type="button"
                        id=confirm_id.get_value()
                        class="btn"
                        class:btn-danger=danger
                        class:btn-primary=!danger
                        disabled=move || pending.get()
                        on:click=move |_| on_confirm.run(())
                    >
                        {confirm_label.clone()}
                    </button>
                </div>
            </div>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(fmt_duration(850), "850 ms");
        assert_eq!(fmt_duration(12_480), "12.4 s");
        assert_eq!(fmt_duration(185_000), "3 min 05 s");
    }

    #[test]
    fn schedule_input_is_utc_and_rejects_garbage() {
        let t = parse_utc_local("2026-12-02T08:30").map(|t| t.to_rfc3339());
        assert_eq!(t.as_deref(), Some("2026-12-02T08:30:00+00:00"));
        assert!(parse_utc_local("tomorrow").is_none());
        assert!(parse_utc_local("").is_none());
    }

    #[test]
    fn config_lines_keep_indentation_and_drop_blank_lines() {
        let lines = text_lines("interface Gi0/1\n description x  \n\n  \n");
        assert_eq!(lines, vec!["interface Gi0/1".to_owned(), " description x".to_owned()]);
    }

    #[test]
    fn errors_of_unknown_fields_are_shown_above_the_form() {
        let mut f = domain::FieldErrors::default();
        f.push("reason", "is required");
        assert!(!shown_above(&AppError::Invalid(f.clone()), &["reason"]));
        f.push("device_ids", "no device with id x");
        assert!(shown_above(&AppError::Invalid(f), &["reason"]));
        assert!(shown_above(&AppError::NotFound, &["reason"]));
    }

    #[test]
    fn only_unfinished_operations_are_active() {
        assert!(op_active("running") && op_active("scheduled") && op_active("queued"));
        assert!(!op_active("completed") && !op_active("failed") && !op_active("cancelled"));
    }
}
