//! Before/after table of an update's `changes` (`[{field, before, after}]`).

use leptos::prelude::*;
use serde_json::Value;

/// Human text for a JSON value: strings unquoted, lists comma-separated, null as a dash.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        Value::String(s) if s.is_empty() => "(empty)".into(),
        Value::String(s) => s.clone(),
        Value::Array(a) if a.is_empty() => "(none)".into(),
        Value::Array(a) => a.iter().map(value_text).collect::<Vec<_>>().join(", "),
        Value::Object(o) if o.len() == 2 && o.contains_key("latitude") => {
            format!("{}, {}", value_text(&o["latitude"]), value_text(&o["longitude"]))
        }
        other => other.to_string(),
    }
}

/// `(field, before, after)` rows of a `changes` value.
pub fn change_rows(changes: &Value) -> Vec<(String, String, String)> {
    changes
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| {
                    (
                        c.get("field").and_then(Value::as_str).unwrap_or("?").to_owned(),
                        c.get("before").map_or_else(|| "—".into(), value_text),
                        c.get("after").map_or_else(|| "—".into(), value_text),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[component]
pub fn ChangeTable(changes: Value) -> impl IntoView {
    let rows = change_rows(&changes);
    view! {
        <table class="changes">
            <thead>
                <tr>
                    <th scope="col">"Field"</th>
                    <th scope="col">"Before"</th>
                    <th scope="col">"After"</th>
                </tr>
            </thead>
            <tbody>
                {rows
                    .into_iter()
                    .map(|(f, b, a)| {
                        let key = f.clone();
                        view! {
                            <tr data-field=key>
                                <th scope="row">{f}</th>
                                <td class="before">
                                    <del>{b}</del>
                                </td>
                                <td class="after">
                                    <ins>{a}</ins>
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

/// "3 fields changed" or nothing.
pub fn change_count(changes: &Value) -> usize {
    changes.as_array().map_or(0, Vec::len)
}
