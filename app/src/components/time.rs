//! Time formatting: always UTC, so server and browser render the same text.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

pub fn fmt_utc(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

pub fn fmt_utc_short(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// A `<time>` element with the full timestamp as tooltip.
#[component]
pub fn Time(at: DateTime<Utc>, #[prop(optional)] short: bool) -> impl IntoView {
    let text = if short { fmt_utc_short(&at) } else { fmt_utc(&at) };
    view! {
        <time datetime=at.to_rfc3339() title=fmt_utc(&at)>
            {text}
        </time>
    }
}
